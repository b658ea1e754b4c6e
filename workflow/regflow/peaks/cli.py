"""``regflow peaks ...``: cut sites for MACS3, peak filtering, the consensus set and counts.

MACS3 itself runs in the Snakemake rule between ``cutsites`` and ``filter``. Every subcommand
computes everything first and then writes its outputs atomically, so a failure leaves no
partial output behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regflow.errors import RegflowError


def add_parser(subparsers) -> None:
    """Register ``peaks`` with its subcommands."""
    parser = subparsers.add_parser(
        "peaks", help="ATAC-seq peaks: MACS3 input, filtering, consensus set, counts"
    )
    sub = parser.add_subparsers(dest="peaks_command", required=True)

    cut = sub.add_parser("cutsites", help="Tn5 insertions as a gzipped BED6 for macs3 -f BED")
    cut.add_argument("--sample", required=True)
    cut.add_argument("--fragments", required=True, type=Path, help="fragments.tsv.gz")
    cut.add_argument("--output", required=True, type=Path, help="cutsites.bed.gz")
    cut.set_defaults(func=run_cutsites)

    filt = sub.add_parser("filter", help="drop blacklisted peaks, clip to chromosome ends")
    filt.add_argument("--sample", required=True)
    filt.add_argument("--narrowpeak", required=True, type=Path, help="MACS3 narrowPeak")
    filt.add_argument("--chrom-sizes", required=True, type=Path)
    filt.add_argument("--blacklist", type=Path, help="BED of regions to exclude")
    filt.add_argument("--output", required=True, type=Path, help="filtered narrowPeak")
    filt.add_argument("--output-json", required=True, type=Path, help="stats JSON for the QC table")
    filt.set_defaults(func=run_filter)

    cons = sub.add_parser("consensus", help="fixed-width reproducible consensus peaks (BED6)")
    cons.add_argument(
        "--narrowpeak",
        nargs="+",
        action="extend",
        required=True,
        metavar="SAMPLE=PATH",
        help="filtered narrowPeak of each sample",
    )
    cons.add_argument(
        "--condition",
        nargs="+",
        action="extend",
        required=True,
        metavar="SAMPLE=CONDITION",
        help="condition of each sample",
    )
    cons.add_argument("--chrom-sizes", required=True, type=Path)
    cons.add_argument("--width", type=int, default=500, help="peak width (bp), summit-centred")
    cons.add_argument(
        "--min-replicates",
        type=int,
        default=2,
        help="samples of one condition that must have the peak",
    )
    cons.add_argument("--output", required=True, type=Path, help="consensus BED6")
    cons.set_defaults(func=run_consensus)

    counts = sub.add_parser("counts", help="Tn5 insertions per consensus peak and sample")
    counts.add_argument("--consensus", required=True, type=Path, help="consensus BED")
    counts.add_argument(
        "--fragments",
        nargs="+",
        action="extend",
        required=True,
        metavar="SAMPLE=PATH",
        help="tabix-indexed fragments.tsv.gz of each sample",
    )
    counts.add_argument("--samples", required=True, type=Path, help="sample sheet (TSV)")
    counts.add_argument("--output-h5ad", required=True, type=Path, help="samples x peaks")
    counts.add_argument("--output-counts", required=True, type=Path, help="TSV peaks x samples")
    counts.add_argument("--output-logcpm", required=True, type=Path, help="TSV peaks x samples")
    counts.add_argument(
        "--output-pseudobulk",
        required=True,
        type=Path,
        help="TSV peaks x conditions, log10(CPM + 1) of the summed counts",
    )
    counts.add_argument(
        "--frip-dir", required=True, type=Path, help="writes {sample}.json (FRiP) here"
    )
    counts.set_defaults(func=run_counts)


def parse_pairs(values: list[str], option: str) -> dict[str, str]:
    """Parse ``SAMPLE=VALUE`` arguments into an ordered dict, rejecting repeats."""
    pairs: dict[str, str] = {}
    for value in values:
        sample, sep, rest = value.partition("=")
        if not sep or not sample or not rest:
            raise RegflowError(f"{option} takes SAMPLE=VALUE, got {value!r}")
        if sample in pairs:
            raise RegflowError(f"{option}: sample {sample} given twice")
        pairs[sample] = rest
    return pairs


def warn(command: str, message: str) -> None:
    """Print a one-line warning on stderr."""
    print(f"regflow peaks {command}: warning: {message}", file=sys.stderr)


def run_cutsites(args: argparse.Namespace) -> None:
    """Tn5 insertions of one sample as stranded 1-bp BED6 records."""
    from regflow.io import write_outputs
    from regflow.peaks.cutsites import cut_sites
    from regflow.peaks.io import iter_chromosome_fragments, open_gzip_text, write_cut_sites

    written = 0

    def write(path: Path) -> None:
        nonlocal written
        with open_gzip_text(path) as handle:
            for chrom, frame in iter_chromosome_fragments(args.fragments):
                position, minus = cut_sites(
                    frame["start"].to_numpy(), frame["end"].to_numpy(), frame["count"].to_numpy()
                )
                write_cut_sites(handle, chrom, position, minus)
                written += position.size
        if written == 0:
            raise RegflowError(f"fragments file {args.fragments} has no fragments")

    try:
        write_outputs({args.output: write})
    except RegflowError as err:
        raise RegflowError(f"sample {args.sample}: {err}") from None
    print(f"{args.sample}: {written:,} Tn5 insertions", file=sys.stderr)


def run_filter(args: argparse.Namespace) -> None:
    """Filter one sample's MACS3 peaks; an empty peak set gives a warning, not an error."""
    from regflow.io import write_outputs
    from regflow.peaks.filter import filter_peaks
    from regflow.peaks.io import narrowpeak_writer, read_bed, read_narrowpeak
    from regflow.qc.io import json_writer, read_chrom_sizes

    try:
        peaks = read_narrowpeak(args.narrowpeak)
        sizes = read_chrom_sizes(args.chrom_sizes)
        blacklist = read_bed(args.blacklist, "blacklist") if args.blacklist else None
    except RegflowError as err:
        raise RegflowError(f"sample {args.sample}: {err}") from None
    kept, dropped = filter_peaks(peaks, sizes, blacklist)
    warning = None
    if peaks.empty:
        warning = f"no peaks called for sample {args.sample} ({args.narrowpeak})"
    elif kept.empty:
        warning = f"no peaks left for sample {args.sample} after filtering ({args.narrowpeak})"
    stats = {
        "sample": args.sample,
        "peaks_called": len(peaks),
        "peaks_kept": len(kept),
        "warning": warning,
    }
    write_outputs({args.output: narrowpeak_writer(kept), args.output_json: json_writer(stats)})
    if warning:
        warn("filter", warning)
    print(
        f"{args.sample}: {len(kept):,} of {len(peaks):,} peaks kept (dropped: "
        f"{dropped['unknown_contig']} on unknown contigs, {dropped['outside_chromosome']} "
        f"outside their chromosome, {dropped['blacklist']} on the blacklist)",
        file=sys.stderr,
    )


def run_consensus(args: argparse.Namespace) -> None:
    """Reproducible fixed-width consensus peaks from several samples' narrowPeaks."""
    from regflow.io import write_outputs
    from regflow.peaks.consensus import consensus_peaks, sample_windows
    from regflow.peaks.io import bed_writer, read_narrowpeak
    from regflow.qc.io import read_chrom_sizes

    if args.width < 1 or args.min_replicates < 1:
        raise RegflowError("--width and --min-replicates must be positive")
    paths = parse_pairs(args.narrowpeak, "--narrowpeak")
    conditions = parse_pairs(args.condition, "--condition")
    if set(paths) != set(conditions):
        odd = sorted(set(paths) ^ set(conditions))[0]
        raise RegflowError(f"sample {odd} needs both --narrowpeak and --condition")
    conditions = {sample: conditions[sample] for sample in paths}
    sizes = read_chrom_sizes(args.chrom_sizes)
    inputs = ", ".join(f"{s}={p}" for s, p in paths.items())
    windows = {}
    for sample, path in paths.items():
        try:
            peaks = read_narrowpeak(Path(path))
        except RegflowError as err:
            raise RegflowError(f"sample {sample}: {err}") from None
        unknown = sorted(set(peaks["chrom"]) - set(sizes))
        if unknown:
            raise RegflowError(
                f"sample {sample}: narrowPeak file {path} has peaks on {unknown[0]}, which is "
                f"not in {args.chrom_sizes} (run regflow peaks filter first)"
            )
        if peaks.empty:
            warn("consensus", f"sample {sample} has no peaks ({path}); skipped")
            continue
        windows[sample] = sample_windows(peaks, args.width, sizes)
    if not windows:
        raise RegflowError(f"no sample has any peak: {inputs}")
    peaks, rep = consensus_peaks(windows, conditions, args.min_replicates, list(sizes))
    if peaks.empty:
        raise RegflowError(
            f"no consensus peak is found in >= {args.min_replicates} samples of any condition: "
            f"{inputs}"
        )
    write_outputs({args.output: bed_writer(peaks)})
    per_condition = ", ".join(f"{c} {int(rep[c].sum()):,}" for c in rep.columns)
    print(
        f"{len(peaks):,} consensus peaks of {args.width} bp from {len(windows)} samples "
        f"(reproducible in: {per_condition})",
        file=sys.stderr,
    )


def run_counts(args: argparse.Namespace) -> None:
    """Count Tn5 insertions per consensus peak and write the matrix, tables and FRiP files."""
    import numpy as np
    import pandas as pd

    from regflow.io import write_outputs
    from regflow.peaks.counts import count_in_intervals, log_cpm, peak_anndata, pseudobulk
    from regflow.peaks.intervals import region_names
    from regflow.peaks.io import read_bed
    from regflow.qc.io import json_writer, open_tabix, read_insertions, tsv_writer
    from regflow.samplesheet import read_sample_sheet

    fragments = {s: Path(p) for s, p in parse_pairs(args.fragments, "--fragments").items()}
    sheet = read_sample_sheet(args.samples)
    for column in ("sample", "condition"):
        if column not in sheet.columns:
            raise RegflowError(f"sample sheet {args.samples} has no {column!r} column")
    repeated = sheet["sample"][sheet["sample"].duplicated()]
    if not repeated.empty:
        raise RegflowError(f"sample sheet {args.samples} lists sample {repeated.iloc[0]} twice")
    missing = [s for s in fragments if s not in set(sheet["sample"])]
    if missing:
        raise RegflowError(
            f"sample {missing[0]} (fragments {fragments[missing[0]]}) is not in the sample "
            f"sheet {args.samples}"
        )
    obs = sheet.set_index("sample").loc[list(fragments)]
    peaks = read_bed(args.consensus, "consensus BED")
    if peaks.empty:
        raise RegflowError(f"consensus BED {args.consensus} has no peaks")
    peaks["name"] = region_names(peaks)
    if peaks["name"].duplicated().any():
        dup = peaks["name"][peaks["name"].duplicated()].iloc[0]
        raise RegflowError(f"consensus BED {args.consensus} lists peak {dup} twice")

    counts = np.zeros((len(peaks), len(fragments)), dtype=np.int64)  # (n_peaks, n_samples)
    totals = np.zeros(len(fragments), dtype=np.int64)
    rows = {c: np.flatnonzero(peaks["chrom"].to_numpy() == c) for c in set(peaks["chrom"])}
    for j, (sample, path) in enumerate(fragments.items()):
        try:
            with open_tabix(path) as tabix:
                for chrom in tabix.contigs:
                    position, weight = read_insertions(tabix, chrom, path)
                    totals[j] += weight.sum()
                    if chrom in rows:
                        r = rows[chrom]
                        counts[r, j] = count_in_intervals(
                            position,
                            weight,
                            peaks["start"].to_numpy()[r],
                            peaks["end"].to_numpy()[r],
                        )
        except RegflowError as err:
            raise RegflowError(f"sample {sample}: {err}") from None
        if counts[:, j].sum() == 0:
            raise RegflowError(
                f"sample {sample}: no Tn5 insertion of fragments file {path} falls in the "
                f"{len(peaks):,} peaks of {args.consensus}, so its CPM is undefined"
            )

    adata = peak_anndata(counts, peaks, obs, totals)
    summed, conditions = pseudobulk(counts, obs["condition"].tolist())

    def table(values: np.ndarray, columns: list[str]) -> pd.DataFrame:
        frame = pd.DataFrame(values, columns=columns)
        frame.insert(0, "peak", peaks["name"].to_numpy())
        return frame

    samples = list(fragments)
    writers = {
        args.output_h5ad: lambda path: adata.write_h5ad(path),
        args.output_counts: tsv_writer(table(counts, samples)),
        args.output_logcpm: tsv_writer(table(np.round(log_cpm(counts), 6), samples)),
        args.output_pseudobulk: tsv_writer(table(np.round(log_cpm(summed), 6), conditions)),
    }
    for sample, row in adata.obs.iterrows():
        writers[args.frip_dir / f"{sample}.json"] = json_writer(
            {
                "sample": sample,
                "frip": float(row["frip"]),
                "insertions_in_peaks": int(row["insertions_in_peaks"]),
                "total_insertions": int(row["total_insertions"]),
            }
        )
    write_outputs(writers)
    frips = ", ".join(f"{s} {f:.3f}" for s, f in adata.obs["frip"].items())
    print(f"{len(peaks):,} peaks x {len(samples)} samples counted; FRiP: {frips}", file=sys.stderr)
