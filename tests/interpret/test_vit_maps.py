"""``vit-attention`` on a tiny untrained ViT run over a tiny dataset in the real formats: every
output with the documented shapes, the model's inputs and predictions as in training, the gene
choice, and errors that name the problem and leave no output."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from regflow.datasets.vit import vit_examples
from regflow.errors import RegflowError
from regflow.interpret import vit_maps
from regflow.interpret.vit_maps import band_fraction, effective_patches, largest_range_genes
from regflow.models.vit import ChromatinViT
from regflow.train.data import ImagePairs
from regflow.train.outputs import write_run
from regflow.train.vit import prepare_inputs

CONDITIONS = ("0min", "t1", "t2", "t3")
LENGTH_EDGES = np.array([[45 + 20 * i, 65 + 20 * i] for i in range(8)], dtype=np.float64)
SETTINGS = {
    "model": {
        "patch": 4,
        "dim": 8,
        "depth": 2,
        "heads": 2,
        "mlp_dim": 16,
        "dropout": 0.0,
        "head_hidden": 8,
    },
    "variant": {
        "name": "transformer2_0min",
        "channels": 2,
        "first_channel": "0min",
        "shared_trunk": False,
        "target": "absolute",
    },
    "optim": {"batch_size": 8},
    "trainer": {"seed": 1},
}
SINGLE = {**SETTINGS, "variant": {**SETTINGS["variant"], "name": "single", "channels": 1}}
FOLD = {**SETTINGS, "variant": {**SETTINGS["variant"], "name": "fold", "target": "fold"}}


def write_dataset(root: Path, width: int = 16, n_genes: int = 6) -> Path:
    """A ViT dataset directory: 8 x ``width`` images; G003 has the widest range of targets,
    then G001, which has no t2 target (so no t2 example)."""
    rng = np.random.default_rng(0)
    gene_ids = np.array([f"G{i:03d}" for i in range(n_genes)])
    images = rng.exponential(1.0, (n_genes, len(CONDITIONS), 8, width)).astype(np.float32)
    targets = rng.uniform(2.0, 3.0, (n_genes, len(CONDITIONS))).astype(np.float32)
    targets[3] = [1.0, 1.0, 9.0, 4.0]
    targets[1] = [2.0, 2.0, np.nan, 7.0]
    val = np.zeros(n_genes, dtype=bool)
    val[-1] = True
    examples = vit_examples(gene_ids, list(CONDITIONS), targets, ["t1", "t2"], ["t3"], val)
    outdir = Path(root) / f"dataset_{width}"
    outdir.mkdir(parents=True)
    np.savez_compressed(
        outdir / "dataset.npz",
        images=images,
        images_raw=images.copy(),
        targets=targets,
        gene_ids=gene_ids,
        conditions=np.array(CONDITIONS),
        origin=np.linspace(-100.0, 100.0, n_genes).astype(np.float32),
        length_edges=LENGTH_EDGES,
        position_edges=np.arange(-8 * width // 2, 8 * width // 2 + 1, 8, dtype=np.int64),
    )
    examples.to_csv(outdir / "examples.tsv", sep="\t", index=False)
    (outdir / "dataset.json").write_text(json.dumps({"conditions": list(CONDITIONS)}))
    return outdir


def write_tiny_run(outdir: Path, dataset: Path, settings: dict) -> Path:
    """An untrained model's weights, the settings and its predictions of every example."""
    inputs = prepare_inputs(dataset, settings)
    torch.manual_seed(0)
    model = ChromatinViT(inputs.config).eval()
    rows = inputs.examples
    pairs = ImagePairs(
        inputs.images,
        rows["gene_index"].to_numpy(),
        rows["condition_index"].to_numpy(),
        inputs.targets,
        inputs.first,
    )
    with torch.no_grad():
        x = torch.stack([pairs[i][0] for i in range(len(pairs))])
        pred = model(x).numpy() * inputs.std + inputs.mean
    if settings["variant"]["target"] == "fold":
        pred = pred + inputs.log2_tpm[rows["gene_index"], inputs.first]
    truth = inputs.log2_tpm[rows["gene_index"], rows["condition_index"]]
    predictions = rows[["gene_id", "condition", "split"]].assign(
        log2_tpm=truth, predicted_log2_tpm=pred
    )
    history = pd.DataFrame({"epoch": [0], "train_loss": [1.0], "val_loss": [1.0]})
    write_run(outdir, model.state_dict(), settings, {}, predictions, history, "tiny")
    return Path(outdir)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("vit_maps")
    dataset = write_dataset(root)
    return root, dataset, write_tiny_run(root / "run", dataset, SETTINGS)


def attention(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    vit_maps.add_arguments(parser)
    vit_maps.run(parser.parse_args(argv))


def test_writes_every_output(tiny, tmp_path):
    root, dataset, run_dir = tiny
    out = tmp_path / "out"
    attention(["--run", str(run_dir), "--dataset", str(dataset), "--outdir", str(out)])
    inputs = prepare_inputs(dataset, SETTINGS)
    ex = inputs.examples
    truth = inputs.log2_tpm[ex["gene_index"], ex["condition_index"]]
    genes = largest_range_genes(ex.assign(log2_tpm=truth), 3)
    assert genes[:2] == ["G003", "G001"]  # ranges 8 and 5, the others below 1
    figures = [f"figure3_{i}.png" for i in (1, 2, 3)]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["attention.npz", "attention.tsv", *figures]
    )
    with np.load(out / "attention.npz") as npz:
        data = {key: npz[key] for key in npz.files}
    assert data["genes"].tolist() == genes
    assert data["conditions"].tolist() == ["t1", "t2", "t3"]
    assert data["channels"].tolist() == ["baseline_0min", "time_point"]
    g, k, c, h, w = 3, 3, 2, 8, 16
    assert data["images"].shape == data["maps"].shape == (g, k, c, h, w)
    assert data["rollout"].shape == (g, k, c, 2, 4)
    assert data["log2_tpm"].shape == data["predicted_log2_tpm"].shape == (g, k)
    assert data["position_bp"].shape == (g, w + 1)
    assert data["length_edges"].shape == (h, 2) and int(data["patch"]) == 4
    # G001 has no t2 example: everything NaN there
    has = data["has_example"]
    missing = (genes.index("G001"), 1)
    assert not has[missing] and has.sum() == g * k - 1 and data["splits"][missing] == ""
    assert np.isnan(data["maps"][missing]).all() and np.isnan(data["log2_tpm"][missing])
    np.testing.assert_allclose(data["rollout"][has].sum(axis=(-2, -1)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(data["maps"][has].sum(axis=(-2, -1)), 16.0, rtol=1e-5)
    # the images are the model's inputs: the first channel at 0min, then the time point
    gene = genes.index("G003")
    index = int(ex.loc[ex["gene_id"] == "G003", "gene_index"].iloc[0])
    np.testing.assert_allclose(data["images"][gene, 2, 0], inputs.images[index, 0])
    np.testing.assert_allclose(data["images"][gene, 2, 1], inputs.images[index, 3])
    # the baseline channel is encoded alone: the same map at every condition
    np.testing.assert_allclose(data["maps"][gene, 0, 0], data["maps"][gene, 2, 0], rtol=1e-6)
    np.testing.assert_allclose(data["log2_tpm"][gene], [1.0, 9.0, 4.0])
    assert data["position_bp"][gene, 0] == pytest.approx(-64 + (-100 + 200 * index / 5))
    table = pd.read_csv(out / "attention.tsv", sep="\t")
    assert len(table) == (g * k - 1) * c
    assert table["gene_id"].tolist()[:4] == ["G003"] * 4  # gene by gene, then conditions
    np.testing.assert_allclose(
        table["predicted_log2_tpm"], table["run_predicted_log2_tpm"], atol=1e-4
    )
    assert table["max_patch_share"].between(1 / 8, 1).all()
    assert table["effective_patches"].between(1, 8).all()
    assert table["tss_band_share"].between(0, 1).all()
    assert (out / "figure3_1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("settings", [SINGLE, FOLD], ids=["single", "fold"])
def test_chosen_genes_and_variants(tiny, tmp_path, settings):
    _, dataset, _ = tiny
    run_dir = write_tiny_run(tmp_path / "run", dataset, settings)
    out = tmp_path / "out"
    argv = ["--run", str(run_dir), "--dataset", str(dataset), "--outdir", str(out)]
    attention([*argv, "--genes", "G005, G002", "--discard-ratio", "0"])
    n_ch = settings["variant"]["channels"]
    with np.load(out / "attention.npz") as npz:
        assert npz["genes"].tolist() == ["G005", "G002"]
        assert len(npz["channels"]) == n_ch
        assert npz["conditions"].tolist() == ["t1", "t2", "t3"]  # 0min is not an example
        assert npz["maps"].shape == (2, 3, n_ch, 8, 16)
    table = pd.read_csv(out / "attention.tsv", sep="\t")
    np.testing.assert_allclose(
        table["predicted_log2_tpm"], table["run_predicted_log2_tpm"], atol=1e-4
    )


def test_summary_helpers():
    maps = np.zeros((2, 3, 4))
    maps[0, :, 1] = 1.0  # all in column 1
    maps[1] = 1.0  # even
    centres = np.array([-300.0, -50.0, 50.0, 300.0])
    np.testing.assert_allclose(band_fraction(maps, centres, 100.0), [1.0, 0.5])
    assert band_fraction(np.zeros((3, 4)), centres, 100.0) == 0.0
    np.testing.assert_allclose(effective_patches(np.full((2, 4), 1 / 8)), 8.0)
    one_hot = np.zeros((2, 2))
    one_hot[0, 1] = 1.0
    np.testing.assert_allclose(effective_patches(one_hot), 1.0)
    truth = pd.DataFrame(
        {"gene_id": ["b", "b", "a", "a", "c", "c"], "log2_tpm": [1, 3, 0, 2, 5, 5.5]}
    )
    assert largest_range_genes(truth, 2) == ["a", "b"]  # equal ranges: by id
    assert largest_range_genes(truth, 5) == ["a", "b", "c"]


def assert_fails(argv: list[str], out: Path, fragment: str) -> None:
    with pytest.raises(RegflowError, match=fragment) as err:
        attention([*argv, "--outdir", str(out)])
    assert "\n" not in str(err.value)
    assert not out.exists() or not any(out.iterdir())


def test_unknown_gene(tiny, tmp_path):
    _, dataset, run_dir = tiny
    argv = ["--run", str(run_dir), "--dataset", str(dataset), "--genes", "G003,NOPE"]
    assert_fails(argv, tmp_path / "out", "gene NOPE has no example in .*examples.tsv")


def test_run_of_other_images(tiny, tmp_path):
    _, _, run_dir = tiny
    wider = write_dataset(tmp_path, width=24)
    argv = ["--run", str(run_dir), "--dataset", str(wider)]
    assert_fails(argv, tmp_path / "out", "does not fit dataset .*8 x 24 images")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("model.safetensors", "model weights .*model.safetensors do not exist"),
        ("config.yaml", "run config .*config.yaml does not exist"),
        ("predictions.tsv", "run predictions .*predictions.tsv does not exist"),
    ],
)
def test_missing_run_files(tiny, tmp_path, missing, message):
    root, dataset, _ = tiny
    run_dir = write_tiny_run(tmp_path / "run", dataset, SETTINGS)
    (run_dir / missing).unlink()
    argv = ["--run", str(run_dir), "--dataset", str(dataset)]
    assert_fails(argv, tmp_path / "out", message)


def test_predictions_of_another_dataset(tiny, tmp_path):
    _, dataset, _ = tiny
    run_dir = write_tiny_run(tmp_path / "run", dataset, SETTINGS)
    table = pd.read_csv(run_dir / "predictions.tsv", sep="\t")
    table.iloc[:-1].to_csv(run_dir / "predictions.tsv", sep="\t", index=False)
    argv = ["--run", str(run_dir), "--dataset", str(dataset)]
    assert_fails(argv, tmp_path / "out", "are not of the examples of dataset .*no prediction")


def test_bad_options(tiny, tmp_path):
    _, dataset, run_dir = tiny
    argv = ["--run", str(run_dir), "--dataset", str(dataset)]
    assert_fails([*argv, "--discard-ratio", "1.5"], tmp_path / "out", "--discard-ratio")
    assert_fails([*argv, "--n-genes", "0"], tmp_path / "out", "--n-genes")
    assert_fails([*argv, "--genes", " , "], tmp_path / "out", "--genes names no gene")
