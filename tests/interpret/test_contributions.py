"""``regflow interpret contributions`` on tiny ChromBPNet and sequence-to-track runs written in
the training's format: outputs and their shapes, the fold ensemble is the mean of its folds,
the bigWig averages overlapping windows, and errors leave no output."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import save_file

from regflow.errors import RegflowError
from regflow.interpret import contributions
from regflow.interpret.contributions import overlap_mean, select_tracks, top_regions
from regflow.models.bpnet import BPNet, BPNetConfig, ChromBPNet
from regflow.models.seqtrack import build_model

CHROMS = {"chr1": 400, "chr2": 300}
MODEL = {
    "accessibility": {"filters": 8, "layers": 2},
    "bias": {"filters": 4, "layers": 1},
    "out_len": 20,
    "conv1_kernel": 5,
    "profile_kernel": 5,
}
SIZES = ("out_len", "conv1_kernel", "profile_kernel")
IN_LEN = 20 + 4 + 4 + 4 * (2**2 - 1)  # 40, the accessibility model's input
# (name, chrom, centre, kind, total_counts); peaks 0 and 1 overlap, peak 3 ends at chr2's end
REGIONS = [
    ("chr1:90-110", "chr1", 100, "peak", 50.0),
    ("chr1:105-125", "chr1", 115, "peak", 80.0),
    ("chr1:290-310", "chr1", 300, "peak", 20.0),
    ("chr2:270-290", "chr2", 280, "peak", 65.0),
    ("chr2:140-160", "chr2", 150, "nonpeak", 5.0),
]
SEQTRACK = {"seq_len": 64, "bin_size": 8, "crop_bins": 1, "max_shift": 0}
TRACKS = ["atac.a", "atac.b", "rna.a"]
SEQ_MODEL = {"channels": 4, "channels_max": 4, "head_dim": 0}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """A genome, a ChromBPNet dataset with two fold runs and a bias run, and a
    sequence-to-track dataset with one run."""
    root = tmp_path_factory.mktemp("contrib")
    rng = np.random.default_rng(0)
    genome = root / "genome.fa"
    genome.write_text(
        "".join(f">{c}\n{''.join(rng.choice(list('ACGT'), n))}\n" for c, n in CHROMS.items())
    )
    dataset = root / "chrombpnet"
    dataset.mkdir()
    table = pd.DataFrame(REGIONS, columns=["name", "chrom", "centre", "kind", "total_counts"])
    table["fold_0"] = "train"
    table.to_csv(dataset / "regions.tsv", sep="\t", index=False)
    settings = {"in_len": IN_LEN, "out_len": 20, "jitter": 2}
    (dataset / "dataset.json").write_text(json.dumps({"settings": settings}))
    out = {"genome": genome, "dataset": dataset}
    for fold in (0, 1):
        torch.manual_seed(fold)
        model = ChromBPNet(
            *(
                BPNet(BPNetConfig.from_dict({**MODEL[w], **{k: MODEL[k] for k in SIZES}}))
                for w in ("accessibility", "bias")
            )
        )
        out[f"fold_{fold}"] = write_run(root / f"fold_{fold}", model, {"model": MODEL})
        if fold == 0:
            out["bias"] = write_run(root / "fold_0" / "bias", model.bias, {"model": MODEL})

    seq = root / "seqtrack"
    seq.mkdir()
    windows = pd.DataFrame({"chrom": ["chr1"] * 5, "start": np.arange(5) * 64})
    windows["end"] = windows["start"] + 64
    windows["split"] = "train"
    windows.to_csv(seq / "windows.tsv", sep="\t", index=False)
    pd.DataFrame({"name": TRACKS, "assay": ["atac", "atac", "rna"]}).to_csv(
        seq / "tracks.tsv", sep="\t", index=False
    )
    (seq / "dataset.json").write_text(json.dumps({"settings": SEQTRACK}))
    targets = np.zeros((5, 6, 3), np.float32)
    targets[[3, 1], :, 0] = [[2.0], [1.0]]  # windows 3 then 1 have the most atac.a signal
    np.savez(seq / "dataset.npz", targets=targets)
    torch.manual_seed(0)
    lengths = {k: SEQTRACK[k] for k in ("seq_len", "bin_size", "crop_bins")}
    seq_model = build_model("maxpool_cnn", SEQ_MODEL, **lengths, n_tracks=3)
    out["seqtrack"] = seq
    out["seq_run"] = write_run(
        root / "maxpool", seq_model, {"name": "maxpool_cnn", "model": SEQ_MODEL}
    )
    return out


def write_run(outdir: Path, model: torch.nn.Module, settings: dict) -> Path:
    """``config.yaml`` and ``model.safetensors`` as ``regflow train`` writes them."""
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "config.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, outdir / "model.safetensors"
    )
    return outdir


def run_cli(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    contributions.add_arguments(parser)
    contributions.run(parser.parse_args(argv))


def chrombpnet_args(data, runs, outdir: Path, *extra: str) -> list[str]:
    argv = ["--kind", "chrombpnet", "--run", *map(str, runs), "--dataset", str(data["dataset"])]
    argv += ["--genome", str(data["genome"]), "--n-shuffles", "3", "--batch-size", "16"]
    return [*argv, "--outdir", str(outdir), *extra]


def test_chrombpnet_outputs_and_fold_ensemble(data, tmp_path):
    folds = [data["fold_0"], data["fold_1"]]
    for name, runs in (("a", folds[:1]), ("b", folds[1:]), ("ab", folds)):
        run_cli(chrombpnet_args(data, runs, tmp_path / name))
    arrays = {
        name: {head: np.load(tmp_path / name / f"{head}.npz") for head in ("counts", "profile")}
        for name in ("a", "b", "ab")
    }
    counts = arrays["ab"]["counts"]
    n_peaks = 4
    assert counts["one_hot"].shape == (n_peaks, IN_LEN, 4)
    assert counts["one_hot"].dtype == np.uint8
    assert counts["hypothetical"].dtype == np.float32
    assert counts["projected"].shape == (n_peaks, IN_LEN)
    assert list(counts["names"]) == [r[0] for r in REGIONS[:4]]
    np.testing.assert_array_equal(counts["starts"], [80, 95, 280, 260])
    for head in ("counts", "profile"):
        mean = (arrays["a"][head]["hypothetical"] + arrays["b"][head]["hypothetical"]) / 2
        np.testing.assert_allclose(arrays["ab"][head]["hypothetical"], mean, atol=1e-6)
    np.testing.assert_allclose(
        (counts["hypothetical"] * counts["one_hot"]).sum(-1), counts["projected"], atol=1e-6
    )
    record = json.loads((tmp_path / "ab" / "contributions.json").read_text())
    assert record["model"] == "corrected" and record["regions"]["n"] == n_peaks
    assert set(record["convergence_deltas"]["counts"]) == {str(r) for r in folds}
    assert record["convergence_deltas"]["counts"][str(folds[0])]["max"] < 1e-4
    assert record["contributions_per_second"] > 0

    import pyBigWig

    bw = pyBigWig.open(str(tmp_path / "ab" / "counts.bw"))
    try:
        assert bw.chroms() == CHROMS
        projected = counts["projected"]
        # chr1 80..95: only peak 0; 95..120: peaks 0 and 1 averaged; 120..135: only peak 1
        got = np.array(bw.values("chr1", 80, 135))
        np.testing.assert_allclose(got[:15], projected[0, :15], atol=1e-6)
        both = (projected[0, 15:40] + projected[1, :25]) / 2
        np.testing.assert_allclose(got[15:40], both, atol=1e-6)
        np.testing.assert_allclose(got[40:], projected[1, 25:], atol=1e-6)
        assert np.isnan(bw.values("chr1", 0, 80)).all()  # no window there
    finally:
        bw.close()


def test_bias_model_from_a_bias_run_and_from_the_full_run_agree(data, tmp_path):
    for name, run in (("full", data["fold_0"]), ("bias_run", data["bias"])):
        extra = ("--model", "bias", "--heads", "counts", "--regions", "all", "--max-regions", "3")
        run_cli(chrombpnet_args(data, [run], tmp_path / name, *extra))
    full, alone = (np.load(tmp_path / n / "counts.npz") for n in ("full", "bias_run"))
    np.testing.assert_allclose(full["hypothetical"], alone["hypothetical"], atol=1e-6)
    assert list(full["names"]) == [REGIONS[i][0] for i in (0, 1, 3)]  # the top 3 by counts
    assert not (tmp_path / "full" / "profile.npz").exists()


def test_seqtrack_contributions(data, tmp_path):
    argv = ["--kind", "seqtrack", "--run", str(data["seq_run"]), "--dataset", str(data["seqtrack"])]
    argv += ["--genome", str(data["genome"]), "--tracks", "atac\\..*", "--max-regions", "2"]
    run_cli([*argv, "--n-shuffles", "2", "--outdir", str(tmp_path / "out")])
    arrays = np.load(tmp_path / "out" / "tracks.npz")
    assert arrays["hypothetical"].shape == (2, 64, 4)
    assert list(arrays["names"]) == ["chr1:64-128", "chr1:192-256"]
    record = json.loads((tmp_path / "out" / "contributions.json").read_text())
    assert record["tracks"] == ["atac.a", "atac.b"]
    assert record["convergence_deltas"]["tracks"][str(data["seq_run"])]["relative"] < 1e-3


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing_weights", "model.safetensors do not exist"),
        ("short_dataset", "shorter than"),
        ("no_peaks", "no peaks regions"),
        ("bias_run_corrected", "bias-model run"),
        ("unknown_track", "selects no track"),
    ],
)
def test_errors_leave_no_output(data, tmp_path, case, message):
    outdir = tmp_path / "out"
    if case == "missing_weights":
        run = tmp_path / "run"
        run.mkdir()
        (run / "config.yaml").write_text(yaml.safe_dump({"model": MODEL}))
        argv = chrombpnet_args(data, [run], outdir)
    elif case in ("short_dataset", "no_peaks"):
        dataset = tmp_path / "dataset"
        dataset.mkdir()
        table = pd.read_csv(data["dataset"] / "regions.tsv", sep="\t")
        settings = {"in_len": IN_LEN - (2 if case == "short_dataset" else 0), "out_len": 20}
        if case == "no_peaks":
            table["kind"] = "nonpeak"
        table.to_csv(dataset / "regions.tsv", sep="\t", index=False)
        (dataset / "dataset.json").write_text(json.dumps({"settings": settings}))
        argv = chrombpnet_args({**data, "dataset": dataset}, [data["fold_0"]], outdir)
    elif case == "bias_run_corrected":
        argv = chrombpnet_args(data, [data["bias"]], outdir)
    else:
        argv = ["--kind", "seqtrack", "--run", str(data["seq_run"]), "--dataset"]
        argv += [str(data["seqtrack"]), "--genome", str(data["genome"]), "--tracks", "dnase.*"]
        argv += ["--outdir", str(outdir)]
    with pytest.raises(RegflowError, match=message):
        run_cli(argv)
    assert not outdir.exists()


def test_pure_helpers():
    assert select_tracks(TRACKS, None) == [0, 1, 2]
    assert select_tracks(TRACKS, ["rna.a", "atac\\..*"]) == [0, 1, 2]
    assert select_tracks(TRACKS, ["atac.b"]) == [1]
    with pytest.raises(RegflowError, match="regular expression"):
        select_tracks(TRACKS, ["("])
    signal = np.array([5.0, 9.0, 9.0, 1.0])
    mask = np.array([True, True, True, False])
    np.testing.assert_array_equal(top_regions(signal, mask, 2), [1, 2])
    np.testing.assert_array_equal(top_regions(signal, mask, None), [0, 1, 2])
    values = np.arange(8, dtype=float).reshape(2, 4)  # windows of 4 bases
    blocks = list(overlap_mean({"c": 10}, np.array(["c", "c"]), np.array([-1, 2]), values))
    # window 0 covers 0..3 (its first base is off the chromosome), window 1 covers 2..6
    assert [(c, s) for c, s, _ in blocks] == [("c", 0)]
    np.testing.assert_allclose(blocks[0][2], [1, 2, (3 + 4) / 2, 5, 6, 7])
    apart = list(overlap_mean({"c": 20}, np.array(["c", "c"]), np.array([10, 0]), values))
    assert [(s, len(b)) for _, s, b in apart] == [(0, 4), (10, 4)]
