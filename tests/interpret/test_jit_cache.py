"""The numba warm-up of scripts/setup.sh runs the workflow's own TF-MoDISco and TOMTOM calls."""

from __future__ import annotations

import numpy as np

from regflow.interpret.jit_cache import planted_contributions, warm


def test_planted_contributions_sit_on_the_motif():
    one_hot, hypothetical = planted_contributions(n=6, length=30, motif="ACGTT", seed=3)
    assert one_hot.shape == hypothetical.shape == (6, 30, 4)
    assert one_hot.dtype == hypothetical.dtype == np.float32
    for seq, hyp in zip(one_hot, hypothetical, strict=True):
        actual = hyp * seq  # the contribution of each observed base
        strong = np.flatnonzero(actual.sum(axis=1) > 0.5)
        assert strong.size == 5 and np.all(np.diff(strong) == 1)
        assert "".join("ACGT"[i] for i in seq[strong].argmax(axis=1)) == "ACGTT"


def test_warm_up_finds_the_planted_motif_and_matches_it():
    found = warm()
    assert found["positive_patterns"] >= 1
    revcomp = "TGACTCATGC"[::-1].translate(str.maketrans("ACGT", "TGCA"))
    assert any("TGACTCATGC" in c or revcomp in c for c in found["consensus"]), found
    assert found["matches"] == 2 * len(found["consensus"])
