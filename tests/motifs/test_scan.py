import numpy as np
import pandas as pd
import pytest

from regflow.motifs.matrices import Motif, reverse_complement_matrix
from regflow.motifs.regions import encode_bases
from regflow.motifs.scan import hits_table, scan_sequences, scoring_matrices

from .conftest import revcomp, sharp_motifs

UNIFORM = np.full(4, 0.25)
SKEWED = np.array([0.32, 0.18, 0.18, 0.32])


def concatenate(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    codes = encode_bases("".join(sequences).encode())
    bounds = np.concatenate([[0], np.cumsum([len(s) for s in sequences])])
    return codes, bounds


def naive_scan(sequences, matrices):
    """Reference: every window of every region scored one by one with explicit loops."""
    hits, best = set(), np.full((len(sequences), len(matrices.scores)), -np.inf)
    for r, sequence in enumerate(sequences):
        codes = encode_bases(sequence.encode())
        for m, forward in enumerate(matrices.scores):
            width = forward.shape[0]
            for strand, matrix in ((1, forward), (-1, reverse_complement_matrix(forward))):
                for offset in range(len(sequence) - width + 1):
                    window = codes[offset : offset + width]
                    if (window > 3).any():
                        continue
                    score = int(matrix[np.arange(width), window].sum())
                    best[r, m] = max(best[r, m], score)
                    if score >= matrices.threshold[m]:
                        hits.add((r, m, offset, strand, score))
    return hits, best


def hit_set(result):
    h = result.hits
    return set(
        zip(
            h["region"].tolist(),
            h["motif"].tolist(),
            h["offset"].tolist(),
            h["strand"].tolist(),
            h["score"].tolist(),
            strict=True,
        )
    )


def test_planted_consensus_found_on_both_strands():
    rng = np.random.default_rng(3)
    sequence = list("".join(rng.choice(list("ACGT"), 200)))
    sequence[20:28] = "ACGTCAGT"
    sequence[120:128] = revcomp("ACGTCAGT")
    matrices = scoring_matrices(sharp_motifs()[:1], UNIFORM, 1e-4)
    result = scan_sequences(*concatenate(["".join(sequence)]), matrices)
    top = matrices.scores[0].max(axis=1).sum()
    assert hit_set(result) == {(0, 0, 20, 1, top), (0, 0, 120, -1, top)}
    assert np.isclose(result.max_score[0, 0], top / matrices.resolution)
    assert result.hit_count[0, 0] == 2
    assert np.isclose(result.hit_score_sum[0, 0], 2 * top / matrices.resolution)
    table = hits_table(
        result,
        matrices,
        pd.DataFrame({"chrom": ["chr9"], "start": [1000], "name": ["r"]}),
        sharp_motifs()[:1],
    )
    assert table["start"].tolist() == [1020, 1120]
    assert table["end"].tolist() == [1028, 1128]
    assert table["strand"].tolist() == ["+", "-"]
    assert np.allclose(table["pvalue"], matrices.survival[0][-1])  # the best score's p-value
    assert np.allclose(table["pvalue"], 0.25**8)  # only the consensus scores that high


def test_scan_equals_a_naive_reference():
    rng = np.random.default_rng(5)
    motifs = sharp_motifs() + [
        Motif("R1", "random", rng.integers(0, 30, (9, 4)).astype(float) + 1),
        Motif("R2", "short", rng.integers(0, 30, (4, 4)).astype(float) + 1),
    ]
    sequences = ["".join(rng.choice(list("ACGT"), n, p=SKEWED)) for n in (300, 57, 3, 8, 1000)]
    sequences[1] = sequences[1][:30] + "NN" + sequences[1][32:]
    matrices = scoring_matrices(motifs, SKEWED, 2e-2)
    result = scan_sequences(*concatenate(sequences), matrices)
    hits, best = naive_scan(sequences, matrices)
    assert len(hits) > 50
    assert hit_set(result) == hits
    unscorable = np.isneginf(best)
    assert np.array_equal(result.unscorable, unscorable)
    assert np.allclose(result.max_score, np.where(unscorable, 0, best) / matrices.resolution)


def test_blocks_do_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(6)
    sequences = ["".join(rng.choice(list("ACGT"), n)) for n in (700, 20, 1300, 450)]
    matrices = scoring_matrices(sharp_motifs(), UNIFORM, 1e-2)
    whole = scan_sequences(*concatenate(sequences), matrices)
    monkeypatch.setattr("regflow.motifs.scan._BLOCK", 97)
    monkeypatch.setattr("regflow.motifs.scan._GROUP", 1)
    pieces = scan_sequences(*concatenate(sequences), matrices)
    assert hit_set(whole) == hit_set(pieces)
    assert np.array_equal(whole.max_score, pieces.max_score)


def test_motif_longer_than_region_gives_explicit_zeros():
    matrices = scoring_matrices(sharp_motifs(), UNIFORM, 1e-4)  # widths 8, 8, 6
    result = scan_sequences(*concatenate(["ACGTC", "ACGTCAGT", "NNNNNNNNNN"]), matrices)
    assert result.unscorable.tolist() == [
        [True, True, True],
        [False, False, False],
        [True, True, True],
    ]
    for matrix in (result.max_score, result.hit_score_sum, result.hit_count):
        assert (matrix[[0, 2]] == 0).all()
    assert result.hit_count[1, 0] == 1  # the 8-bp region is exactly M1's consensus


def test_windows_never_span_two_regions():
    matrices = scoring_matrices(sharp_motifs()[:1], UNIFORM, 1e-4)
    result = scan_sequences(*concatenate(["TTTTACGT", "CAGTTTTT"]), matrices)
    assert result.hits["score"].size == 0


def test_same_hits_as_moods_at_the_same_score_thresholds():
    """Where MOODS-python is installed (the benchmark's venv): identical hits and scores."""
    moods_scan = pytest.importorskip("MOODS.scan")
    import MOODS.tools

    rng = np.random.default_rng(8)
    motifs = sharp_motifs() + [Motif("R", "r", rng.integers(1, 40, (11, 4)).astype(float))]
    sequences = ["".join(rng.choice(list("ACGT"), n, p=SKEWED)) for n in (2000, 500, 31)]
    matrices = scoring_matrices(motifs, SKEWED, 1e-3)
    ours = {
        (r, m, o, s): x
        for r, m, o, s, x in hit_set(scan_sequences(*concatenate(sequences), matrices))
    }
    forward = [[list(q[:, b] / matrices.resolution) for b in range(4)] for q in matrices.scores]
    both = forward + [MOODS.tools.reverse_complement(m) for m in forward]
    cut = [(t - 0.5) / matrices.resolution for t in matrices.threshold] * 2
    scanner = moods_scan.Scanner(min(m.length for m in motifs))
    scanner.set_motifs(both, list(SKEWED), cut)
    theirs, n = {}, len(motifs)
    for r, sequence in enumerate(sequences):
        for j, matches in enumerate(scanner.scan(sequence)):
            for match in matches:
                theirs[(r, j % n, match.pos, 1 if j < n else -1)] = match.score
    assert ours.keys() == theirs.keys()
    for key, score in ours.items():
        assert abs(score / matrices.resolution - theirs[key]) < 1e-9


def test_background_sequences_give_the_expected_false_positive_rate():
    """On random sequences drawn from the background, hits match the exact expectation:
    sum over motifs of P(score >= threshold) x windows x 2 strands."""
    from regflow.motifs.fetch import fetch_jaspar

    motifs = fetch_jaspar("JASPAR2024", matrix_ids=["MA0139.2", "MA0080.7", "MA0863.1", "MA0363.3"])
    background = np.array([0.3, 0.2, 0.2, 0.3])
    rng = np.random.default_rng(0)
    n_regions, length = 400, 1000
    codes = rng.choice(4, size=n_regions * length, p=background).astype(np.uint8)
    bounds = np.arange(n_regions + 1) * length
    matrices = scoring_matrices(motifs, background, pvalue=1e-3)
    result = scan_sequences(codes, bounds, matrices)
    expected = sum(
        matrices.survival[m][matrices.threshold[m] - matrices.lowest[m]]
        * n_regions
        * (length - motifs[m].length + 1)
        * 2
        for m in range(len(motifs))
    )
    observed = result.hit_count.sum()
    assert expected > 1000
    assert abs(observed / expected - 1) < 0.1
