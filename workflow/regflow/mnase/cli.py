"""``regflow mnase ...``: MNase-seq images per gene and condition, and a panel of examples.

``regflow mnase images`` writes one ``.npz`` (``np.savez_compressed``, written atomically):

==================  ==========================================  ==================================
key                 shape, dtype                                meaning
==================  ==========================================  ==================================
``gene_ids``        ``(n_genes,)`` str                          the GTF's genes, in its order
``conditions``      ``(n_conditions,)`` str                     in order of first appearance
``images``          ``(n_genes, n_conditions, rows, 128)`` f4   smoothed (per class block)
``images_raw``      same                                        unsmoothed
``targets``         ``(n_genes, n_conditions)`` f4              ``--targets`` values (NaN: missing)
``anchor``          ``(n_genes,)`` f4                           +1 nucleosome, bp from the TSS
``origin``          ``(n_genes,)`` f4                           frame origin, bp from the TSS
``length_edges``    ``(rows, 2)`` f8                            lengths ``[lo, hi)`` of each row
``position_edges``  ``(129,)`` i8                               column edges, bp from the origin
``meta``            0-d str                                     JSON: preset, classes, sigma, ...
==================  ==========================================  ==================================

Rows are length classes stacked shortest first (``--preset classes``: [45,90), [90,140),
[140,201) x 8 rows = 24; ``--preset readme``: [0,256) in 32 rows); columns are 8-bp bins of
midpoint position over 1024 bp, strand-oriented (downstream to the right). Pixel values are
fragments per million fragments of the sample, summed over the samples of a condition. Genomic
position of a column edge ``e`` of gene ``g``: ``TSS + strand * (origin[g] + e)``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError
from regflow.qc.cli import parse_pairs


def add_parser(subparsers) -> None:
    """Register ``mnase`` with its subcommands."""
    parser = subparsers.add_parser("mnase", help="MNase-seq images per gene and condition")
    sub = parser.add_subparsers(dest="mnase_command", required=True)

    images = sub.add_parser(
        "images", help="fragment midpoint x length images around each TSS (.npz)"
    )
    images.add_argument(
        "--fragments",
        nargs="+",
        action="extend",
        required=True,
        metavar="SAMPLE=PATH",
        help="tabix-indexed fragments files",
    )
    images.add_argument(
        "--condition",
        nargs="+",
        action="extend",
        required=True,
        metavar="SAMPLE=CONDITION",
        help="condition of every sample; replicates of a condition are summed",
    )
    images.add_argument("--gtf", required=True, type=Path, help="GTF; TSSs of its gene records")
    images.add_argument("--chrom-sizes", required=True, type=Path)
    images.add_argument(
        "--targets",
        type=Path,
        help="genes x conditions TSV (first column gene_id), e.g. log2_tpm_by_condition.tsv",
    )
    images.add_argument(
        "--preset",
        choices=("classes", "readme"),
        default="classes",
        help="classes: [45,90),[90,140),[140,201) x 8 rows (24 x 128, the reference code); "
        "readme: lengths 0-255 in 32 rows (32 x 128)",
    )
    images.add_argument(
        "--no-align",
        dest="align",
        action="store_false",
        help="frame on the TSS instead of the +1 nucleosome",
    )
    images.add_argument(
        "--sigma", type=float, default=1.0, help="Gaussian smoothing, in bins (default: 1.0)"
    )
    images.add_argument("--output", required=True, type=Path, help="images .npz")
    images.set_defaults(func=run_images)

    typhoon = sub.add_parser("typhoon", help="raw and smoothed images of chosen genes (PNG)")
    typhoon.add_argument("--images", required=True, type=Path, help="images .npz")
    choose = typhoon.add_mutually_exclusive_group(required=True)
    choose.add_argument("--genes", nargs="+", help="gene ids to show")
    choose.add_argument(
        "--most-variable",
        type=int,
        metavar="N",
        help="show the N genes whose expression target varies most over the conditions",
    )
    typhoon.add_argument("--output", required=True, type=Path, help="PNG")
    typhoon.set_defaults(func=run_typhoon)


def sample_conditions(fragments: dict[str, Path], values: list[str]) -> dict[str, str]:
    """Check ``--condition SAMPLE=CONDITION`` against the ``--fragments`` samples."""
    conditions = {s: str(c) for s, c in parse_pairs(values, "--condition").items()}
    extra = [s for s in conditions if s not in fragments]
    if extra:
        raise RegflowError(f"--condition names sample {extra[0]}, which has no --fragments")
    missing = [s for s in fragments if s not in conditions]
    if missing:
        raise RegflowError(f"sample {missing[0]} has --fragments but no --condition")
    return conditions


def run_images(args: argparse.Namespace) -> None:
    """Images of every gene and condition, with targets, into one ``.npz``."""
    from regflow.io import write_outputs
    from regflow.mnase.anchor import (
        ANCHOR_LENGTHS,
        ANCHOR_SEARCH,
        ANCHOR_SIGMA,
        PLUS1_AT,
    )
    from regflow.mnase.build import build_images
    from regflow.mnase.io import npz_writer, read_genes, read_targets
    from regflow.mnase.layout import PRESETS
    from regflow.qc.io import read_chrom_sizes

    if args.sigma < 0:
        raise RegflowError(f"--sigma must be >= 0, got {args.sigma}")
    fragments = parse_pairs(args.fragments, "--fragments")
    conditions = sample_conditions(fragments, args.condition)
    layout = PRESETS[args.preset]
    chrom_sizes = read_chrom_sizes(args.chrom_sizes)
    genes = read_genes(args.gtf, chrom_sizes)
    result = build_images(
        fragments, conditions, genes, chrom_sizes, layout, align=args.align, sigma=args.sigma
    )
    n_genes, n_conditions = len(result.gene_ids), len(result.conditions)
    if args.targets is not None:
        targets, missing = read_targets(args.targets, result.gene_ids, list(result.conditions))
    else:
        targets, missing = np.full((n_genes, n_conditions), np.nan, dtype=np.float32), 0
    meta = {
        "preset": args.preset,
        **layout.as_dict(),
        "sigma": args.sigma,
        "smoothing": "scipy.ndimage.gaussian_filter per class block, sigma in bins, mode reflect",
        "normalisation": "fragments per million fragments of the sample (all fragments of its "
        "file), summed over the samples of a condition",
        "position": "fragment midpoint (start + end - 1) / 2 relative to the frame origin, "
        "strand-oriented (downstream positive); rows shortest lengths first",
        "align": args.align,
        "anchor": {
            "lengths": list(ANCHOR_LENGTHS),
            "search_bp": ANCHOR_SEARCH,
            "sigma_bp": ANCHOR_SIGMA,
            "plus1_at_bp": PLUS1_AT,
            "pooled": "raw counts of all samples",
        },
        "samples": conditions,
        "fragments": result.totals,
        "targets": None if args.targets is None else str(args.targets),
    }
    arrays = {
        "gene_ids": result.gene_ids,
        "conditions": result.conditions,
        "images": result.images.astype(np.float32),
        "images_raw": result.images_raw.astype(np.float32),
        "targets": targets,
        "anchor": result.anchor.astype(np.float32),
        "origin": result.origin.astype(np.float32),
        "length_edges": layout.length_edges(),
        "position_edges": layout.position_edges(),
    }
    write_outputs({args.output: npz_writer(arrays, meta)})

    empty = result.images_raw.sum(axis=(2, 3)) == 0  # (n_genes, n_conditions)
    no_anchor = int(np.isnan(result.anchor).sum())
    lines = [
        f"{n_genes} genes x {n_conditions} conditions from {len(fragments)} samples "
        f"({sum(result.totals.values()):,} fragments), images {layout.n_rows} x {layout.columns}",
        f"{int(empty.all(axis=1).sum())} genes without fragments in their window (zero images); "
        f"{int(empty.sum())} empty gene x condition images",
        f"{no_anchor} genes without a +1 nucleosome found"
        + (" (framed on the TSS)" if args.align and no_anchor else ""),
        f"{len(result.off_end)} genes whose window runs off a chromosome end (zero-padded)"
        + (f": {', '.join(result.off_end[:5])}" if result.off_end else ""),
    ]
    if missing:
        lines.append(f"warning: {missing} gene x condition targets missing from {args.targets}")
    print("\n".join(lines), file=sys.stderr)


def most_variable(targets: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` genes whose targets (n_genes, n_cond) span the widest range
    (genes with a missing target last), most variable first."""
    span = np.full(targets.shape[0], -np.inf)
    known = ~np.isnan(targets).all(axis=1)
    span[known] = np.nanmax(targets[known], axis=1) - np.nanmin(targets[known], axis=1)
    return np.argsort(-span, kind="stable")[:n]


def run_typhoon(args: argparse.Namespace) -> None:
    """Raw and smoothed images of the chosen genes in every condition."""
    from regflow.io import write_outputs
    from regflow.mnase.io import read_images
    from regflow.mnase.typhoon import typhoon_figure
    from regflow.qc.plots import png_writer

    arrays, meta = read_images(args.images)
    gene_ids = list(arrays["gene_ids"])
    if args.genes is None:
        index = most_variable(arrays["targets"], args.most_variable)
    else:
        unknown = [g for g in args.genes if g not in gene_ids]
        if unknown:
            raise RegflowError(f"gene {unknown[0]} is not in images file {args.images}")
        index = np.array([gene_ids.index(g) for g in args.genes], dtype=np.int64)
    figure = typhoon_figure(
        raw=arrays["images_raw"][index],
        smoothed=arrays["images"][index],
        gene_ids=[gene_ids[i] for i in index],
        conditions=list(arrays["conditions"]),
        origin=arrays["origin"][index],
        length_edges=arrays["length_edges"],
        position_edges=arrays["position_edges"],
        rows_per_class=int(meta["rows_per_class"]),
        title=f"MNase images ({meta['preset']} preset, sigma {meta['sigma']:g} bins, "
        f"{'aligned on +1' if meta['align'] else 'TSS frame'})",
    )
    write_outputs({args.output: png_writer(figure)})
