"""``regflow qc ...``: fragment lengths, TSS enrichment, the QC table and QC plots.

Every subcommand computes everything first and then writes its outputs atomically (temporary
files renamed into place), so a failure leaves no partial output behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regflow.errors import RegflowError


def add_parser(subparsers) -> None:
    """Register ``qc`` with its subcommands."""
    parser = subparsers.add_parser("qc", help="quality control metrics, tables and plots")
    sub = parser.add_subparsers(dest="qc_command", required=True)

    lengths = sub.add_parser(
        "fragment-lengths", help="fragment-length histogram and nucleosome-ladder metrics"
    )
    lengths.add_argument("--sample", required=True)
    lengths.add_argument("--fragments", required=True, type=Path, help="fragments.tsv.gz")
    lengths.add_argument("--output-hist", required=True, type=Path, help="TSV: length, count")
    lengths.add_argument("--output-json", required=True, type=Path, help="metrics JSON")
    lengths.add_argument(
        "--max-length", type=int, default=1000, help="longest length in the histogram"
    )
    lengths.add_argument(
        "--smooth", type=int, default=21, help="moving-average width (bp) for the ladder peaks"
    )
    lengths.set_defaults(func=run_fragment_lengths)

    tss = sub.add_parser("tss-enrichment", help="ENCODE-style TSS enrichment and profile")
    tss.add_argument("--sample", required=True)
    tss.add_argument(
        "--fragments", required=True, type=Path, help="fragments.tsv.gz (tabix-indexed)"
    )
    source = tss.add_mutually_exclusive_group(required=True)
    source.add_argument("--gtf", type=Path, help="GTF; TSSs of its gene records")
    source.add_argument("--tss-bed", type=Path, help="BED6 of TSSs (or genes) with strands")
    tss.add_argument("--chrom-sizes", required=True, type=Path)
    tss.add_argument(
        "--output-profile",
        required=True,
        type=Path,
        help="TSV: position, value, shuffled, insertions",
    )
    tss.add_argument("--output-json", required=True, type=Path, help="metrics JSON")
    tss.add_argument("--window", type=int, default=2000, help="profile half-width (bp)")
    tss.add_argument("--flank", type=int, default=100, help="bp at each end normalised by")
    tss.add_argument("--smooth", type=int, default=11, help="moving-average width (bp, odd)")
    tss.add_argument(
        "--center", type=int, default=100, help="half-width (bp) searched for the maximum"
    )
    tss.add_argument("--seed", type=int, default=0, help="seed of the shuffled control")
    tss.set_defaults(func=run_tss_enrichment)

    table = sub.add_parser("table", help="one QC table for all samples (+ MultiQC file)")
    table.add_argument(
        "--json", nargs="*", type=Path, default=[], help='metrics JSONs {"sample": S, ...}'
    )
    table.add_argument(
        "--fastp",
        nargs="+",
        action="extend",
        default=[],
        metavar="SAMPLE=PATH",
        help="fastp JSON reports",
    )
    table.add_argument(
        "--bowtie2",
        nargs="+",
        action="extend",
        default=[],
        metavar="SAMPLE=PATH",
        help="bowtie2 stderr logs",
    )
    table.add_argument("--output", required=True, type=Path, help="qc_table.tsv")
    table.add_argument(
        "--output-mqc", required=True, type=Path, help="MultiQC custom content (*_mqc.tsv)"
    )
    table.set_defaults(func=run_table)

    plot_lengths = sub.add_parser(
        "plot-fragment-lengths", help="overlaid fragment-length histograms (PNG)"
    )
    plot_lengths.add_argument(
        "--hist", nargs="+", required=True, metavar="SAMPLE=PATH", help="histogram TSVs"
    )
    plot_lengths.add_argument("--output", required=True, type=Path, help="PNG")
    plot_lengths.add_argument("--log-y", action="store_true", help="logarithmic y axis")
    plot_lengths.add_argument(
        "--counts", action="store_true", help="plot counts instead of fractions of fragments"
    )
    plot_lengths.add_argument("--title", default="Fragment lengths")
    plot_lengths.set_defaults(func=run_plot_fragment_lengths)

    plot_tss = sub.add_parser("plot-tss", help="TSS-enrichment profiles with controls (PNG)")
    plot_tss.add_argument(
        "--profile", nargs="+", required=True, metavar="SAMPLE=PATH", help="profile TSVs"
    )
    plot_tss.add_argument("--output", required=True, type=Path, help="PNG")
    plot_tss.add_argument("--title", default="TSS enrichment")
    plot_tss.set_defaults(func=run_plot_tss)


def parse_pairs(values: list[str], option: str) -> dict[str, Path]:
    """Parse ``SAMPLE=PATH`` arguments into an ordered dict, rejecting repeats."""
    pairs: dict[str, Path] = {}
    for value in values:
        sample, sep, path = value.partition("=")
        if not sep or not sample or not path:
            raise RegflowError(f"{option} takes SAMPLE=PATH, got {value!r}")
        if sample in pairs:
            raise RegflowError(f"{option}: sample {sample} given twice")
        pairs[sample] = Path(path)
    return pairs


def run_fragment_lengths(args: argparse.Namespace) -> None:
    """Histogram and metrics of one sample's fragment lengths."""
    from regflow.io import write_outputs
    from regflow.qc.fragment_lengths import (
        count_fragment_lengths,
        histogram_table,
        length_metrics,
    )
    from regflow.qc.io import json_writer, tsv_writer

    try:
        counts = count_fragment_lengths(args.fragments)
        if counts.sum() == 0:
            raise RegflowError(f"fragments file {args.fragments} has no fragments")
        table = histogram_table(counts, args.max_length)
        metrics = length_metrics(counts, args.smooth)
    except RegflowError as err:
        raise RegflowError(f"sample {args.sample}: {err}") from None
    write_outputs(
        {
            args.output_hist: tsv_writer(table),
            args.output_json: json_writer({"sample": args.sample, **metrics}),
        }
    )
    print(
        f"{args.sample}: {metrics['fragments']:,} fragments, median "
        f"{metrics['fragment_length_median']:g} bp, ladder peaks {metrics['nfr_peak']}/"
        f"{metrics['mononucleosome_peak']}/{metrics['dinucleosome_peak']} bp",
        file=sys.stderr,
    )


def run_tss_enrichment(args: argparse.Namespace) -> None:
    """TSS enrichment profile and value of one sample, with a shuffled control."""
    from regflow.io import write_outputs
    from regflow.qc.io import (
        json_writer,
        read_chrom_sizes,
        read_tss_bed,
        read_tss_gtf,
        tsv_writer,
    )
    from regflow.qc.tss_enrichment import tss_enrichment_from_fragments

    try:
        source = args.gtf if args.gtf is not None else args.tss_bed
        tss = read_tss_gtf(args.gtf) if args.gtf is not None else read_tss_bed(args.tss_bed)
        result = tss_enrichment_from_fragments(
            args.fragments,
            tss,
            read_chrom_sizes(args.chrom_sizes),
            window=args.window,
            flank=args.flank,
            smooth=args.smooth,
            center=args.center,
            seed=args.seed,
            source=str(source),
        )
    except RegflowError as err:
        raise RegflowError(f"sample {args.sample}: {err}") from None
    write_outputs(
        {
            args.output_profile: tsv_writer(result.table()),
            args.output_json: json_writer({"sample": args.sample, **result.metrics()}),
        }
    )
    print(
        f"{args.sample}: TSS enrichment {result.value:.2f} at {result.peak_offset:+d} bp "
        f"({result.sites} TSSs, {result.sites_dropped} too close to a chromosome end), "
        f"shuffled control {result.shuffled_value:.2f}",
        file=sys.stderr,
    )


def run_table(args: argparse.Namespace) -> None:
    """Merge metric JSONs, fastp reports and bowtie2 logs into one table."""
    from regflow.io import read_json_object, write_outputs
    from regflow.qc.io import tsv_writer
    from regflow.qc.table import (
        MQC_HEADER,
        check_record,
        merge_metrics,
        multiqc_table,
        parse_bowtie2,
        parse_fastp,
    )

    records = []
    for path in args.json:
        sample, metrics = check_record(read_json_object(path), f"metrics JSON {path}")
        records.append((str(path), sample, metrics))
    for sample, path in parse_pairs(args.fastp, "--fastp").items():
        report = read_json_object(path, f"fastp report (sample {sample})")
        records.append((str(path), sample, parse_fastp(report, f"{path} (sample {sample})")))
    for sample, path in parse_pairs(args.bowtie2, "--bowtie2").items():
        if not path.is_file():
            raise RegflowError(f"bowtie2 log {path} (sample {sample}) does not exist")
        text = path.read_text(encoding="utf-8", errors="replace")
        records.append((str(path), sample, parse_bowtie2(text, f"{path} (sample {sample})")))
    if not records:
        raise RegflowError("qc table needs at least one --json, --fastp or --bowtie2 input")
    table = merge_metrics(records)
    write_outputs(
        {
            args.output: tsv_writer(table),
            args.output_mqc: tsv_writer(multiqc_table(table), MQC_HEADER),
        }
    )
    print(
        f"QC table: {len(table)} samples x {table.shape[1] - 1} metrics from {len(records)} inputs",
        file=sys.stderr,
    )


def run_plot_fragment_lengths(args: argparse.Namespace) -> None:
    """Overlaid fragment-length histograms."""
    from regflow.io import write_outputs
    from regflow.qc.io import read_tsv
    from regflow.qc.plots import fragment_length_figure, png_writer

    histograms = {
        sample: read_tsv(path, ("length", "count"), f"histogram of sample {sample}")
        for sample, path in parse_pairs(args.hist, "--hist").items()
    }
    figure = fragment_length_figure(
        histograms, log_y=args.log_y, normalise=not args.counts, title=args.title
    )
    write_outputs({args.output: png_writer(figure)})


def run_plot_tss(args: argparse.Namespace) -> None:
    """TSS-enrichment profiles with their shuffled controls."""
    from regflow.io import write_outputs
    from regflow.qc.io import read_tsv
    from regflow.qc.plots import png_writer, tss_profile_figure

    profiles = {
        sample: read_tsv(path, ("position", "value"), f"TSS profile of sample {sample}")
        for sample, path in parse_pairs(args.profile, "--profile").items()
    }
    figure = tss_profile_figure(profiles, title=args.title)
    write_outputs({args.output: png_writer(figure)})
