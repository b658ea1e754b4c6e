"""Train the bias-factorised ChromBPNet: a bias model on non-peaks, then the accessibility
model with the bias frozen (after Pampari et al., ChromBPNet).

Both phases use one fold of the chromosome folds in ``regions.tsv``. The bias model sees
non-peaks whose total counts lie below ``factor`` x the 1% quantile of peak counts (the
reference's rule, so that it learns the enzyme's preference, not TF footprints) and must pass
the bias QC: count Pearson > 0 in non-peaks, not strongly negative in peaks. The accessibility
model trains on peaks plus a share of non-peaks; its profile logits are added to the frozen
bias model's and the counts combined by logsumexp. Metrics are taken on the test chromosomes;
with a Tn5 motif given, marginal footprints show what each model learned of the enzyme's bias.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger("regflow.train")

DATASET_KEYS = ("in_len", "out_len", "jitter")
FOOTPRINT_BACKGROUNDS = 256


def read_motif_table(path: Path) -> np.ndarray:
    """A position x base probability table (columns A, C, G, T; e.g. the simulator's
    ``truth/tn5_bias.tsv``) as ``(w, 4)`` float64 rows normalised to sum 1."""
    from regflow.datasets.io import read_table

    table = read_table(Path(path), "Tn5 motif table", index_col=None)
    missing = [b for b in "ACGT" if b not in table.columns]
    if missing or table.empty:
        raise RegflowError(f"Tn5 motif table {path} needs columns A, C, G, T and rows")
    matrix = table[list("ACGT")].to_numpy(dtype=np.float64)
    if (matrix < 0).any() or (matrix.sum(axis=1) <= 0).any():
        raise RegflowError(f"Tn5 motif table {path} has negative or all-zero rows")
    return matrix / matrix.sum(axis=1, keepdims=True)


def fold_column(regions: pd.DataFrame, fold: int, path: Path) -> np.ndarray:
    """The train/val/test label of every region in fold ``fold``."""
    column = f"fold_{fold}"
    if column not in regions.columns:
        folds = [c for c in regions.columns if c.startswith("fold_")]
        raise RegflowError(f"{path} has no {column} (folds: {', '.join(folds) or 'none'})")
    return regions[column].to_numpy().astype(str)


def bias_regions(
    is_peak: np.ndarray, totals: np.ndarray, split: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Training and validation masks of the bias model's non-peaks, and the count threshold.

    The threshold is ``factor`` x the 1% quantile of the counts of training and validation
    peaks; non-peaks at or above it are left out (they carry real accessibility).
    """
    from regflow.datasets.chrombpnet import bias_threshold

    fit_peaks = is_peak & np.isin(split, ("train", "val"))
    if not fit_peaks.any():
        raise RegflowError("no training or validation peaks to set the bias threshold from")
    threshold = float(bias_threshold(totals[fit_peaks], factor))
    quiet = ~is_peak & (totals < threshold)
    return quiet & (split == "train"), quiet & (split == "val"), threshold


def accessibility_regions(
    is_peak: np.ndarray, split: np.ndarray, name: str, nonpeak_ratio: float, seed: int
) -> np.ndarray:
    """Peaks of one split plus a seeded random ``nonpeak_ratio`` x as many of its non-peaks."""
    peaks = is_peak & (split == name)
    nonpeaks = np.flatnonzero(~is_peak & (split == name))
    n = min(len(nonpeaks), int(round(nonpeak_ratio * peaks.sum())))
    chosen = np.random.default_rng(seed).choice(nonpeaks, size=n, replace=False)
    mask = peaks.copy()
    mask[chosen] = True
    return mask


def centred(array: np.ndarray, width: int) -> np.ndarray:
    """The central ``width`` positions of ``array`` (N, L[, 4]) along axis 1."""
    start = (array.shape[1] - width) // 2
    return array[:, start : start + width]


def region_metrics(
    counts: np.ndarray, logits: np.ndarray, log_counts: np.ndarray, groups: dict[str, np.ndarray]
) -> dict[str, dict]:
    """Count Pearson/Spearman and profile JSD per group of regions (e.g. peaks, non-peaks)."""
    from regflow.evaluate.profile import count_metrics, profile_metrics, softmax_profile

    out = {}
    for name, mask in groups.items():
        if mask.sum() < 3:
            continue
        out[name] = {
            **{
                f"count_{k}": v
                for k, v in count_metrics(counts[mask].sum(1), log_counts[mask]).items()
            },
            **{
                f"profile_{k}": v
                for k, v in profile_metrics(counts[mask], softmax_profile(logits[mask])).items()
            },
        }
    return out


def footprints(predictors: dict, backgrounds: np.ndarray, motif: np.ndarray, out_len: int):
    """Marginal footprint score and count effect of ``motif`` for each named predictor."""
    from regflow.evaluate.footprint import marginal_footprint

    out = {}
    for name, predict in predictors.items():
        result = marginal_footprint(predict, backgrounds, motif, out_len, both_strands=True)
        out[name] = {
            "footprint_score": float(result["footprint_score"]),
            "count_effect": float(result["count_effect"]),
        }
    return out


class _Data:
    """A ChromBPNet dataset directory: arrays, regions, fold and lengths, checked once."""

    def __init__(self, dataset_dir: Path, fold: int, model: dict) -> None:
        from regflow.datasets.io import read_table
        from regflow.io import read_json_object, read_npz
        from regflow.models.bpnet import required_input_length

        dataset_dir = Path(dataset_dir)
        self.npz = dataset_dir / "dataset.npz"
        self.regions_path = dataset_dir / "regions.tsv"
        arrays = read_npz(self.npz, ("sequences", "counts", "is_peak"), "ChromBPNet dataset")
        self.sequences, self.counts = arrays["sequences"], arrays["counts"].astype(np.float32)
        self.is_peak = arrays["is_peak"].astype(bool)
        self.regions = read_table(self.regions_path, "ChromBPNet regions", index_col=None)
        if len(self.regions) != len(self.counts):
            raise RegflowError(
                f"{self.regions_path} has {len(self.regions)} regions, {self.npz} has "
                f"{len(self.counts)}"
            )
        record_path = dataset_dir / "dataset.json"
        settings = read_json_object(record_path, "dataset record").get("settings", {})
        missing = [k for k in DATASET_KEYS if k not in settings]
        if missing:
            raise RegflowError(f"ChromBPNet dataset record {record_path} lacks {missing}")
        self.in_len, self.out_len, self.jitter = (int(settings[k]) for k in DATASET_KEYS)
        if model["out_len"] != self.out_len:
            raise RegflowError(
                f"model out_len {model['out_len']} differs from the dataset's {self.out_len} "
                f"({record_path})"
            )
        need = required_input_length(
            self.out_len,
            model["accessibility"]["layers"],
            model["conv1_kernel"],
            model["profile_kernel"],
        )
        if self.in_len < need:
            raise RegflowError(
                f"the dataset's input length {self.in_len} ({record_path}) is shorter than "
                f"the {need} bp the accessibility model needs"
            )
        self.split = fold_column(self.regions, fold, self.regions_path)
        self.totals = self.regions["total_counts"].to_numpy(dtype=np.float64)

    def regions_dataset(self, mask: np.ndarray, augment: bool):
        from regflow.train.data import JitteredRegions

        return JitteredRegions(
            self.sequences[mask],
            self.counts[mask],
            self.in_len,
            self.out_len,
            self.jitter,
            augment,
        )

    def centred_inputs(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unjittered sequences (n, in_len, 4) and counts (n, out_len) of the masked regions."""
        return (
            centred(self.sequences[mask], self.in_len).astype(np.float32),
            centred(self.counts[mask], self.out_len),
        )


def bpnet_from_settings(model: dict, which: str):
    """The ``which`` BPNet (``accessibility`` or ``bias``) of a run's ``model`` settings."""
    from regflow.models.bpnet import BPNet, BPNetConfig

    try:
        config = BPNetConfig.from_dict(
            {
                **model[which],
                "conv1_kernel": model["conv1_kernel"],
                "profile_kernel": model["profile_kernel"],
                "out_len": model["out_len"],
            }
        )
    except ValueError as err:
        raise RegflowError(f"chrombpnet size, {which} model: {err}") from None
    return BPNet(config)


def start_counts(model, totals: np.ndarray) -> None:
    """Start the count head at the mean log(1 + count) of its training regions (in place).

    From a zero start the count loss first spends its epochs moving the output to the data's
    level; a tiny model on a few hundred regions then stops early before it learns how
    counts vary with sequence.
    """
    import torch

    with torch.no_grad():
        model.count_linear.bias.fill_(float(np.log1p(totals).mean()))


def _predictions(data: _Data, mask: np.ndarray, outputs: dict[str, tuple]) -> pd.DataFrame:
    """One row per region: its split, kind, observed total and each model's predicted total."""
    table = data.regions.loc[mask, ["name", "chrom", "centre", "kind"]].reset_index(drop=True)
    table["split"] = data.split[mask]
    table["observed_counts"] = data.totals[mask]
    for name, (_, log_counts) in outputs.items():
        table[f"predicted_counts_{name}"] = np.expm1(np.clip(log_counts, None, 50))
    return table


def _fit(make_task, data, train_mask, val_mask, settings, outdir, phase, extra_files):
    """Build the loaders, then the task for their steps per epoch, and train it."""
    from regflow.train.common import loaders
    from regflow.train.device import plan_and_announce
    from regflow.train.engine import fingerprint, fit

    optim, trainer_cfg = settings["optim"], settings["trainer"]
    plan = plan_and_announce(trainer_cfg)
    train_loader, val_loader = loaders(
        data.regions_dataset(train_mask, augment=True),
        data.regions_dataset(val_mask, augment=False),
        optim["batch_size"],
        trainer_cfg["num_workers"],
        trainer_cfg["seed"],
    )
    task = make_task(len(train_loader))
    key = fingerprint(settings, [data.npz, data.regions_path, *extra_files])
    result = fit(
        task,
        train_loader,
        val_loader,
        Path(outdir) / "checkpoints" / phase,
        key,
        trainer_cfg,
        optim,
        plan,
    )
    return result, plan


def run_bias(
    dataset_dir: Path, settings: dict, outdir: Path, tn5_motif: Path | None = None
) -> dict:
    """Train, QC and write the bias model of one fold; a failed QC raises, writing nothing."""
    import torch

    from regflow.evaluate.footprint import torch_predictor
    from regflow.models.bpnet import counts_loss_weight
    from regflow.train.common import Stopwatch, remove_checkpoints
    from regflow.train.engine import load_weights
    from regflow.train.outputs import write_run
    from regflow.train.tasks import ProfileTask

    model_cfg = settings["model"]
    data = _Data(dataset_dir, settings["fold"], model_cfg)
    train, val, threshold = bias_regions(
        data.is_peak, data.totals, data.split, settings["bias_threshold_factor"]
    )
    if train.sum() < 10 or val.sum() < 2:
        raise RegflowError(
            f"only {train.sum()} training / {val.sum()} validation non-peaks lie below the bias "
            f"count threshold {threshold:.1f} ({data.regions_path}); raise "
            "chrombpnet.bias_threshold_factor or add non-peaks"
        )
    motif = read_motif_table(tn5_motif) if tn5_motif else None
    torch.manual_seed(settings["trainer"]["seed"])
    bias = bpnet_from_settings(model_cfg, "bias")
    start_counts(bias, data.totals[train])
    weight = counts_loss_weight(data.totals[train])
    with Stopwatch() as clock:
        result, plan = _fit(
            lambda steps: ProfileTask(bias, settings["optim"], steps, weight),
            data,
            train,
            val,
            settings,
            outdir,
            "bias",
            [],
        )
    if not result.global_zero:
        return {}
    load_weights(bias, result.best_checkpoint)
    device = "cuda" if plan.accelerator == "gpu" else "cpu"
    predict = torch_predictor(bias.to(device), settings["optim"]["batch_size"], device)
    test = data.split == "test"
    x, counts = data.centred_inputs(test)
    logits, log_counts = predict(x)
    is_peak = data.is_peak[test]
    metrics = {
        "model": "chrombpnet_bias",
        "fold": settings["fold"],
        "count_threshold": threshold,
        "counts_loss_weight": weight,
        "regions": {"train_nonpeaks": int(train.sum()), "val_nonpeaks": int(val.sum())},
        "test": region_metrics(
            counts, logits, log_counts, {"peaks": is_peak, "nonpeaks": ~is_peak}
        ),
        "device": plan.as_dict(),
        "epochs": result.epochs,
        "resumed_from_epoch": result.resumed_from_epoch,
        "train_seconds": clock.seconds,
    }
    qc = bias_qc(metrics["test"], settings["bias_qc"])
    metrics["qc"] = qc
    if motif is not None:
        backgrounds = x[~is_peak][:FOOTPRINT_BACKGROUNDS]
        metrics["tn5_footprint"] = footprints({"bias": predict}, backgrounds, motif, data.out_len)
    if not qc["passed"]:
        # a failed model is not worth resuming: the rerun after a settings change starts afresh
        remove_checkpoints(outdir)
        raise RegflowError(f"bias model QC failed for fold {settings['fold']}: {qc['reason']}")
    table = _predictions(data, test, {"bias": (logits, log_counts)})
    write_run(outdir, bias.state_dict(), settings, metrics, table, result.history, "bias model")
    remove_checkpoints(outdir)
    return metrics


def bias_qc(test_metrics: dict, thresholds: dict) -> dict:
    """The reference's bias checks on the test chromosomes: count Pearson in non-peaks above
    ``min_nonpeak_pearson`` and in peaks above ``min_peak_pearson`` (not strongly negative)."""
    nonpeak = test_metrics.get("nonpeaks", {}).get("count_pearson", float("nan"))
    peak = test_metrics.get("peaks", {}).get("count_pearson", float("nan"))
    problems = []
    if not nonpeak > thresholds["min_nonpeak_pearson"]:
        problems.append(
            f"count Pearson in test non-peaks {nonpeak:.3f} <= {thresholds['min_nonpeak_pearson']}"
            " (the bias model did not learn the enzyme's preference)"
        )
    if not peak > thresholds["min_peak_pearson"]:
        problems.append(
            f"count Pearson in test peaks {peak:.3f} <= {thresholds['min_peak_pearson']}"
            " (the bias model learned anti-correlated signal; lower bias_threshold_factor)"
        )
    return {
        "nonpeak_count_pearson": nonpeak,
        "peak_count_pearson": peak,
        "passed": not problems,
        "reason": "; ".join(problems),
    }


def run_accessibility(
    dataset_dir: Path,
    settings: dict,
    bias_dir: Path,
    outdir: Path,
    tn5_motif: Path | None = None,
) -> dict:
    """Train the accessibility model of one fold with its frozen bias model; write the run
    and ``profiles.npz`` (corrected and uncorrected predicted counts per base at every peak)."""
    import torch
    from safetensors.torch import load_file

    from regflow.evaluate.footprint import torch_predictor
    from regflow.io import npz_writer
    from regflow.models.bpnet import ChromBPNet, counts_loss_weight
    from regflow.train.common import Stopwatch, remove_checkpoints
    from regflow.train.engine import load_weights
    from regflow.train.outputs import write_run
    from regflow.train.tasks import ProfileTask

    model_cfg = settings["model"]
    data = _Data(dataset_dir, settings["fold"], model_cfg)
    weights = Path(bias_dir) / "model.safetensors"
    if not weights.is_file():
        raise RegflowError(f"bias model weights {weights} do not exist")
    bias = bpnet_from_settings(model_cfg, "bias")
    try:
        bias.load_state_dict(load_file(str(weights)))
    except RuntimeError as err:
        raise RegflowError(
            f"bias weights {weights} do not fit the configured bias model: {err}"
        ) from None
    seed = settings["trainer"]["seed"]
    ratio = settings["nonpeak_ratio"]
    train = accessibility_regions(data.is_peak, data.split, "train", ratio, seed)
    val = accessibility_regions(data.is_peak, data.split, "val", ratio, seed + 1)
    if not (data.is_peak & train).any() or not (data.is_peak & val).any():
        raise RegflowError(f"fold {settings['fold']} has no training or validation peaks")
    motif = read_motif_table(tn5_motif) if tn5_motif else None
    torch.manual_seed(seed)
    accessibility = bpnet_from_settings(model_cfg, "accessibility")
    start_counts(accessibility, data.totals[train & data.is_peak])
    model = ChromBPNet(accessibility, bias)
    weight = counts_loss_weight(data.totals[train & data.is_peak])
    with Stopwatch() as clock:
        result, plan = _fit(
            lambda steps: ProfileTask(model, settings["optim"], steps, weight),
            data,
            train,
            val,
            settings,
            outdir,
            "accessibility",
            [weights],
        )
    if not result.global_zero:
        return {}
    load_weights(model, result.best_checkpoint)
    device = "cuda" if plan.accelerator == "gpu" else "cpu"
    model.to(device)
    batch = settings["optim"]["batch_size"]
    predictors = {
        "uncorrected": torch_predictor(model, batch, device),
        "corrected": torch_predictor(model, batch, device, method="forward_corrected"),
        "bias": torch_predictor(model.bias, batch, device),
    }
    scored = (data.split == "test") | data.is_peak
    x, counts = data.centred_inputs(scored)
    outputs = {name: predict(x) for name, predict in predictors.items()}
    test = data.split[scored] == "test"
    is_peak = data.is_peak[scored]
    groups = {"peaks": test & is_peak, "nonpeaks": test & ~is_peak}
    metrics = {
        "model": "chrombpnet",
        "fold": settings["fold"],
        "counts_loss_weight": weight,
        "regions": {
            "train": int(train.sum()),
            "val": int(val.sum()),
            "train_peaks": int((train & data.is_peak).sum()),
        },
        "test": {
            name: region_metrics(counts, logits, log_counts, groups)
            for name, (logits, log_counts) in outputs.items()
        },
        "device": plan.as_dict(),
        "epochs": result.epochs,
        "resumed_from_epoch": result.resumed_from_epoch,
        "train_seconds": clock.seconds,
    }
    if motif is not None:
        backgrounds = x[test & ~is_peak][:FOOTPRINT_BACKGROUNDS]
        metrics["tn5_footprint"] = footprints(predictors, backgrounds, motif, data.out_len)
    peaks = data.is_peak[scored]
    names = data.regions.loc[scored, "name"].to_numpy()[peaks]
    chroms = data.regions.loc[scored, "chrom"].to_numpy()[peaks]
    starts = data.regions.loc[scored, "centre"].to_numpy()[peaks] - data.out_len // 2

    def expected(name: str) -> np.ndarray:
        from regflow.evaluate.profile import softmax_profile

        logits, log_counts = outputs[name]
        total = np.expm1(np.clip(log_counts[peaks], 0, 50))[:, None]
        return (softmax_profile(logits[peaks]) * total).astype(np.float32)  # (P, out_len)

    profiles = npz_writer(
        {
            "names": names.astype(str),
            "chroms": chroms.astype(str),
            "starts": starts.astype(np.int64),
            "corrected": expected("corrected"),
            "uncorrected": expected("uncorrected"),
        }
    )
    table = _predictions(data, scored, outputs)
    write_run(
        outdir,
        model.state_dict(),
        settings,
        metrics,
        table,
        result.history,
        "ChromBPNet (accessibility, bias frozen)",
        extra={Path(outdir) / "profiles.npz": profiles},
    )
    remove_checkpoints(outdir)
    return metrics
