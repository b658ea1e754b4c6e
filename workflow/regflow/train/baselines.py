"""The papers' non-deep baselines on the same datasets and splits as the models.

- Chromatin ViT: Gaussian-process regression on summary chromatin features of the time-point
  image and of the first channel's image (the chromatin-transformers paper's baseline).
- GET: a random forest (10 trees, depth 10) on each peak's own features (the GET paper's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regflow.io import write_outputs


def write_baseline(outdir: Path, metrics: dict, predictions: pd.DataFrame) -> None:
    """``metrics.json`` and ``predictions.tsv`` of a baseline (all or none)."""
    import json

    outdir = Path(outdir)
    write_outputs(
        {
            outdir / "metrics.json": lambda tmp: Path(tmp).write_text(
                json.dumps(metrics, indent=2) + "\n", encoding="utf-8"
            ),
            outdir / "predictions.tsv": lambda tmp: predictions.to_csv(
                tmp, sep="\t", index=False, float_format="%.6g"
            ),
        }
    )


def run_vit_gp(
    dataset_dir: Path,
    first_channel: str | None,
    seed: int,
    outdir: Path,
    max_train: int = 800,
    restarts: int = 0,
) -> dict:
    """GP on summary features of (time point, first channel) images -> log2(TPM + 1)."""
    from regflow.baselines.chromatin_features import summary_features
    from regflow.baselines.gp import fit_predict_gp
    from regflow.datasets.io import read_table
    from regflow.evaluate.regression import regression_metrics
    from regflow.io import read_npz
    from regflow.train.vit import select_examples

    keys = ("images_raw", "targets", "conditions", "origin", "length_edges", "position_edges")
    data = read_npz(Path(dataset_dir) / "dataset.npz", keys, "ViT dataset")
    examples = read_table(Path(dataset_dir) / "examples.tsv", "ViT examples", index_col=None)
    conditions = [str(c) for c in data["conditions"]]
    variant = {"channels": 1 if first_channel is None else 2, "first_channel": first_channel}
    examples, first = select_examples(examples, conditions, variant)
    per_condition = [
        summary_features(
            data["images_raw"][:, j], data["length_edges"], data["position_edges"], data["origin"]
        )
        for j in range(len(conditions))
    ]
    names = per_condition[0][1]
    g = examples["gene_index"].to_numpy()
    c = examples["condition_index"].to_numpy()
    stacked = np.stack([f for f, _ in per_condition])  # (n_conditions, n_genes, F)
    x = stacked[c, g]
    if first is not None:
        x = np.hstack([x, stacked[first, g]])
        names = names + [f"first_{n}" for n in names]
    y = data["targets"][g, c].astype(np.float64)
    fit_rows = (examples["split"] == "train").to_numpy()
    test = (examples["split"] == "test").to_numpy()
    pred = np.full(len(examples), np.nan)
    pred[test] = fit_predict_gp(x[fit_rows], y[fit_rows], x[test], seed, max_train, restarts)
    predictions = examples.loc[test, ["gene_id", "condition", "split"]].assign(
        log2_tpm=y[test], predicted_log2_tpm=pred[test]
    )
    test_metrics = regression_metrics(y[test], pred[test])
    metrics = {
        "model": "gaussian_process",
        "features": names,
        "first_channel": first_channel,
        "metric_scale": "log2(TPM + 1)",
        "splits": {"test": test_metrics},
        "test_r2": test_metrics["r2"],
        "train_examples": int(min(fit_rows.sum(), max_train)),
    }
    write_baseline(outdir, metrics, predictions)
    return metrics


def run_get_forest(dataset_dir: Path, seed: int, outdir: Path) -> dict:
    """Random forest on per-peak features -> per-strand log10(TPM + 1), GET's splits."""
    from regflow.baselines.forest import fit_predict_forest
    from regflow.datasets.io import read_table
    from regflow.io import read_npz
    from regflow.train.get import (
        METRIC_SCALE,
        check_shapes,
        check_splits,
        tss_metrics,
        tss_table,
    )

    keys = ("features", "labels", "is_tss", "peak_ids", "chroms", "conditions")
    npz = Path(dataset_dir) / "dataset.npz"
    data = read_npz(npz, keys, "GET dataset")
    check_shapes(data, npz)
    splits = read_table(Path(dataset_dir) / "splits.tsv", "GET splits", index_col=None)
    conditions = [str(c) for c in data["conditions"]]
    chroms = data["chroms"].astype(str)
    check_splits(splits, conditions, chroms, Path(dataset_dir) / "splits.tsv")
    split_of = splits.set_index(["condition", "chrom"])["split"]
    peak_split = np.array(
        [[split_of[(c, k)] for k in chroms] for c in conditions]
    )  # (n_conditions, n_peaks)
    train = peak_split == "train"
    features, labels = data["features"], data["labels"]  # (C, P, F), (C, P, 2)
    predicted = fit_predict_forest(
        features[train], labels[train], features.reshape(-1, features.shape[2]), seed
    ).reshape(labels.shape)
    table = tss_table(
        predicted, labels, data["is_tss"], data["peak_ids"], chroms, conditions, splits
    )
    metrics = {
        "model": "random_forest",
        "metric_scale": METRIC_SCALE,
        "splits": tss_metrics(table, splits),
    }
    metrics["heldout_condition_pearson"] = (
        metrics["splits"].get("test_condition", {}).get("pearson")
    )
    write_baseline(outdir, metrics, table)
    return metrics
