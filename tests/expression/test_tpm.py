"""TPM and effective lengths, by hand and against a direct recomputation; salmon agreement."""

from __future__ import annotations

import numpy as np

from regflow.expression.tpm import (
    effective_length,
    tpm,
    tpm_disagrees,
    tpm_from_effective_lengths,
)


def test_tpm_by_hand():
    # effective lengths 100 - 51 + 1 = 50, 150, 350; rates 0.1, 0.1, 0.2 (sum 0.4)
    counts = np.array([[5], [15], [70]])
    result = tpm(counts, np.array([100, 200, 400]), np.array([51.0]))
    np.testing.assert_allclose(result[:, 0], [250_000, 250_000, 500_000])


def test_tpm_two_samples_by_hand():
    # sample 2: fragment 1 -> effective length = length; rates 0.1, 0.1, 0.1
    counts = np.array([[5, 10], [15, 20], [70, 40]])
    result = tpm(counts, np.array([100, 200, 400]), np.array([51.0, 1.0]))
    np.testing.assert_allclose(result[:, 0], [250_000, 250_000, 500_000])
    np.testing.assert_allclose(result[:, 1], [1e6 / 3] * 3)


def test_tpm_equals_direct_recomputation():
    rng = np.random.default_rng(0)
    n_genes, n_samples = 200, 5
    counts = rng.poisson(50, (n_genes, n_samples))
    lengths = rng.integers(50, 5000, n_genes)
    fragment = rng.uniform(100, 300, n_samples)
    result = tpm(counts, lengths, fragment)
    assert result.shape == (n_genes, n_samples)
    for j in range(n_samples):
        rates = [counts[i, j] / max(lengths[i] - fragment[j] + 1, 1) for i in range(n_genes)]
        total = sum(rates)
        np.testing.assert_allclose(result[:, j], [1e6 * r / total for r in rates], rtol=1e-12)
    np.testing.assert_allclose(result.sum(axis=0), 1e6)


def test_tpm_ignores_library_size():
    counts = np.array([[3], [9], [0], [27]])
    lengths = np.array([300, 900, 500, 2000])
    np.testing.assert_allclose(
        tpm(counts, lengths, np.array([200.0])), tpm(10 * counts, lengths, np.array([200.0]))
    )


def test_effective_length_floor():
    lengths = np.array([150, 200, 201, 1000])
    result = effective_length(lengths, np.array([200.0, 0.5]))
    assert result.shape == (4, 2)
    np.testing.assert_array_equal(result[:, 0], [1, 1, 2, 801])
    np.testing.assert_array_equal(result[:, 1], [150.5, 200.5, 201.5, 1000.5])


def test_short_gene_keeps_a_finite_rate():
    # a gene shorter than the fragment mean counts as effective length 1
    result = tpm(np.array([[1], [1000]]), np.array([100, 1199]), np.array([200.0]))
    np.testing.assert_allclose(result[:, 0], [5e5, 5e5])


def test_inputs_not_modified():
    counts = np.array([[1, 2], [3, 4]])
    lengths = np.array([500, 600])
    fragment = np.array([100.0, 200.0])
    tpm(counts, lengths, fragment)
    np.testing.assert_array_equal(counts, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(lengths, [500, 600])
    np.testing.assert_array_equal(fragment, [100.0, 200.0])


def test_tpm_from_effective_lengths_by_hand():
    # rates 10/50 = 0.2, 30/100 = 0.3, 0, 50/100 = 0.5 (sum 1); sample 2: rates 1, 1, 0, 2
    counts = np.array([[10.0, 2.5], [30.0, 5.0], [0.0, 0.0], [50.0, 4.0]])
    lengths = np.array([[50.0, 2.5], [100.0, 5.0], [20.0, 7.0], [100.0, 2.0]])
    result = tpm_from_effective_lengths(counts, lengths)
    np.testing.assert_allclose(result, [[2e5, 2.5e5], [3e5, 2.5e5], [0, 0], [5e5, 5e5]])


def test_tpm_is_tpm_from_fragment_effective_lengths():
    counts = np.array([[5, 10], [15, 20], [70, 40]])
    lengths = np.array([100, 200, 400])
    fragment = np.array([51.0, 120.0])
    np.testing.assert_array_equal(
        tpm(counts, lengths, fragment),
        tpm_from_effective_lengths(counts, effective_length(lengths, fragment)),
    )


def test_tpm_disagrees_beyond_rounding_only():
    # rates 1000/500 = 2, 1.277/48.279 = 0.02645, 0, 0, 95.3/100 = 0.953; scale 1e6 / 2.97945
    counts = np.array([1000.0, 1.277, 0.0, 0.0, 95.3])
    lengths = np.array([500.0, 48.279, 10.0, 10.0, 100.0])
    recomputed = tpm_from_effective_lengths(counts, lengths)
    scale = 1e6 / (2 + 1.277 / 48.279 + 0.953)
    # TPM of 1.2773 reads (written as 1.277, 2.4e-4 relative): explained by rounding;
    # a gene of 0.000 reads can have up to scale * 5e-4 / 10 = 16.8 TPM, not 20
    for reported, expected in [
        ([2 * scale * 1.00005, 1.2773 / 48.279 * scale, 16.0, 5e-4, 0.953 * scale], [False] * 5),
        (
            [2 * scale * 1.0002, 1.28 / 48.279 * scale, 20.0, 0.0, 0.953 * scale],
            [True] * 3 + [False] * 2,
        ),
    ]:
        assert tpm_disagrees(counts, lengths, reported).tolist() == expected
    assert not tpm_disagrees(counts[:, None], lengths[:, None], recomputed[:, None]).any()
