import numpy as np

from regflow.simulate.motifs import (
    counts_to_probs,
    load_jaspar_motifs,
    reverse_complement_matrix,
    sample_sites,
    score_sequences,
    tn5_bias_matrix,
)


def test_counts_to_probs_normalises_rows():
    probs = counts_to_probs(np.array([[10, 0, 0, 0], [0, 0, 5, 5]]))
    assert np.allclose(probs.sum(axis=1), 1)
    assert probs[0, 0] > 0.9 and probs[0, 1] > 0


def test_sharp_sampling_gives_the_consensus():
    probs = counts_to_probs(np.array([[8, 1, 1, 0], [0, 0, 0, 10], [1, 7, 1, 1]]))
    sites = sample_sites(np.random.default_rng(0), probs, 500, sharpness=8)
    assert (sites == np.array([0, 3, 1])).all(axis=1).mean() > 0.95
    loose = sample_sites(np.random.default_rng(0), probs, 2000, sharpness=1)
    assert abs((loose[:, 0] == 0).mean() - probs[0, 0]) < 0.05


def test_score_sequences_sums_matrix_entries():
    matrix = np.arange(8, dtype=float).reshape(2, 4)
    assert score_sequences(np.array([[0, 3], [2, 1]]), matrix).tolist() == [7.0, 7.0]


def test_tn5_bias_is_palindromic_and_strength_scales_it():
    m = tn5_bias_matrix(1.0)
    assert m.shape == (19, 4)
    assert np.allclose(m, reverse_complement_matrix(m))
    flat = tn5_bias_matrix(0.0)
    assert np.allclose(flat, 0.25)
    info = lambda p: (p * np.log2(p / 0.25)).sum()  # noqa: E731
    assert info(tn5_bias_matrix(2.0)) > info(m) > 0


def test_jaspar_motifs_load_offline():
    motifs = load_jaspar_motifs(["MA0139.2"], "JASPAR2024")
    ctcf = motifs["MA0139.2"]
    assert ctcf.name.upper() == "CTCF" and ctcf.length == 15
    assert np.allclose(ctcf.probs.sum(axis=1), 1)
