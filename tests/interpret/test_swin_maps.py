"""``swin-attention``: windowed attention assembled into sequence coordinates (plain and shifted
windows by hand, and a real model's maps), the distance and entropy summaries, and the CLI on a
tiny random 1D-Swin run, with its errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from regflow.errors import RegflowError
from regflow.interpret import swin_maps
from regflow.interpret.swin_maps import (
    assemble_windows,
    describe_blocks,
    mean_distance,
    mean_entropy,
    uniform_attention,
)
from regflow.models.seqtrack import build_model
from regflow.train.outputs import write_run

SEQ_LEN, BIN, CROP, SHIFT = 256, 16, 2, 2
SWIN = {
    "patch_size": 4,
    "stages": [2, 2, 2],
    "dims": [8, 8, 8],
    "heads": 2,
    "window": 8,
    "mlp_ratio": 2,
    "global_depth": 1,
    "head_dim": 0,
    "dropout": 0.0,
}
CNN = {
    "channels": 8,
    "channels_max": 8,
    "stem_kernel": 5,
    "conv_kernel": 3,
    "head_dim": 0,
    "dropout": 0.0,
}


def test_plain_windows_by_hand():
    attn = np.array([[[[0.9, 0.1], [0.3, 0.7]], [[0.6, 0.4], [0.2, 0.8]]]])  # (1, 2, 2, 2)
    expected = np.array(
        [
            [0.9, 0.1, 0.0, 0.0],
            [0.3, 0.7, 0.0, 0.0],
            [0.0, 0.0, 0.6, 0.4],
            [0.0, 0.0, 0.2, 0.8],
        ]
    )
    np.testing.assert_array_equal(assemble_windows(attn, 4, 0), expected[None])


def test_shifted_windows_by_hand():
    """Shift 1: window 0 holds tokens 1, 2; window 1 holds token 3 and the wrapped token 0,
    which are not neighbours, so their pairs are masked (0) whatever the map says."""
    attn = np.array([[[[0.9, 0.1], [0.3, 0.7]], [[0.6, 0.4], [0.2, 0.8]]]])
    expected = np.array(
        [
            [0.8, 0.0, 0.0, 0.0],  # token 0 = slot 1 of window 1
            [0.0, 0.9, 0.1, 0.0],
            [0.0, 0.3, 0.7, 0.0],
            [0.0, 0.0, 0.0, 0.6],  # token 3 = slot 0 of window 1
        ]
    )
    np.testing.assert_array_equal(assemble_windows(attn, 4, 1), expected[None])
    with pytest.raises(ValueError, match="do not tile"):
        assemble_windows(attn, 6, 0)


def test_real_maps_assemble_into_attention_in_sequence_order():
    torch.manual_seed(0)
    model = build_model(
        "swin", SWIN, seq_len=SEQ_LEN, bin_size=BIN, crop_bins=CROP, n_tracks=2
    ).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (1, SEQ_LEN)), 4).float()
    with torch.no_grad():
        _, maps = model(x, return_attention=True)
    blocks = describe_blocks(model.trunk)
    assert [b["name"] for b in blocks] == [
        "stage1.1",
        "stage1.2",
        "stage2.1",
        "stage2.2",
        "stage3.1",
        "stage3.2",
        "global1",
    ]
    assert [b["kind"] for b in blocks][:2] == ["window", "shifted"]
    assert [b["token_bp"] for b in blocks] == [4, 4, 8, 8, 16, 16, 16]
    assert blocks[-1]["stage"] == 3 and blocks[-1]["window"] == 16
    for attn, block in zip(maps, blocks, strict=True):
        full = assemble_windows(
            attn[0].numpy().transpose(1, 0, 2, 3), block["n_tokens"], block["shift"]
        )
        n = block["n_tokens"]
        assert full.shape == (2, n, n)
        np.testing.assert_allclose(full.sum(axis=-1), 1.0, rtol=1e-5)
        # outside a token's window (in sequence coordinates) there is no attention
        window = block["window"]
        position = (np.arange(n) - block["shift"]) % n // window  # window of each token
        same = position[:, None] == position[None, :]
        if block["shift"]:
            wrapped = np.arange(n) < block["shift"]
            same &= wrapped[:, None] == wrapped[None, :]
        assert (full[:, ~same] == 0).all() and (full[:, same] > 0).all()


def test_distance_and_entropy():
    identity = np.eye(4)[None]
    assert mean_distance(identity, 10)[0] == 0.0 and mean_entropy(identity)[0] == 0.0
    uniform = np.full((4, 4), 0.25)
    # sum of |i - j| over the 16 pairs of 4 tokens is 20
    assert mean_distance(uniform, 10) == pytest.approx(20 / 16 * 10)
    assert mean_entropy(uniform) == pytest.approx(2.0)
    even = uniform_attention(4, 2, 1)
    np.testing.assert_allclose(
        even, [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1]]
    )


def write_dataset(root: Path) -> Path:
    """A seqtrack dataset directory: 2 windows on chr1 (train), 1 on chr2 (val), 2 on chr3."""
    rng = np.random.default_rng(0)
    rows = [("chr1", "train"), ("chr1", "train"), ("chr2", "val"), ("chr3", "test")]
    rows.append(("chr3", "test"))
    width, n_bins = SEQ_LEN + 2 * SHIFT, SEQ_LEN // BIN - 2 * CROP
    outdir = Path(root) / "seqtrack"
    outdir.mkdir()
    np.savez_compressed(
        outdir / "dataset.npz",
        sequences=np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (len(rows), width))],
        targets=rng.poisson(2.0, (len(rows), n_bins, 2)).astype(np.float32),
        track_names=np.array(["atac.c1", "rna.c1"]),
        assays=np.array(["atac", "rna"]),
    )
    starts = [0, SEQ_LEN, 0, 0, SEQ_LEN]
    pd.DataFrame(
        {
            "chrom": [c for c, _ in rows],
            "start": starts,
            "end": [s + SEQ_LEN for s in starts],
            "split": [s for _, s in rows],
        }
    ).to_csv(outdir / "windows.tsv", sep="\t", index=False)
    record = {"settings": {"seq_len": SEQ_LEN, "bin_size": BIN, "crop_bins": CROP}}
    record["settings"]["max_shift"] = SHIFT
    (outdir / "dataset.json").write_text(json.dumps(record))
    return outdir


def write_tiny_run(outdir: Path, name: str, params: dict) -> Path:
    torch.manual_seed(0)
    model = build_model(name, params, seq_len=SEQ_LEN, bin_size=BIN, crop_bins=CROP, n_tracks=2)
    settings = {"name": name, "model": params, "optim": {}, "trainer": {}}
    history = pd.DataFrame({"epoch": [0], "train_loss": [1.0], "val_loss": [1.0]})
    predictions = pd.DataFrame({"chrom": ["chr3"]})
    write_run(outdir, model.state_dict(), settings, {}, predictions, history, name)
    return Path(outdir)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("swin_maps")
    return write_dataset(root), write_tiny_run(root / "swin", "swin", SWIN), root


def swin_attention(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    swin_maps.add_arguments(parser)
    swin_maps.run(parser.parse_args(argv))


def test_writes_every_output(tiny, tmp_path):
    dataset, run_dir, _ = tiny
    out = tmp_path / "out"
    swin_attention(["--run", str(run_dir), "--dataset", str(dataset), "--outdir", str(out)])
    assert sorted(p.name for p in out.iterdir()) == [
        "attention.npz",
        "attention.tsv",
        "figure4.png",
    ]
    with np.load(out / "attention.npz") as npz:
        data = {key: npz[key] for key in npz.files}
    assert int(data["window_index"]) == 3  # the first test window
    assert str(data["chrom"]) == "chr3" and int(data["start"]) == 0 and int(data["seq_len"]) == 256
    assert data["block_names"].tolist()[-1] == "global1" and len(data["block_names"]) == 7
    assert data["token_bp"].tolist() == [4, 4, 8, 8, 16, 16, 16]
    assert data["shift"].tolist() == [0, 4, 0, 4, 0, 4, 0]
    for i, n in enumerate(data["n_tokens"]):
        assert data[f"attention_{i:02d}"].shape == (2, n, n)
        assert data[f"head_mean_{i:02d}"].shape == (n, n)
        np.testing.assert_allclose(data[f"attention_{i:02d}"].sum(axis=-1), 1.0, rtol=1e-5)
    table = pd.read_csv(out / "attention.tsv", sep="\t")
    assert len(table) == 7 * 2 and table["head"].tolist()[:2] == [1, 2]
    assert (table["mean_distance_bp"] > 0).all()
    assert (table["entropy_bits"] <= table["uniform_entropy_bits"] + 1e-6).all()
    assert (out / "figure4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chosen_window(tiny, tmp_path):
    dataset, run_dir, _ = tiny
    out = tmp_path / "out"
    argv = ["--run", str(run_dir), "--dataset", str(dataset), "--outdir", str(out)]
    swin_attention([*argv, "--window", "1"])
    with np.load(out / "attention.npz") as npz:
        assert int(npz["window_index"]) == 1 and int(npz["start"]) == SEQ_LEN


def assert_fails(argv: list[str], out: Path, fragment: str) -> None:
    with pytest.raises(RegflowError, match=fragment) as err:
        swin_attention([*argv, "--outdir", str(out)])
    assert "\n" not in str(err.value)
    assert not out.exists()


def test_model_without_attention(tiny, tmp_path):
    dataset, _, _ = tiny
    run_dir = write_tiny_run(tmp_path / "cnn", "maxpool_cnn", CNN)
    argv = ["--run", str(run_dir), "--dataset", str(dataset)]
    assert_fails(argv, tmp_path / "out", "is a maxpool_cnn model, which has no attention")


def test_window_out_of_range(tiny, tmp_path):
    dataset, run_dir, _ = tiny
    argv = ["--run", str(run_dir), "--dataset", str(dataset), "--window", "5"]
    assert_fails(argv, tmp_path / "out", r"--window 5 is not a row of .*windows.tsv \(0-4\)")


def test_weights_of_another_model(tiny, tmp_path):
    dataset, run_dir, _ = tiny
    other = write_tiny_run(tmp_path / "other", "swin", {**SWIN, "dims": [4, 4, 4]})
    (other / "config.yaml").write_text((run_dir / "config.yaml").read_text())
    argv = ["--run", str(other), "--dataset", str(dataset)]
    assert_fails(argv, tmp_path / "out", "model weights .*model.safetensors do not fit")


def test_missing_weights(tiny, tmp_path):
    dataset, _, _ = tiny
    run_dir = write_tiny_run(tmp_path / "swin", "swin", SWIN)
    (run_dir / "model.safetensors").unlink()
    argv = ["--run", str(run_dir), "--dataset", str(dataset)]
    assert_fails(argv, tmp_path / "out", "model weights .*model.safetensors do not exist")
