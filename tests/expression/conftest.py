"""Helpers for the expression tests: tiny featureCounts and salmon tables, sample sheets, BAMs."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

READ_LENGTH = 50
CHROM_LENGTH = 10_000

#: gene_id -> (chrom, exons as 1-based inclusive (start, end), strand); lengths 1000, 600, 300
GENES = {
    "GA": ("chr1", [(1001, 1500), (2001, 2500)], "+"),
    "GB": ("chr1", [(5001, 5600)], "-"),
    "GC": ("chr2", [(101, 400)], "+"),
}

SHEET_HEADER = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"


def write_featurecounts(path: Path, counts: dict[str, int], genes=None, bam="x.bam") -> Path:
    """Write ``counts`` (gene_id -> reads) as featureCounts would, for the genes of ``GENES``."""
    genes = GENES if genes is None else genes
    lines = [
        '# Program:featureCounts v2.0.3; Command:"featureCounts" "-a" "genes.gtf" "-o" '
        f'"{path}" "-t" "exon" "-g" "gene_id" "-s" "2" "{bam}" ',
        f"Geneid\tChr\tStart\tEnd\tStrand\tLength\t{bam}",
    ]
    for gene, (chrom, exons, strand) in genes.items():
        length = sum(end - start + 1 for start, end in exons)
        fields = [
            ";".join(chrom for _ in exons),
            ";".join(str(start) for start, _ in exons),
            ";".join(str(end) for _, end in exons),
            ";".join(strand for _ in exons),
        ]
        lines.append("\t".join([gene, *fields, str(length), str(counts[gene])]))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_salmon_genes(
    path: Path, num_reads: dict[str, float], effective_lengths: dict[str, float], tpm_scale=1.0
) -> Path:
    """Write a ``quant.genes.sf`` as salmon does: TPM from the exact NumReads / EffectiveLength,
    those two rounded to 3 decimals (as salmon's quant.sf has them), every value to 6
    significant digits, genes not in GTF order; ``tpm_scale`` corrupts the TPM."""
    rates = {gene: num_reads[gene] / effective_lengths[gene] for gene in num_reads}
    total = sum(rates.values())
    lines = ["Name\tLength\tEffectiveLength\tTPM\tNumReads"]
    for gene in reversed(list(num_reads)):
        length = effective_lengths[gene] + 185.5
        tpm = 1e6 * rates[gene] / total * tpm_scale
        values = [length, round(effective_lengths[gene], 3), tpm, round(num_reads[gene], 3)]
        lines.append("\t".join([gene, *(f"{v:.6g}" for v in values)]))
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def write_sheet(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A sample sheet with one ``(sample, assay, condition)`` row each, single-end."""
    body = "".join(
        f"{sample}\t{assay}\t{condition}\t1\tfastq/{sample}_R1.fastq.gz\t\n"
        for sample, assay, condition in rows
    )
    Path(path).write_text(SHEET_HEADER + body)
    return Path(path)


def segment(header, name, start, reverse, mate=None, read1=True):
    """One mapped ``READ_LENGTH``M read on chr1 at 0-based ``start``.

    ``mate`` = (mate start, mate reverse) makes it one read of a proper pair.
    """
    read = pysam.AlignedSegment(header)
    read.query_name = name
    read.query_sequence = "A" * READ_LENGTH
    read.query_qualities = pysam.qualitystring_to_array("I" * READ_LENGTH)
    read.reference_id = 0
    read.reference_start = start
    read.mapping_quality = 60
    read.cigarstring = f"{READ_LENGTH}M"
    read.is_reverse = reverse
    if mate is not None:
        mate_start, mate_reverse = mate
        read.is_paired = True
        read.is_proper_pair = True
        read.is_read1 = read1
        read.is_read2 = not read1
        read.next_reference_id = 0
        read.next_reference_start = mate_start
        read.mate_is_reverse = mate_reverse
        left, right = min(start, mate_start), max(start, mate_start) + READ_LENGTH
        read.template_length = (right - left) * (1 if start <= mate_start else -1)
    return read


def pair(header, name, left, fragment, read1_reverse):
    """A proper pair spanning ``[left, left + fragment)``: forward left mate, reverse right mate.

    ``read1_reverse`` says which mate is read 1 (the reverse one, or the forward one).
    """
    right = left + fragment - READ_LENGTH
    return [
        segment(header, name, left, False, (right, True), read1=not read1_reverse),
        segment(header, name, right, True, (left, False), read1=read1_reverse),
    ]


def write_bam(path: Path, make_reads, chrom_length: int = CHROM_LENGTH) -> Path:
    """Write the reads ``make_reads(header)`` returns to a sorted, indexed BAM on ``chr1``."""
    header = pysam.AlignmentHeader.from_dict(
        {"HD": {"VN": "1.6", "SO": "unsorted"}, "SQ": [{"SN": "chr1", "LN": chrom_length}]}
    )
    unsorted = Path(path).with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
        for read in make_reads(header):
            out.write(read)
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    unsorted.unlink()
    return Path(path)


@pytest.fixture
def featurecounts_dir(tmp_path):
    """Three samples' featureCounts tables and fragment-length JSONs; returns the paths."""
    counts = {
        "s1": {"GA": 100, "GB": 30, "GC": 0},
        "s2": {"GA": 80, "GB": 60, "GC": 10},
        "s3": {"GA": 50, "GB": 50, "GC": 50},
    }
    fragments = {"s1": 200.0, "s2": 250.0, "s3": 200.0}
    paths = {}
    for sample, by_gene in counts.items():
        fc = write_featurecounts(tmp_path / f"{sample}.featureCounts.txt", by_gene)
        js = tmp_path / f"{sample}.fragment_length.json"
        js.write_text(
            f'{{"sample": "{sample}", "fragment_length_mean": {fragments[sample]}, '
            '"source": "assumed"}\n'
        )
        paths[sample] = (fc, js)
    return paths


#: Per sample: salmon's estimated reads and effective lengths of GA, GB, GC.
SALMON = {
    "s1": ({"GA": 101.5, "GB": 28.25, "GC": 0.0}, {"GA": 815.123, "GB": 420.5, "GC": 120.25}),
    "s2": ({"GA": 80.0, "GB": 61.0, "GC": 9.33712}, {"GA": 790.0, "GB": 415.0, "GC": 118.75}),
    # GC: 1.2773 reads written as 1.277, TPM off by 2.4e-4 relative, explained by rounding
    "s3": ({"GA": 49.9, "GB": 50.1, "GC": 1.2773}, {"GA": 815.123, "GB": 420.5, "GC": 48.2794}),
}


@pytest.fixture
def salmon_dir(tmp_path):
    """Three samples' salmon ``quant.genes.sf`` (:data:`SALMON`); returns sample -> path."""
    paths = {}
    for sample, (num_reads, effective_lengths) in SALMON.items():
        (tmp_path / sample).mkdir()
        paths[sample] = write_salmon_genes(
            tmp_path / sample / "quant.genes.sf", num_reads, effective_lengths
        )
    return paths
