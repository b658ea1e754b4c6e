"""``regflow motifs ...``: fetch motifs, scan regions, cluster motifs, aggregate by cluster.

``scan`` writes ``PREFIX.npz`` with ``regions`` (names), ``chrom``, ``start``, ``end`` in the
order of the input (BED rows, or GTF gene records for promoter windows), ``motif_ids`` and
``motif_names`` in the motif file's order, the ``(regions, motifs)`` matrices ``max_score``,
``hit_score_sum`` (float32, bits), ``hit_count`` (int32) and ``unscorable`` (no window: 0 in
the other matrices), and per motif ``threshold`` (bits); plus ``PREFIX.hits.tsv.gz``. A BED
region past a chromosome end is an error; a promoter window is clipped to the chromosome.

Every subcommand computes everything first and then writes its outputs atomically, so a
failure leaves no partial output behind.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from regflow.errors import RegflowError


def add_parser(subparsers) -> None:
    """Register ``motifs`` with its subcommands."""
    parser = subparsers.add_parser(
        "motifs", help="motif sets, region x motif scores, motif clusters"
    )
    sub = parser.add_subparsers(dest="motifs_command", required=True)

    fetch = sub.add_parser(
        "fetch", help="motifs from pyjaspar's bundled JASPAR and/or files, as one JASPAR file"
    )
    fetch.add_argument("--release", default="JASPAR2024", help="JASPAR release (pyjaspar)")
    fetch.add_argument("--collection", help="JASPAR collection, e.g. CORE")
    fetch.add_argument(
        "--taxon",
        nargs="+",
        action="extend",
        default=[],
        help="taxonomic group(s) of the collection, e.g. vertebrates (default: all)",
    )
    fetch.add_argument(
        "--ids",
        nargs="+",
        action="extend",
        default=[],
        metavar="MATRIX_ID",
        help="JASPAR matrices to add by ID, e.g. MA0139.2",
    )
    fetch.add_argument(
        "--from-file",
        nargs="+",
        action="extend",
        default=[],
        type=Path,
        metavar="PATH",
        help="motif files to add (JASPAR or minimal MEME format)",
    )
    fetch.add_argument("--output", required=True, type=Path, help="motifs.jaspar")
    fetch.set_defaults(func=run_fetch)

    scan = sub.add_parser(
        "scan", help="region x motif max score, hit-score sum and hit count; the hits"
    )
    scan.add_argument("--genome", required=True, type=Path, help="genome FASTA")
    source = scan.add_mutually_exclusive_group(required=True)
    source.add_argument("--regions", type=Path, help="BED; rows keep its order")
    source.add_argument(
        "--promoters", type=Path, help="GTF; one window per gene record, named by gene_id"
    )
    scan.add_argument(
        "--upstream", type=int, default=1000, help="with --promoters: bp before the TSS"
    )
    scan.add_argument(
        "--downstream", type=int, default=500, help="with --promoters: bp after the TSS"
    )
    scan.add_argument("--motifs", required=True, type=Path, help="JASPAR or MEME file")
    scan.add_argument("--pvalue", type=float, default=1e-4, help="hit p-value threshold")
    scan.add_argument(
        "--pseudocount", type=float, default=0.1, help="per position, shared by background"
    )
    scan.add_argument("--resolution", type=int, default=100, help="score steps per bit")
    scan.add_argument(
        "--output-prefix",
        required=True,
        help="writes PREFIX.npz (matrices) and PREFIX.hits.tsv.gz (hits)",
    )
    scan.set_defaults(func=run_scan)

    clusters = sub.add_parser("clusters", help="group redundant motifs into archetypes")
    clusters.add_argument("--motifs", required=True, type=Path, help="JASPAR or MEME file")
    clusters.add_argument(
        "--threshold",
        type=float,
        default=0.2,
        help="cut the average-linkage tree at this distance (1 - Pearson similarity)",
    )
    clusters.add_argument(
        "--min-overlap", type=int, default=6, help="fewest aligned positions compared"
    )
    clusters.add_argument(
        "--output", required=True, type=Path, help="TSV: motif_id, name, cluster, cluster_name"
    )
    clusters.set_defaults(func=run_clusters)

    aggregate = sub.add_parser(
        "aggregate", help="region x cluster hit-score sums scaled to [0, 1] (GET features)"
    )
    aggregate.add_argument("--scores", required=True, type=Path, help="PREFIX.npz of scan")
    aggregate.add_argument("--clusters", required=True, type=Path, help="TSV of clusters")
    aggregate.add_argument(
        "--scale-from",
        type=Path,
        help="aggregate .npz whose column scales to reuse (default: this matrix's maxima)",
    )
    aggregate.add_argument("--output", required=True, type=Path, help="region x cluster .npz")
    aggregate.add_argument("--output-tsv", type=Path, help="the same matrix as TSV")
    aggregate.set_defaults(func=run_aggregate)


def run_fetch(args: argparse.Namespace) -> None:
    """Collect motifs from JASPAR and files into one JASPAR file."""
    from regflow.io import write_outputs
    from regflow.motifs.fetch import fetch_jaspar
    from regflow.motifs.io import read_motifs, write_jaspar

    if args.collection is None and not args.ids and not args.from_file:
        raise RegflowError("motifs fetch needs --collection, --ids or --from-file")
    if args.taxon and args.collection is None:
        raise RegflowError("--taxon selects within a collection: give --collection too")
    motifs = []
    if args.collection is not None or args.ids:
        motifs = fetch_jaspar(args.release, args.collection, args.taxon, args.ids)
    seen = {m.matrix_id for m in motifs}
    for path in args.from_file:
        for motif in read_motifs(path):
            if motif.matrix_id in seen:
                raise RegflowError(
                    f"motif file {path}: motif ID {motif.matrix_id} is already in the set"
                )
            seen.add(motif.matrix_id)
            motifs.append(motif)
    write_outputs({args.output: lambda path: write_jaspar(motifs, path)})
    print(f"{len(motifs)} motifs written to {args.output}", file=sys.stderr)


def _scan_regions(args: argparse.Namespace, sizes: dict[str, int]):
    """The regions of ``--regions`` or ``--promoters``, checked against the genome."""
    from regflow.motifs.io import read_regions_bed
    from regflow.motifs.regions import check_regions, promoter_windows
    from regflow.qc.io import read_tss_gtf

    if args.regions is not None:
        regions = read_regions_bed(args.regions)
        check_regions(regions, sizes, f"regions BED {args.regions}")
        return regions, f"{len(regions)} regions of {args.regions}"
    if args.upstream < 0 or args.downstream < 0 or args.upstream + args.downstream == 0:
        raise RegflowError("--upstream and --downstream must be >= 0 and not both 0")
    regions, clipped = promoter_windows(
        read_tss_gtf(args.promoters), args.upstream, args.downstream, sizes
    )
    check_regions(regions, sizes, f"GTF {args.promoters}")
    return regions, (
        f"{len(regions)} promoter windows (-{args.upstream}/+{args.downstream} bp) of "
        f"{args.promoters}, {clipped} clipped at a chromosome end"
    )


def run_scan(args: argparse.Namespace) -> None:
    """Scan regions or promoter windows with every motif on both strands."""
    import numpy as np

    from regflow.io import npz_writer, write_outputs
    from regflow.motifs.io import (
        fasta_sizes,
        gzip_tsv_writer,
        read_motifs,
        read_region_codes,
    )
    from regflow.motifs.regions import symmetric_background
    from regflow.motifs.scan import hits_table, scan_sequences, scoring_matrices

    if not 0 < args.pvalue < 1:
        raise RegflowError(f"--pvalue must be in (0, 1), got {args.pvalue}")
    if args.pseudocount <= 0:
        raise RegflowError(f"--pseudocount must be > 0, got {args.pseudocount}")
    if args.resolution < 1:
        raise RegflowError(f"--resolution must be >= 1, got {args.resolution}")
    motifs = read_motifs(args.motifs)
    regions, described = _scan_regions(args, fasta_sizes(args.genome))
    codes, bounds, base_counts = read_region_codes(args.genome, regions)
    if base_counts.sum() == 0:
        raise RegflowError(f"genome FASTA {args.genome} has no A, C, G or T")
    background = symmetric_background(base_counts)
    started = time.perf_counter()
    matrices = scoring_matrices(motifs, background, args.pvalue, args.pseudocount, args.resolution)
    result = scan_sequences(codes, bounds, matrices)
    seconds = time.perf_counter() - started
    arrays = {
        "regions": regions["name"].to_numpy(str),
        "chrom": regions["chrom"].to_numpy(str),
        "start": regions["start"].to_numpy(np.int64),
        "end": regions["end"].to_numpy(np.int64),
        "motif_ids": np.array([m.matrix_id for m in motifs], str),
        "motif_names": np.array([m.name for m in motifs], str),
        "max_score": result.max_score,
        "hit_score_sum": result.hit_score_sum,
        "hit_count": result.hit_count,
        "unscorable": result.unscorable,
        "threshold": matrices.threshold / matrices.resolution,
        "background": background,
        "pvalue": np.float64(args.pvalue),
    }
    write_outputs(
        {
            Path(f"{args.output_prefix}.npz"): npz_writer(arrays),
            Path(f"{args.output_prefix}.hits.tsv.gz"): gzip_tsv_writer(
                hits_table(result, matrices, regions, motifs)
            ),
        }
    )
    acgt = " ".join(f"{b}={f:.3f}" for b, f in zip("ACGT", background, strict=True))
    top = np.array([s.max(axis=1).sum() for s in matrices.scores])
    never = [m.matrix_id for m, t in zip(motifs, matrices.threshold > top, strict=True) if t]
    print(
        f"{described} ({codes.size:,} bp) x {len(motifs)} motifs, both strands, p < "
        f"{args.pvalue:g}: {result.hits['score'].size:,} hits in {seconds:.1f} s; "
        f"background {acgt}; {int(result.unscorable.sum())} region x motif pairs without a "
        "window (motif longer than the region, or N in every window) set to 0; "
        f"{len(never)} motifs whose best score is not that rare, so they never hit"
        + (f" ({', '.join(never[:5])}{', ...' if len(never) > 5 else ''})" if never else ""),
        file=sys.stderr,
    )


def run_clusters(args: argparse.Namespace) -> None:
    """Cluster motifs by aligned-PWM similarity."""
    from regflow.io import write_outputs
    from regflow.motifs.clusters import cluster_labels, cluster_table, similarity_matrix
    from regflow.motifs.io import read_motifs
    from regflow.qc.io import tsv_writer

    if not 0 <= args.threshold <= 2:
        raise RegflowError(f"--threshold is a distance in [0, 2], got {args.threshold}")
    if args.min_overlap < 1:
        raise RegflowError(f"--min-overlap must be >= 1, got {args.min_overlap}")
    motifs = read_motifs(args.motifs)
    similarity = similarity_matrix([m.probs for m in motifs], args.min_overlap)
    table = cluster_table(motifs, cluster_labels(similarity, args.threshold))
    write_outputs({args.output: tsv_writer(table)})
    print(
        f"{len(motifs)} motifs in {table['cluster'].nunique()} clusters "
        f"(average linkage cut at distance {args.threshold:g})",
        file=sys.stderr,
    )


def run_aggregate(args: argparse.Namespace) -> None:
    """Region x cluster sums of hit scores, each column scaled to [0, 1]."""
    import numpy as np
    import pandas as pd

    from regflow.io import npz_writer, read_npz, write_outputs
    from regflow.motifs.aggregate import cluster_sums, scale_columns
    from regflow.qc.io import read_tsv, tsv_writer

    scan = read_npz(args.scores, ("regions", "motif_ids", "hit_score_sum"), "scan matrices")
    table = read_tsv(args.clusters, ("motif_id", "cluster", "cluster_name"), "clusters TSV")
    table["motif_id"] = table["motif_id"].astype(str)
    if table["motif_id"].duplicated().any():
        dup = table["motif_id"][table["motif_id"].duplicated()].iloc[0]
        raise RegflowError(f"clusters TSV {args.clusters} lists motif {dup} twice")
    label_of = dict(zip(table["motif_id"], table["cluster"], strict=True))
    missing = [m for m in scan["motif_ids"] if m not in label_of]
    if missing:
        raise RegflowError(
            f"clusters TSV {args.clusters} lacks motif {missing[0]} of {args.scores} "
            f"({len(missing)} missing)"
        )
    names = table.drop_duplicates("cluster").sort_values("cluster")
    if not np.array_equal(names["cluster"].to_numpy(), np.arange(len(names))):
        raise RegflowError(f"clusters TSV {args.clusters}: clusters must be numbered 0, 1, ...")
    labels = np.array([label_of[m] for m in scan["motif_ids"]], np.int64)
    sums = cluster_sums(scan["hit_score_sum"], labels, len(names))
    cluster_names = names["cluster_name"].to_numpy(str)
    scale = None
    if args.scale_from is not None:
        reference = read_npz(args.scale_from, ("clusters", "scale"), "aggregate matrix")
        if not np.array_equal(reference["clusters"], cluster_names):
            raise RegflowError(
                f"aggregate matrix {args.scale_from} has other clusters than {args.clusters}"
            )
        scale = reference["scale"]
    scaled, scale = scale_columns(sums, scale)
    writers = {
        args.output: npz_writer(
            {
                "regions": scan["regions"],
                "clusters": cluster_names,
                "scores": scaled.astype(np.float32),
                "scale": scale,
            }
        )
    }
    if args.output_tsv is not None:
        frame = pd.DataFrame(scaled, columns=cluster_names).round(6)
        frame.insert(0, "region", scan["regions"])
        writers[args.output_tsv] = tsv_writer(frame)
    write_outputs(writers)
    print(
        f"{len(scan['regions'])} regions x {len(cluster_names)} clusters "
        f"(from {len(labels)} motifs) written to {args.output}",
        file=sys.stderr,
    )
