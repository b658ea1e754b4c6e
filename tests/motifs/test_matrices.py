import numpy as np

from regflow.motifs.matrices import (
    Motif,
    background_probs,
    information_content,
    log_odds,
    reverse_complement_matrix,
)


def test_background_pseudocount_follows_meme():
    counts = np.array([[10.0, 0.0, 0.0, 0.0]])
    background = np.array([0.3, 0.2, 0.2, 0.3])
    probs = background_probs(counts, background, pseudocount=1.0)
    assert np.allclose(probs, [[10.3 / 11, 0.2 / 11, 0.2 / 11, 0.3 / 11]])
    assert np.allclose(probs.sum(axis=1), 1)
    # many sites: the pseudocount hardly matters
    assert np.allclose(background_probs(counts * 1e6, background, 0.1), [[1, 0, 0, 0]], atol=1e-7)


def test_log_odds_against_a_skewed_background():
    background = np.array([0.3, 0.2, 0.2, 0.3])
    lo = log_odds(np.array([[0.3, 0.4, 0.1, 0.2]]), background)
    assert np.allclose(lo, [[0.0, 1.0, -1.0, np.log2(2 / 3)]])
    # a window drawn from the background scores 0 on average only under its own composition
    assert np.isclose((background * log_odds(background[None, :], background)).sum(), 0)


def test_motif_probs_and_strands():
    motif = Motif("X", "x", np.array([[2.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 3.0]]))
    assert motif.length == 2
    assert np.allclose(motif.probs, [[0.5, 0.5, 0, 0], [0, 0, 0.25, 0.75]])
    assert np.allclose(
        reverse_complement_matrix(motif.probs), [[0.75, 0.25, 0, 0], [0, 0, 0.5, 0.5]]
    )


def test_information_content():
    assert information_content(np.eye(4)) == 8.0
    assert information_content(np.full((3, 4), 0.25)) == 0.0
