import itertools

import numpy as np

from regflow.motifs.pvalues import integer_matrix, score_distribution, score_threshold, survival


def brute_force(scores: np.ndarray, background: np.ndarray) -> dict[int, float]:
    """Probability of every score, enumerating all 4**length sequences."""
    length = scores.shape[0]
    out: dict[int, float] = {}
    for seq in itertools.product(range(4), repeat=length):
        score = int(scores[np.arange(length), seq].sum())
        out[score] = out.get(score, 0.0) + float(np.prod(background[list(seq)]))
    return out


def test_distribution_matches_enumeration():
    rng = np.random.default_rng(0)
    background = np.array([0.31, 0.19, 0.19, 0.31])
    scores = integer_matrix(rng.normal(0, 2, (5, 4)), resolution=100)
    lowest, pmf = score_distribution(scores, background)
    exact = brute_force(scores, background)
    assert lowest == min(exact)
    assert np.isclose(pmf.sum(), 1)
    for score, p in exact.items():
        assert np.isclose(pmf[score - lowest], p, rtol=1e-12, atol=1e-15)
    assert np.isclose(pmf.sum(), sum(exact.values()))


def test_threshold_matches_enumeration():
    rng = np.random.default_rng(1)
    background = np.array([0.3, 0.2, 0.2, 0.3])
    scores = integer_matrix(rng.normal(0, 2, (6, 4)), resolution=100)
    lowest, pmf = score_distribution(scores, background)
    sf = survival(pmf)
    exact = brute_force(scores, background)
    values = np.array(sorted(exact))
    tail = np.cumsum([exact[v] for v in values[::-1]])[::-1]  # P(score >= values[i])
    for pvalue in (0.5, 1e-1, 1e-2, 1e-3):
        threshold = score_threshold(lowest, sf, pvalue)
        # the same windows are hits: exactly the scores whose exact p-value is below pvalue
        assert np.array_equal(values >= threshold, tail < pvalue)
        assert sf[threshold - lowest] < pvalue <= sf[threshold - lowest - 1]


def test_unreachable_pvalue_gives_a_threshold_above_the_best_score():
    scores = np.zeros((2, 4), np.int64)  # every window scores 0, p-value 1
    lowest, pmf = score_distribution(scores, np.full(4, 0.25))
    assert score_threshold(lowest, survival(pmf), 1e-4) == 1
