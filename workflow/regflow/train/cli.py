"""``regflow train ...``: train a model on a ``regflow datasets`` directory.

``vit``, ``get``, ``seqtrack``, ``chrombpnet-bias`` and ``chrombpnet`` take their resolved
settings as one JSON object (model size, optimiser, trainer, and the model's own options; the
workflow builds it from ``config.yaml``) and write into ``--outdir``: ``model.safetensors``,
``config.yaml``, ``metrics.json``, ``predictions.tsv``, ``history.tsv`` and ``curves.png``.
A killed run leaves
checkpoints in ``--outdir/checkpoints/``; rerunning the same command resumes from them.
``vit-gp`` and ``get-forest`` fit the papers' baselines on the same splits (``metrics.json``,
``predictions.tsv``). ``chrombpnet`` also writes ``profiles.npz`` (predicted insertions per
base at every peak, bias-corrected and not) and ``seqtrack-table`` gathers the sequence models'
test Pearson per assay into one table.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from regflow.errors import RegflowError

REQUIRED = {
    "vit": ("model", "variant", "optim", "trainer"),
    "get": ("model", "optim", "trainer", "window", "train_stride", "pretrain", "lora"),
    "seqtrack": ("name", "model", "optim", "trainer"),
    "chrombpnet-bias": ("model", "fold", "optim", "trainer", "bias_threshold_factor", "bias_qc"),
    "chrombpnet": ("model", "fold", "optim", "trainer", "nonpeak_ratio"),
}
OPTIM = ("lr", "weight_decay", "batch_size", "max_epochs", "patience", "warmup_fraction")
TRAINER = (
    "accelerator",
    "devices",
    "strategy",
    "precision",
    "num_workers",
    "progress_bar",
    "tensorboard",
    "seed",
)


def add_parser(subparsers) -> None:
    """Register ``train`` with its subcommands."""
    parser = subparsers.add_parser("train", help="train models and baselines on datasets")
    sub = parser.add_subparsers(dest="train_command", required=True)
    for name, text in (
        ("vit", "the dual-channel chromatin ViT on MNase images"),
        ("get", "the GET-style regulatory-element transformer on peak windows"),
    ):
        model = sub.add_parser(name, help=text)
        model.add_argument("--dataset", required=True, type=Path, help="datasets directory")
        model.add_argument("--settings", required=True, help="resolved settings, a JSON object")
        model.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
        model.add_argument("--outdir", required=True, type=Path)
        model.set_defaults(func=run_model, model_name=name)

    seq = sub.add_parser("seqtrack", help="a sequence-to-track model (CNNs, Enformer, 1D-Swin)")
    seq.add_argument("--dataset", required=True, type=Path, help="datasets directory")
    seq.add_argument("--settings", required=True, help="resolved settings, a JSON object")
    seq.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    seq.add_argument(
        "--shuffle-targets",
        action="store_true",
        help="control run: training windows' targets permuted among windows",
    )
    seq.add_argument("--outdir", required=True, type=Path)
    seq.set_defaults(func=run_model, model_name="seqtrack")

    table = sub.add_parser("seqtrack-table", help="test Pearson per assay of several runs")
    table.add_argument("--metrics", nargs="+", required=True, type=Path)
    table.add_argument("--output", required=True, type=Path)
    table.set_defaults(func=run_seqtrack_table)

    for name, text in (
        ("chrombpnet-bias", "ChromBPNet's bias model on low-count non-peaks, with its QC"),
        ("chrombpnet", "ChromBPNet's accessibility model with the bias model frozen"),
    ):
        bpnet = sub.add_parser(name, help=text)
        bpnet.add_argument("--dataset", required=True, type=Path, help="datasets directory")
        bpnet.add_argument("--settings", required=True, help="resolved settings, a JSON object")
        bpnet.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
        bpnet.add_argument(
            "--tn5-motif", type=Path, help="Tn5 bias PWM table (A C G T columns) to footprint"
        )
        if name == "chrombpnet":
            bpnet.add_argument("--bias", required=True, type=Path, help="the bias run's folder")
        bpnet.add_argument("--outdir", required=True, type=Path)
        bpnet.set_defaults(func=run_model, model_name=name)

    gp = sub.add_parser("vit-gp", help="Gaussian-process baseline of the chromatin ViT")
    gp.add_argument("--dataset", required=True, type=Path)
    gp.add_argument("--first-channel", help="condition of the baseline features (none: single)")
    gp.add_argument("--seed", type=int, default=1)
    gp.add_argument(
        "--max-train", type=int, default=800, help="training examples subsampled (O(n^3) fit)"
    )
    gp.add_argument("--restarts", type=int, default=0, help="extra optimiser restarts")
    gp.add_argument("--outdir", required=True, type=Path)
    gp.set_defaults(func=run_vit_gp)

    forest = sub.add_parser("get-forest", help="random-forest baseline of the GET model")
    forest.add_argument("--dataset", required=True, type=Path)
    forest.add_argument("--seed", type=int, default=1)
    forest.add_argument("--outdir", required=True, type=Path)
    forest.set_defaults(func=run_get_forest)


def parse_settings(text: str, model: str) -> dict:
    """The ``--settings`` JSON object, with the keys the model's trainer reads."""
    from regflow.io import json_object

    settings = json_object(text, "--settings")
    for where, keys in (
        ("", REQUIRED[model]),
        ("optim.", OPTIM),
        ("trainer.", TRAINER),
    ):
        block = settings if not where else settings.get(where.rstrip("."), {})
        missing = [k for k in keys if k not in block]
        if missing:
            raise RegflowError(f"--settings lacks {', '.join(where + k for k in missing)}")
    return settings


def configure_logging() -> None:
    """Progress lines on stderr (the rule's log), the device banner among them."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")


def run_model(args: argparse.Namespace) -> None:
    import torch

    settings = parse_settings(args.settings, args.model_name)
    if args.threads < 1:
        raise RegflowError(f"--threads must be >= 1, got {args.threads}")
    configure_logging()
    torch.set_num_threads(args.threads)
    if args.model_name == "vit":
        from regflow.train.vit import run
    elif args.model_name == "get":
        from regflow.train.get import run
    elif args.model_name == "seqtrack":
        from regflow.train.seqtrack import run as fit

        def run(dataset, settings, outdir):
            return fit(dataset, settings, outdir, shuffle_targets=args.shuffle_targets)
    elif args.model_name == "chrombpnet-bias":
        from regflow.train.chrombpnet import run_bias

        def run(dataset, settings, outdir):
            return run_bias(dataset, settings, outdir, args.tn5_motif)
    else:
        from regflow.train.chrombpnet import run_accessibility

        def run(dataset, settings, outdir):
            return run_accessibility(dataset, settings, args.bias, outdir, args.tn5_motif)

    metrics = run(args.dataset, settings, args.outdir)
    if metrics:
        summary = metrics.get("splits", metrics.get("test"))
        logging.getLogger("regflow.train").info("metrics: %s", json.dumps(summary))


def run_seqtrack_table(args: argparse.Namespace) -> None:
    from regflow.train.seqtrack import write_pearson_table

    table = write_pearson_table(args.metrics, args.output)
    print(table.to_string(index=False))


def run_vit_gp(args: argparse.Namespace) -> None:
    from regflow.train.baselines import run_vit_gp as fit

    configure_logging()
    metrics = fit(
        args.dataset, args.first_channel, args.seed, args.outdir, args.max_train, args.restarts
    )
    logging.getLogger("regflow.train").info("test: %s", json.dumps(metrics["splits"]["test"]))


def run_get_forest(args: argparse.Namespace) -> None:
    from regflow.train.baselines import run_get_forest as fit

    configure_logging()
    metrics = fit(args.dataset, args.seed, args.outdir)
    logging.getLogger("regflow.train").info("metrics: %s", json.dumps(metrics["splits"]))
