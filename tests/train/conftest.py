"""Tiny synthetic datasets for the training tests, with targets a model can learn.

ViT: a ``regflow mnase images``-like ``.npz`` whose log2(TPM + 1) target rises with the
brightness of a band of nucleosomal rows around the TSS, turned into a dataset directory by
``regflow datasets vit``. GET: a dataset directory written directly (the arrays and tables
``regflow datasets get`` writes) whose TSS labels are a function of each peak's accessibility.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main

# ViT images: 8 rows (4 TF-sized, 4 nucleosomal length bins) x 32 columns of 16 bp over
# [-256, 256) bp from the TSS
LENGTH_EDGES = np.array(
    [[45, 56], [56, 67], [67, 78], [78, 90], [140, 155], [155, 170], [170, 185], [185, 201]],
    dtype=np.float64,
)
POSITION_EDGES = np.arange(0, 16 * 33, 16, dtype=np.int64)
VIT_CONDITIONS = ("0min", "t1", "t2", "t3")
VIT_TRAIN, VIT_TEST = ["t1", "t2"], ["t3"]

VIT_SETTINGS = {
    "model": {
        "patch": 4,
        "dim": 16,
        "depth": 1,
        "heads": 2,
        "mlp_dim": 32,
        "dropout": 0.0,
        "head_hidden": 16,
    },
    "variant": {
        "name": "transformer2_0min",
        "channels": 2,
        "first_channel": "0min",
        "shared_trunk": False,
        "target": "absolute",
    },
    "optim": {
        "lr": 0.005,
        "weight_decay": 0.0,
        "batch_size": 16,
        "max_epochs": 15,
        "patience": 100,
        "warmup_fraction": 0.1,
    },
    "trainer": {
        "accelerator": "auto",
        "devices": 1,
        "strategy": "auto",
        "precision": "auto",
        "num_workers": 0,
        "progress_bar": False,
        "tensorboard": False,
        "seed": 1,
    },
}

# GET: 4 chromosomes of 48 peaks, two conditions (cB held out), chr3 validates, chr4 tests
GET_CHROMS = ("chr1", "chr2", "chr3", "chr4")
GET_PEAKS_PER_CHROM = 48
GET_CONDITIONS = ("cA", "cB")
GET_WINDOW = 8
GET_N_MOTIFS = 3

GET_SETTINGS = {
    "model": {"dim": 16, "depth": 1, "heads": 2, "mlp_dim": 32, "dropout": 0.0},
    "optim": {
        "lr": 0.01,
        "weight_decay": 0.0,
        "batch_size": 8,
        "max_epochs": 25,
        "patience": 100,
        "warmup_fraction": 0.1,
    },
    "trainer": copy.deepcopy(VIT_SETTINGS["trainer"]),
    "window": GET_WINDOW,
    "train_stride": 1,
    "pretrain": {"epochs": 0, "mask_ratio": 0.5, "lr": 0.005},
    "lora": {"rank": 0, "alpha": 8},
}


def settings_with(base: dict, **blocks) -> dict:
    """A deep copy of ``base`` with each keyword's dict merged into that block."""
    settings = copy.deepcopy(base)
    for block, values in blocks.items():
        if isinstance(settings.get(block), dict):
            settings[block].update(values)
        else:
            settings[block] = values
    return settings


def write_images(path: Path, n_genes: int = 60, seed: int = 0, noise: float = 0.1) -> Path:
    """An images ``.npz`` with the keys ``regflow mnase images`` writes; the target of gene g at
    condition c is ``1 + 4 b + noise`` where ``b`` in [0, 1) sets the brightness of the
    nucleosomal rows around the TSS (every gene's frame origin is 256 bp upstream)."""
    rng = np.random.default_rng(seed)
    n_cond = len(VIT_CONDITIONS)
    bright = rng.uniform(0.0, 1.0, (n_genes, n_cond))
    images = rng.exponential(0.5, (n_genes, n_cond, 8, 32)).astype(np.float32)
    images[:, :, 4:, 8:24] += (20.0 * bright)[:, :, None, None].astype(np.float32)
    targets = (1.0 + 4.0 * bright + rng.normal(0.0, noise, bright.shape)).astype(np.float32)
    meta = {"preset": "synthetic", "window": 512}
    np.savez_compressed(
        path,
        gene_ids=np.array([f"G{i:03d}" for i in range(n_genes)]),
        conditions=np.array(VIT_CONDITIONS),
        images=images,
        images_raw=images.copy(),
        targets=targets,
        anchor=np.full(n_genes, 120.0, dtype=np.float32),
        origin=np.full(n_genes, -256.0, dtype=np.float32),
        length_edges=LENGTH_EDGES,
        position_edges=POSITION_EDGES,
        meta=np.array(json.dumps(meta)),
    )
    return Path(path)


def build_vit_dataset(root: Path, **kw) -> Path:
    """``regflow datasets vit`` on :func:`write_images`; returns the dataset directory."""
    images = write_images(root / "images.npz", **kw)
    outdir = root / "vit_dataset"
    argv = ["datasets", "vit", "--images", str(images), "--outdir", str(outdir)]
    argv += ["--train-conditions", *VIT_TRAIN, "--test-conditions", *VIT_TEST]
    assert main(argv) == 0
    return outdir


def build_get_dataset(root: Path, seed: int = 0) -> Path:
    """A GET dataset directory: every third peak is a TSS (strands alternate); the label there
    is ``2 * accessibility`` (log10 scale), 0 elsewhere. Accessibility differs per condition,
    so the held-out condition is predictable only through it."""
    rng = np.random.default_rng(seed)
    n_chrom, per = len(GET_CHROMS), GET_PEAKS_PER_CHROM
    n_peaks, n_cond = n_chrom * per, len(GET_CONDITIONS)
    chroms = np.repeat(np.array(GET_CHROMS), per)
    starts = np.tile(np.arange(per) * 1000 + 100, n_chrom)
    peak_ids = np.array([f"{c}:{s}-{s + 200}" for c, s in zip(chroms, starts, strict=True)])
    is_tss = np.zeros((n_peaks, 2), dtype=bool)
    tss_peaks = np.arange(0, n_peaks, 3)
    is_tss[tss_peaks, np.arange(len(tss_peaks)) % 2] = True
    access = rng.uniform(0.0, 1.0, (n_cond, n_peaks)).astype(np.float32)
    labels = (2.0 * access[:, :, None] * is_tss[None]).astype(np.float32)
    motifs = np.broadcast_to(
        rng.uniform(0.0, 1.0, (n_peaks, GET_N_MOTIFS)).astype(np.float32),
        (n_cond, n_peaks, GET_N_MOTIFS),
    )
    tss_columns = np.broadcast_to(is_tss.astype(np.float32), (n_cond, n_peaks, 2))
    features = np.concatenate([motifs, tss_columns, access[:, :, None]], axis=2)
    from regflow.datasets.get import chromosome_splits, peak_windows

    windows = peak_windows(chroms, GET_WINDOW, GET_WINDOW // 2)
    splits = chromosome_splits(list(GET_CHROMS), list(GET_CONDITIONS), ["chr3"], ["chr4"], ["cB"])
    outdir = Path(root) / "get_dataset"
    outdir.mkdir(parents=True)
    names = [f"cluster{i}" for i in range(GET_N_MOTIFS)] + ["tss_plus", "tss_minus"]
    np.savez_compressed(
        outdir / "dataset.npz",
        features=features.astype(np.float32),
        labels=labels,
        is_tss=is_tss,
        peak_ids=peak_ids,
        chroms=chroms,
        conditions=np.array(GET_CONDITIONS),
        feature_names=np.array([*names, "accessibility"]),
        windows=windows,
    )
    splits.to_csv(outdir / "splits.tsv", sep="\t", index=False)
    return outdir


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    """One PyTorch thread, as ``regflow train --threads 1``: on a busy small machine several
    threads contend and training slows many-fold."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def vit_dataset(tmp_path_factory) -> Path:
    return build_vit_dataset(tmp_path_factory.mktemp("vit"))


@pytest.fixture(scope="session")
def get_dataset(tmp_path_factory) -> Path:
    return build_get_dataset(tmp_path_factory.mktemp("get"))


def read_run(outdir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """``metrics.json``, ``predictions.tsv`` and ``history.tsv`` of a finished run."""
    metrics = json.loads((Path(outdir) / "metrics.json").read_text())
    predictions = pd.read_csv(Path(outdir) / "predictions.tsv", sep="\t")
    history = pd.read_csv(Path(outdir) / "history.tsv", sep="\t")
    return metrics, predictions, history
