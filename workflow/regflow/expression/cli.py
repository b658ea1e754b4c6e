"""``regflow expression ...``: salmon's transcript inputs, fragment lengths and the tables.

Gene counts come from featureCounts, run per sample by the workflow (``-t exon -g gene_id``,
``-s`` as the library's strandedness, ``-p --countReadPairs`` for paired-end). TPM comes
either from those counts and the mean fragment length (``tables --fragment-length``) or from
salmon (``tables --salmon``): ``salmon index`` on the gentrome and decoys of ``transcripts``,
then ``salmon quant -g tx2gene`` per sample. Every subcommand computes everything first and
then writes its outputs atomically, so a failure leaves no partial output behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regflow.errors import RegflowError

#: Files written by ``regflow expression tables``, under ``--outdir``.
TABLES = (
    "counts",
    "tpm",
    "log2_tpm",
    "log10_tpm",
    "tpm_by_condition",
    "log2_tpm_by_condition",
    "gene_lengths",
)
#: Added by ``regflow expression tables --salmon``.
SALMON_TABLES = ("salmon_numreads", "effective_lengths")


def add_parser(subparsers) -> None:
    """Register ``expression`` with its subcommands."""
    parser = subparsers.add_parser(
        "expression", help="RNA-seq salmon inputs, fragment lengths and TPM tables"
    )
    sub = parser.add_subparsers(dest="expression_command", required=True)

    lengths = sub.add_parser(
        "fragment-length",
        help="mean fragment length of a BAM (estimated if paired-end, else assumed)",
    )
    lengths.add_argument("--sample", required=True)
    lengths.add_argument("--bam", required=True, type=Path)
    lengths.add_argument(
        "--default",
        type=float,
        default=200.0,
        help="mean assumed for a single-end BAM (default: 200)",
    )
    lengths.add_argument(
        "--output-json",
        required=True,
        type=Path,
        help='JSON: {"sample", "fragment_length_mean", "source": "estimated"|"assumed"}',
    )
    lengths.set_defaults(func=run_fragment_length)

    transcripts = sub.add_parser(
        "transcripts",
        help="salmon's gentrome (spliced transcripts + genome decoys), decoy names, tx2gene",
    )
    transcripts.add_argument("--fasta", required=True, type=Path, help="genome FASTA")
    transcripts.add_argument("--gtf", required=True, type=Path, help="annotation (exon records)")
    transcripts.add_argument(
        "--output-gentrome",
        required=True,
        type=Path,
        help="FASTA: every transcript of the GTF's exons, then the genome's sequences",
    )
    transcripts.add_argument(
        "--output-decoys", required=True, type=Path, help="the genome's sequence names"
    )
    transcripts.add_argument(
        "--output-tx2gene",
        required=True,
        type=Path,
        help="transcript_id<TAB>gene_id, no header (salmon quant -g)",
    )
    transcripts.set_defaults(func=run_transcripts)

    tables = sub.add_parser("tables", help="counts, TPM and log tables, genes x samples")
    tables.add_argument(
        "--counts",
        nargs="+",
        required=True,
        metavar="SAMPLE=PATH",
        help="featureCounts output, one per sample",
    )
    tpm_source = tables.add_mutually_exclusive_group(required=True)
    tpm_source.add_argument(
        "--fragment-length",
        nargs="+",
        metavar="SAMPLE=PATH",
        help="fragment-length JSONs, one per sample: TPM from the featureCounts counts",
    )
    tpm_source.add_argument(
        "--salmon",
        nargs="+",
        metavar="SAMPLE=PATH",
        help="salmon quant.genes.sf, one per sample: TPM from salmon's reads and effective "
        f"lengths, adding {', '.join(SALMON_TABLES)}",
    )
    tables.add_argument(
        "--samples", required=True, type=Path, help="sample sheet (order and conditions)"
    )
    tables.add_argument(
        "--outdir", required=True, type=Path, help=f"writes {', '.join(TABLES)} (.tsv)"
    )
    tables.set_defaults(func=run_tables)


def run_fragment_length(args: argparse.Namespace) -> None:
    """Mean fragment length of one sample's BAM."""
    from regflow.expression.fragment_length import fragment_length, template_lengths
    from regflow.expression.io import json_writer
    from regflow.io import write_outputs

    if not args.default > 0:
        raise RegflowError(f"sample {args.sample}: --default must be positive, got {args.default}")
    try:
        tlens = template_lengths(args.bam)
    except RegflowError as err:
        raise RegflowError(f"sample {args.sample}: {err}") from None
    record = {"sample": args.sample, **fragment_length(tlens, args.default)}
    write_outputs({args.output_json: json_writer(record)})
    pairs = "single-end" if tlens is None else f"{tlens.size:,} proper pairs"
    print(
        f"{args.sample}: mean fragment length {record['fragment_length_mean']:.1f} bp "
        f"({record['source']}, {pairs})",
        file=sys.stderr,
    )


def run_transcripts(args: argparse.Namespace) -> None:
    """salmon's gentrome, decoy list and tx2gene from a genome and a GTF."""
    from regflow.expression.io import gentrome_writer, lines_writer, open_genome, read_gtf_exons
    from regflow.expression.transcripts import check_contigs, spliced_sequences, transcript_models
    from regflow.io import write_outputs

    models = transcript_models(read_gtf_exons(args.gtf), args.gtf)
    with open_genome(args.fasta) as genome:
        lengths = dict(zip(genome.references, genome.lengths, strict=True))
        check_contigs(models, lengths, args.gtf, args.fasta)
        sequences = spliced_sequences(models, genome.fetch)
    write_outputs(
        {
            args.output_gentrome: gentrome_writer(sequences, args.fasta),
            args.output_decoys: lines_writer(lengths),
            args.output_tx2gene: lines_writer(
                f"{transcript}\t{gene}" for transcript, gene in models["gene_id"].items()
            ),
        }
    )
    print(
        f"transcripts: {len(models):,} transcripts of {models['gene_id'].nunique():,} genes "
        f"({sum(map(len, sequences.values())):,} bp) + {len(lengths)} decoy sequences "
        f"({sum(lengths.values()):,} bp)",
        file=sys.stderr,
    )


def run_tables(args: argparse.Namespace) -> None:
    """Counts, TPM, log2/log10(TPM + 1), per-condition means and gene lengths."""
    import pandas as pd

    from regflow.expression.io import (
        read_featurecounts,
        read_fragment_length,
        read_salmon_genes,
        sample_conditions,
        tsv_writer,
    )
    from regflow.expression.tables import (
        count_matrix,
        expression_tables,
        salmon_expression_tables,
        salmon_matrix,
    )
    from regflow.io import write_outputs
    from regflow.qc.cli import parse_pairs

    counts_files = parse_pairs(args.counts, "--counts")
    option = "--salmon" if args.salmon else "--fragment-length"
    tpm_files = parse_pairs(args.salmon or args.fragment_length, option)
    for sample in counts_files:
        if sample not in tpm_files:
            raise RegflowError(f"sample {sample}: --counts given but no {option}")
    for sample in tpm_files:
        if sample not in counts_files:
            raise RegflowError(f"sample {sample}: {option} given but no --counts")
    conditions = sample_conditions(args.samples, list(counts_files))

    def read_each(read, files: dict) -> dict:
        per_sample = {}
        for sample in conditions.index:
            try:
                per_sample[sample] = read(files[sample])
            except RegflowError as err:
                raise RegflowError(f"sample {sample}: {err}") from None
        return per_sample

    counts, lengths = count_matrix(read_each(read_featurecounts, counts_files), counts_files)
    if args.salmon:
        num_reads, effective_lengths = salmon_matrix(
            read_each(read_salmon_genes, tpm_files), tpm_files, counts.index
        )
        tables = salmon_expression_tables(counts, lengths, num_reads, effective_lengths, conditions)
        names = TABLES + SALMON_TABLES
        source = f"TPM from salmon ({num_reads.to_numpy().sum():,.0f} reads)"
    else:
        fragment_length = pd.Series(
            {sample: read_fragment_length(tpm_files[sample], sample) for sample in counts}
        )
        tables = expression_tables(counts, lengths, fragment_length, conditions)
        names = TABLES
        source = "TPM from featureCounts"
    write_outputs({args.outdir / f"{name}.tsv": tsv_writer(tables[name]) for name in names})
    print(
        f"expression tables: {counts.shape[0]:,} genes x {counts.shape[1]} samples in "
        f"{conditions.nunique()} conditions, {int(counts.to_numpy().sum()):,} assigned reads, "
        f"{source}",
        file=sys.stderr,
    )
