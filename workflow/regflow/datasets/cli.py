"""``regflow datasets ...``: model-ready datasets with recorded splits.

``regflow datasets vit`` writes, from the MNase images (with targets):

- ``dataset.npz``: the images' arrays the models and baselines use: ``images`` (n_genes,
  n_conditions, rows, 128) f4 smoothed CPM, ``images_raw``, ``targets`` (n_genes,
  n_conditions) log2(TPM + 1), ``gene_ids``, ``conditions``, ``origin``, ``length_edges``,
  ``position_edges`` (meanings as in ``regflow mnase images``);
- ``examples.tsv``: one row per (gene, condition) example with its split (train/val/test);
- ``dataset.json``: inputs, parameters and split sizes.

``regflow datasets get`` writes, from the consensus peaks, their motif-cluster matrix, the
pseudobulk logCPM per condition, the GTF and TPM per condition:

- ``dataset.npz``: ``features`` (n_conditions, n_peaks, n_clusters [+ 2] + 1) f4 (motif
  clusters, with ``--tss-feature`` a TSS indicator per strand, last accessibility),
  ``labels`` (n_conditions, n_peaks, 2) log10(TPM + 1) per strand, ``is_tss`` (n_peaks, 2),
  ``peak_ids``, ``chroms``, ``conditions``, ``feature_names``, ``windows``
  (n_windows, size) peak indices for evaluation (-1: padding);
- ``splits.tsv``: the split of each (condition, chromosome); ``tss.tsv``: TSS-peak matches;
- ``dataset.json``: inputs, parameters and split sizes.

``regflow datasets chrombpnet`` writes, from the genome, the cut-site (Tn5 insertion) bigWig and
the consensus peaks, ChromBPNet's peaks and GC-matched non-peaks (settings as a JSON object:
``in_len``, ``out_len``, ``jitter``, ``negative_ratio``, ``outlier_quantile``,
``nonpeak_step``, ``exclude_chromosomes``, ``folds``, ``seed``):

- ``dataset.npz``: ``sequences`` (n_regions, in_len + 2 jitter, 4) u1 one-hot ACGT,
  ``counts`` (n_regions, out_len + 2 jitter) f4 insertions per base, ``is_peak``, ``chroms``,
  ``centres``, all centred on the regions' centres;
- ``regions.tsv``: ``name``, ``chrom``, ``centre``, ``kind`` (peak/nonpeak), ``gc``,
  ``total_counts`` and the split of each fold (``fold_0`` ...);
- ``dataset.json``: inputs, settings, peaks kept and dropped, non-peak draws, GC, the bias
  model's count threshold and split sizes per fold.

``regflow datasets seqtrack`` writes, from the genome and bigWig tracks, tiled windows for
sequence-to-track models (settings: ``seq_len``, ``bin_size``, ``crop_bins``, ``stride``,
``max_shift``, ``val_chromosomes``, ``test_chromosomes``, ``exclude_chromosomes``):

- ``dataset.npz``: ``sequences`` (n_windows, seq_len + 2 max_shift, 4) u1, ``targets``
  (n_windows, seq_len / bin_size - 2 crop_bins, n_tracks) f4 mean track value per bin,
  ``track_names``, ``assays``;
- ``windows.tsv``: ``chrom``, ``start``, ``end``, ``split``; ``tracks.tsv``: ``name``,
  ``assay``, ``path``;
- ``dataset.json``: inputs, settings, shapes, split sizes and mean targets per track.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError


def add_parser(subparsers) -> None:
    """Register ``datasets`` with its subcommands."""
    parser = subparsers.add_parser("datasets", help="model-ready datasets with recorded splits")
    sub = parser.add_subparsers(dest="datasets_command", required=True)

    vit = sub.add_parser("vit", help="chromatin-ViT examples: MNase images -> log2(TPM + 1)")
    vit.add_argument("--images", required=True, type=Path, help="images .npz with targets")
    vit.add_argument("--train-conditions", nargs="+", required=True)
    vit.add_argument("--test-conditions", nargs="+", required=True)
    vit.add_argument("--val-fraction", type=float, default=0.15, help="genes held out")
    vit.add_argument("--seed", type=int, default=1)
    vit.add_argument("--outdir", required=True, type=Path)
    vit.set_defaults(func=run_vit)

    get = sub.add_parser("get", help="GET windows: peaks x (motif clusters + accessibility)")
    get.add_argument("--peaks", required=True, type=Path, help="consensus peaks BED")
    get.add_argument("--clusters", required=True, type=Path, help="peaks x clusters .npz")
    get.add_argument("--logcpm", required=True, type=Path, help="peaks x conditions logCPM TSV")
    get.add_argument("--gtf", required=True, type=Path)
    get.add_argument("--tpm", required=True, type=Path, help="genes x conditions TPM TSV")
    get.add_argument("--window", type=int, default=200, help="peaks per window")
    get.add_argument("--stride", type=int, default=100, help="step between evaluation windows")
    get.add_argument("--tss-distance", type=int, default=300)
    get.add_argument("--accessibility", choices=("scaled", "binary"), default="scaled")
    get.add_argument(
        "--binary-threshold", type=float, default=0.5, help="logCPM above which binary is 1"
    )
    get.add_argument(
        "--tss-feature",
        action="store_true",
        help="add per-strand TSS indicator columns (from the GTF) before accessibility",
    )
    get.add_argument("--heldout-conditions", nargs="*", default=[])
    get.add_argument("--val-chromosomes", nargs="*", default=[])
    get.add_argument("--test-chromosomes", nargs="*", default=[])
    get.add_argument("--outdir", required=True, type=Path)
    get.set_defaults(func=run_get)

    bpnet = sub.add_parser("chrombpnet", help="ChromBPNet peaks + GC-matched non-peaks")
    bpnet.add_argument("--genome", required=True, type=Path, help="genome FASTA")
    bpnet.add_argument("--chrom-sizes", required=True, type=Path)
    bpnet.add_argument("--cutsites", required=True, type=Path, help="Tn5 insertions bigWig")
    bpnet.add_argument("--peaks", required=True, type=Path, help="consensus peaks BED")
    bpnet.add_argument("--blacklist", type=Path, help="BED of regions no non-peak overlaps")
    bpnet.add_argument("--settings", required=True, help="settings as a JSON object")
    bpnet.add_argument("--outdir", required=True, type=Path)
    bpnet.set_defaults(func=run_chrombpnet)

    seqtrack = sub.add_parser("seqtrack", help="sequence -> binned tracks windows")
    seqtrack.add_argument("--genome", required=True, type=Path, help="genome FASTA")
    seqtrack.add_argument("--chrom-sizes", required=True, type=Path)
    seqtrack.add_argument(
        "--track",
        nargs=3,
        action="append",
        required=True,
        metavar=("NAME", "ASSAY", "BIGWIG"),
        help="a target track (repeat for each)",
    )
    seqtrack.add_argument("--settings", required=True, help="settings as a JSON object")
    seqtrack.add_argument("--outdir", required=True, type=Path)
    seqtrack.set_defaults(func=run_seqtrack)


def split_counts(frame, column: str = "split") -> dict[str, int]:
    """Rows per split, for the JSON record."""
    return {str(k): int(v) for k, v in frame[column].value_counts().sort_index().items()}


def run_vit(args: argparse.Namespace) -> None:
    """Examples of every gene at the training and test conditions, split by gene."""
    from regflow.datasets.io import write_dataset
    from regflow.datasets.vit import validation_genes, vit_examples
    from regflow.io import read_npz

    data = read_npz(
        args.images,
        (
            "images",
            "images_raw",
            "targets",
            "gene_ids",
            "conditions",
            "origin",
            "length_edges",
            "position_edges",
        ),
        "MNase images",
    )
    targets = data["targets"]
    if not np.isfinite(targets).any():
        raise RegflowError(
            f"MNase images {args.images} carry no expression targets: "
            "the chromatin ViT needs RNA-seq for the same conditions"
        )
    conditions = [str(c) for c in data["conditions"]]
    train_columns = [conditions.index(c) for c in args.train_conditions if c in conditions]
    with np.errstate(all="ignore"):
        level = np.nanmean(targets[:, train_columns], axis=1) if train_columns else targets[:, 0]
    val = validation_genes(level, args.val_fraction, args.seed)
    examples = vit_examples(
        data["gene_ids"], conditions, targets, args.train_conditions, args.test_conditions, val
    )
    outdir = args.outdir
    record = {
        "inputs": {"images": str(args.images)},
        "parameters": {
            "train_conditions": args.train_conditions,
            "test_conditions": args.test_conditions,
            "val_fraction": args.val_fraction,
            "seed": args.seed,
        },
        "split": "test: every gene at the test conditions; val: genes drawn within deciles "
        "of mean training-condition expression; train: the other genes",
        "examples": split_counts(examples),
        "n_genes": len(data["gene_ids"]),
        "conditions": conditions,
    }
    write_dataset(
        outdir / "dataset.npz",
        data,
        {outdir / "examples.tsv": examples},
        outdir / "dataset.json",
        record,
    )


def run_get(args: argparse.Namespace) -> None:
    """Windows of peaks with motif-cluster and accessibility features and TSS labels."""
    from regflow.datasets.get import (
        accessibility_feature,
        assign_tss_peaks,
        chromosome_splits,
        peak_windows,
        tss_labels,
    )
    from regflow.datasets.io import read_table, write_dataset
    from regflow.io import read_npz
    from regflow.peaks.io import read_bed
    from regflow.qc.io import read_tss_gtf

    peaks = read_bed(args.peaks, "consensus peaks")
    peak_ids = (
        peaks["chrom"] + ":" + peaks["start"].astype(str) + "-" + peaks["end"].astype(str)
    ).to_numpy()
    clusters = read_npz(args.clusters, ("regions", "clusters", "scores"), "motif clusters")
    if not np.array_equal(clusters["regions"].astype(str), peak_ids.astype(str)):
        raise RegflowError(
            f"motif clusters {args.clusters} rows do not match the peaks of {args.peaks}"
        )
    logcpm = read_table(args.logcpm, "logCPM table")
    if list(logcpm.index) != list(peak_ids):
        raise RegflowError(
            f"logCPM table {args.logcpm} rows do not match the peaks of {args.peaks}"
        )
    tpm = read_table(args.tpm, "TPM table")
    conditions = [str(c) for c in logcpm.columns]
    missing = [c for c in conditions if c not in tpm.columns]
    if missing:
        raise RegflowError(
            f"TPM table {args.tpm} has no column for ATAC-seq conditions {', '.join(missing)}"
        )
    tss = read_tss_gtf(args.gtf)
    matches = assign_tss_peaks(peaks, tss, args.tss_distance)
    if matches.empty:
        raise RegflowError(
            f"no TSS of {args.gtf} lies within {args.tss_distance} bp of a peak of {args.peaks} "
            "(do the chromosome names agree?)"
        )
    labels, is_tss = tss_labels(matches, len(peaks), tpm[conditions])
    access = accessibility_feature(
        logcpm.to_numpy(dtype=np.float64).T, args.accessibility, args.binary_threshold
    )  # (n_conditions, n_peaks)
    motif = np.broadcast_to(
        clusters["scores"].astype(np.float32), (len(conditions), *clusters["scores"].shape)
    )
    columns = [motif]
    names = list(clusters["clusters"].astype(str))
    if args.tss_feature:
        columns.append(np.broadcast_to(is_tss.astype(np.float32), (len(conditions), *is_tss.shape)))
        names += ["tss_plus", "tss_minus"]
    columns.append(access[:, :, None])
    names.append("accessibility")
    features = np.concatenate(columns, axis=2)  # (C, P, F)
    chroms = peaks["chrom"].to_numpy().astype(str)
    windows = peak_windows(chroms, args.window, args.stride)
    splits = chromosome_splits(
        list(dict.fromkeys(chroms)),
        conditions,
        args.val_chromosomes,
        args.test_chromosomes,
        args.heldout_conditions,
    )
    arrays = {
        "features": features.astype(np.float32),
        "labels": labels,
        "is_tss": is_tss,
        "peak_ids": peak_ids.astype(str),
        "chroms": chroms,
        "conditions": np.array(conditions),
        "feature_names": np.array(names),
        "windows": windows,
    }
    record = {
        "inputs": {
            "peaks": str(args.peaks),
            "clusters": str(args.clusters),
            "logcpm": str(args.logcpm),
            "gtf": str(args.gtf),
            "tpm": str(args.tpm),
        },
        "parameters": {
            "window": args.window,
            "stride": args.stride,
            "tss_distance": args.tss_distance,
            "accessibility": args.accessibility,
            "binary_threshold": args.binary_threshold,
            "tss_feature": args.tss_feature,
            "heldout_conditions": args.heldout_conditions,
            "val_chromosomes": args.val_chromosomes,
            "test_chromosomes": args.test_chromosomes,
        },
        "n_peaks": len(peaks),
        "n_features": int(features.shape[2]),
        "n_windows": int(len(windows)),
        "tss_peaks": {"+": int(is_tss[:, 0].sum()), "-": int(is_tss[:, 1].sum())},
        "genes_matched": int(len(matches)),
        "genes": int(len(tss)),
        "splits": split_counts(splits),
    }
    outdir = args.outdir
    write_dataset(
        outdir / "dataset.npz",
        arrays,
        {outdir / "splits.tsv": splits, outdir / "tss.tsv": matches},
        outdir / "dataset.json",
        record,
    )


def run_chrombpnet(args: argparse.Namespace) -> None:
    """ChromBPNet's regions: sequences, per-base counts and folds."""
    from regflow.datasets.chrombpnet import build_chrombpnet_dataset
    from regflow.datasets.io import write_dataset
    from regflow.datasets.sequence import parse_settings

    arrays, regions, record = build_chrombpnet_dataset(
        args.genome,
        args.cutsites,
        args.peaks,
        args.chrom_sizes,
        args.blacklist,
        parse_settings(args.settings),
    )
    outdir = args.outdir
    write_dataset(
        outdir / "dataset.npz",
        arrays,
        {outdir / "regions.tsv": regions},
        outdir / "dataset.json",
        record,
    )


def run_seqtrack(args: argparse.Namespace) -> None:
    """Tiled genome windows with binned track targets, split by chromosome."""
    from regflow.datasets.io import write_dataset
    from regflow.datasets.seqtrack import build_seqtrack_dataset
    from regflow.datasets.sequence import parse_settings

    tracks = [(name, assay, Path(path)) for name, assay, path in args.track]
    arrays, windows, tracks_table, record = build_seqtrack_dataset(
        args.genome, tracks, args.chrom_sizes, parse_settings(args.settings)
    )
    outdir = args.outdir
    write_dataset(
        outdir / "dataset.npz",
        arrays,
        {outdir / "windows.tsv": windows, outdir / "tracks.tsv": tracks_table},
        outdir / "dataset.json",
        record,
    )
