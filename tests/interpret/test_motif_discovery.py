"""Motif discovery: TOMTOM matching and recovery maths on tiny matrices, and one real
TF-MoDISco run on synthetic contributions with two planted motifs (contribution = the motif's
log-odds at its sites) that must find both and match them to the right motifs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from regflow.interpret import motif_discovery
from regflow.interpret.motif_discovery import (
    bh_qvalues,
    match_patterns,
    recovery,
    trim,
    trim_flanks,
)
from regflow.motifs.io import read_motifs

N_LIBRARY = 30
PLANTED = (3, 17)  # library indices of the planted motifs


def library(seed: int = 0) -> list[np.ndarray]:
    """``N_LIBRARY`` distinct motifs ``(w, 4)``, w in 8..12: a random consensus at 85%."""
    rng = np.random.default_rng(seed)
    motifs = []
    for _ in range(N_LIBRARY):
        consensus = rng.integers(0, 4, rng.integers(8, 13))
        probs = np.full((len(consensus), 4), 0.05)
        probs[np.arange(len(consensus)), consensus] = 0.85
        motifs.append(probs)
    return motifs


def write_jaspar(path: Path, ids: list[str], motifs: list[np.ndarray]) -> Path:
    lines = []
    for motif_id, probs in zip(ids, motifs, strict=True):
        lines.append(f">{motif_id} TF{motif_id}")
        counts = np.round(probs * 100).astype(int)
        lines += [f"{b} [ {' '.join(map(str, counts[:, k]))} ]" for k, b in enumerate("ACGT")]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_trim_keeps_the_span_of_strong_positions():
    cwm = np.zeros((10, 4))
    cwm[[3, 6], 0] = [1.0, -0.5]
    cwm[[2, 8], 1] = 0.2  # below 30% of the largest position's weight
    ppm = np.full((10, 4), 0.25)
    trimmed_ppm, trimmed_cwm = trim(ppm, cwm)
    assert trimmed_cwm.shape == (4, 4)
    np.testing.assert_array_equal(trimmed_cwm, cwm[3:7])
    assert trimmed_ppm.shape == (4, 4)


def test_trim_flanks_drops_uniform_ends_only():
    probs = np.full((7, 4), 0.25)
    probs[2] = [0.7, 0.1, 0.1, 0.1]
    probs[4] = [0.1, 0.1, 0.1, 0.7]
    np.testing.assert_array_equal(trim_flanks(probs), probs[2:5])


def test_bh_qvalues_match_scipy():
    from scipy.stats import false_discovery_control

    p = np.random.default_rng(1).uniform(0, 0.2, (3, 9))
    expected = np.stack([false_discovery_control(row) for row in p])
    np.testing.assert_allclose(bh_qvalues(p), expected)


def test_each_motif_matches_itself_first():
    motifs = library()
    rng = np.random.default_rng(2)
    queries = []
    for k in PLANTED:  # noisy copies, one reverse-complemented
        noisy = motifs[k] + rng.uniform(0, 0.1, motifs[k].shape)
        queries.append(noisy / noisy.sum(axis=1, keepdims=True))
    queries[1] = queries[1][::-1, ::-1]
    matches = match_patterns(queries, motifs)
    assert len(matches) == 2 * N_LIBRARY
    best = matches[matches["rank"] == 1].set_index("pattern")
    assert best.loc[0, "target"] == PLANTED[0] and best.loc[1, "target"] == PLANTED[1]
    assert (best["qvalue"] < 0.01).all()
    assert (matches.groupby("pattern")["rank"].apply(sorted).map(len) == N_LIBRARY).all()


def test_recovery_rules():
    ids = ["m0", "m1", "m2", "m3"]
    # pattern 0: best m0 (q 0.001), m1 second (q 0.01); pattern 1: best m2 (q 0.2)
    matches = pd.DataFrame(
        {
            "pattern": [0, 0, 0, 0, 1, 1, 1, 1],
            "target": [0, 1, 2, 3, 0, 1, 2, 3],
            "pvalue": [1e-4, 1e-3, 0.5, 0.9, 0.5, 0.6, 0.05, 0.9],
            "qvalue": [0.001, 0.01, 0.6, 0.9, 0.6, 0.6, 0.2, 0.9],
            "rank": [1, 2, 3, 4, 2, 3, 1, 4],
        }
    )
    result = recovery(matches, ids, ["m0", "m1", "m2"], qvalue=0.05)
    assert result["n_recovered"] == 1 and result["fraction"] == pytest.approx(1 / 3)
    assert result["motifs"]["m0"] == {
        "recovered": True,
        "pattern": 0,
        "qvalue": 0.001,
        "rank": 1,
        "best_match": "m0",
    }
    assert not result["motifs"]["m1"]["recovered"]  # significant, but not the best match
    assert not result["motifs"]["m2"]["recovered"]  # best match of pattern 1, q too large
    # m1 in m0's cluster: pattern 0's best match stands for it
    same = recovery(matches, ids, ["m1"], qvalue=0.05, cluster_of={"m0": "A", "m1": "A"})
    assert same["motifs"]["m1"]["recovered"] and same["motifs"]["m1"]["best_match"] == "m0"
    assert recovery(matches, ids, ["m2"], qvalue=0.5)["n_recovered"] == 1
    with pytest.raises(ValueError, match="not among the targets"):
        recovery(matches, ids, ["m9"], qvalue=0.05)


def synthetic_contributions(path: Path, motifs: list[np.ndarray], seed: int = 0) -> Path:
    """200 random sequences of 200 bp, each with a site of both planted motifs (sampled from the
    PWM), hypothetical contributions = half the motif's log2-odds at its sites, small noise
    elsewhere."""
    rng = np.random.default_rng(seed)
    n, length = 200, 200
    onehot = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))]
    hyp = rng.normal(0.0, 0.02, (n, length, 4))
    for i in range(n):
        for k, index in enumerate(PLANTED):
            probs = motifs[index]
            at = 15 + 100 * k + rng.integers(0, 15)
            site = [rng.choice(4, p=row) for row in probs]
            onehot[i, at : at + len(probs)] = np.eye(4, dtype=np.uint8)[site]
            hyp[i, at : at + len(probs)] = 0.5 * np.log2(probs / 0.25)
    hyp = (hyp - hyp.mean(axis=-1, keepdims=True)).astype(np.float32)
    np.savez(
        path,
        one_hot=onehot,
        hypothetical=hyp,
        projected=(hyp * onehot).sum(-1),
        chroms=np.array(["chr1"] * n),
        starts=np.arange(n) * 1000,
        names=np.array([f"r{i}" for i in range(n)]),
    )
    return path


def run_cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    motif_discovery.add_arguments(parser)
    motif_discovery.run(parser.parse_args(argv))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("modisco")
    motifs = library()
    ids = [f"MA{i:04d}.1" for i in range(N_LIBRARY)]
    bias = np.full((9, 4), 0.25)  # GCATC between uniform flanks, as the simulator pads it
    bias[2:7] = 0.1
    bias[np.arange(2, 7), [2, 1, 0, 3, 1]] = 0.7
    pd.DataFrame(bias, columns=list("ACGT")).rename_axis("offset").reset_index().to_csv(
        root / "bias.tsv", sep="\t", index=False
    )
    return {
        "contributions": synthetic_contributions(root / "counts.npz", motifs),
        "motifs": write_jaspar(root / "library.jaspar", ids, motifs),
        "truth": write_jaspar(
            root / "truth.jaspar", [ids[k] for k in PLANTED], [motifs[k] for k in PLANTED]
        ),
        "bias": root / "bias.tsv",
        "ids": ids,
    }


def test_modisco_recovers_both_planted_motifs(files, tmp_path):
    outdir = tmp_path / "out"
    argv = ["--contributions", str(files["contributions"]), "--motifs", str(files["motifs"])]
    argv += ["--truth-motifs", str(files["truth"]), "--bias-motif", str(files["bias"])]
    run_cli([*argv, "--window", "200", "--outdir", str(outdir)])
    result = json.loads((outdir / "recovery.json").read_text())
    assert result["n_recovered"] == 2 and result["fraction"] == 1.0
    for k in PLANTED:
        entry = result["motifs"][files["ids"][k]]
        assert entry["recovered"] and entry["best_match"] == files["ids"][k]
    assert not result["bias_motif"]["found"]
    table = pd.read_csv(outdir / "patterns.tsv", sep="\t")
    significant = table[table["significant"]]
    assert set(significant["best_match_id"]) == {files["ids"][k] for k in PLANTED}
    assert (table["metacluster"] == "positive").all()
    with h5py.File(outdir / "modisco.h5") as h5:
        assert len(h5["pos_patterns"]) == len(table)
        assert h5.attrs["window_size"] == 200
    discovered = read_motifs(outdir / "patterns.meme")
    assert [m.matrix_id for m in discovered] == list(table["pattern"])
    summary = json.loads((outdir / "modisco.json").read_text())
    assert summary["positive_patterns"] == len(table) and summary["negative_patterns"] == 0
    assert (outdir / "patterns.png").stat().st_size > 0


def test_no_patterns_still_writes_every_output(files, tmp_path):
    arrays = dict(np.load(files["contributions"]))
    arrays["hypothetical"] = np.zeros_like(arrays["hypothetical"])
    arrays["projected"] = np.zeros_like(arrays["projected"])
    empty = tmp_path / "zero.npz"
    np.savez(empty, **arrays)
    outdir = tmp_path / "out"
    argv = ["--contributions", str(empty), "--motifs", str(files["motifs"])]
    argv += ["--truth-motifs", str(files["truth"]), "--window", "200"]
    run_cli([*argv, "--outdir", str(outdir)])
    names = ["modisco.h5", "patterns.tsv", "patterns.meme", "patterns.png", "modisco.json"]
    assert all((outdir / name).is_file() for name in [*names, "recovery.json"])
    assert json.loads((outdir / "modisco.json").read_text())["message"] == (
        motif_discovery.NO_PATTERNS
    )
    assert json.loads((outdir / "recovery.json").read_text())["n_recovered"] == 0
    assert pd.read_csv(outdir / "patterns.tsv", sep="\t").empty


def test_a_window_longer_than_the_regions_uses_all_of_them(files, tmp_path):
    arrays = dict(np.load(files["contributions"]))
    short = tmp_path / "short.npz"
    np.savez(short, **{k: v[:40] for k, v in arrays.items()})  # 40 regions: no patterns
    argv = ["--contributions", str(short), "--motifs", str(files["motifs"])]
    run_cli([*argv, "--window", "500", "--outdir", str(tmp_path / "out")])
    summary = json.loads((tmp_path / "out" / "modisco.json").read_text())
    assert summary["window"] == 200 and summary["regions"] == 40
