"""File input and output for the expression stage: featureCounts tables, salmon gene
quantifications, fragment-length JSONs, the sample sheet's conditions, GTF exons, the genome
FASTA, and writers for :func:`regflow.io.write_outputs`.

featureCounts writes one ``#`` line (program and command), then a header ``Geneid Chr Start End
Strand Length <bam>`` and one row per gene; for a gene with several exons ``Chr`` to ``Strand``
list every exon, separated by ``;``, and ``Length`` is the number of bases in the union of its
exons.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from regflow.errors import RegflowError
from regflow.io import read_json_object
from regflow.samplesheet import read_sample_sheet

FEATURECOUNTS_COLUMNS = ("Geneid", "Chr", "Start", "End", "Strand", "Length")


def read_featurecounts(path: Path) -> pd.DataFrame:
    """Read one sample's featureCounts table.

    Parameters
    ----------
    path
        featureCounts ``-o`` output of a single BAM.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``gene_id`` in the file's order; columns ``length`` and ``count`` (int64).

    Raises
    ------
    RegflowError
        If the file is missing, not featureCounts output, has other than one count column,
        lists a gene twice or holds a length or count that is not a non-negative integer.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"featureCounts file {path} does not exist")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    body = [line for line in lines if not line.startswith("#")]
    header = body[0].split("\t") if body else []
    if tuple(header[:6]) != FEATURECOUNTS_COLUMNS or len(header) < 7:
        raise RegflowError(
            f"featureCounts file {path} is not featureCounts output (expected the header "
            f"{' '.join(FEATURECOUNTS_COLUMNS)} and a count column)"
        )
    if len(header) > 7:
        raise RegflowError(
            f"featureCounts file {path} has {len(header) - 6} count columns; expected one "
            "(one BAM per run)"
        )
    try:
        table = pd.read_csv(
            io.StringIO("\n".join(body)), sep="\t", dtype=str, keep_default_na=False
        )
    except pd.errors.ParserError as err:
        raise RegflowError(f"featureCounts file {path} cannot be parsed: {err}") from None
    if table.empty:
        raise RegflowError(f"featureCounts file {path} has no genes")
    duplicated = table["Geneid"].duplicated()
    if duplicated.any():
        gene = table.loc[duplicated, "Geneid"].iloc[0]
        raise RegflowError(f"featureCounts file {path} lists gene {gene} twice")
    out = pd.DataFrame(index=pd.Index(table["Geneid"].to_numpy(), name="gene_id"))
    for column, name in ((header[5], "length"), (header[6], "count")):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        if bad.any():
            row = table.loc[bad].iloc[0]
            raise RegflowError(
                f"featureCounts file {path}: gene {row['Geneid']} has {name} "
                f"{row[column]!r}, expected a non-negative integer"
            )
        out[name] = values.astype("int64").to_numpy()
    return out


SALMON_COLUMNS = ("Name", "Length", "EffectiveLength", "TPM", "NumReads")


def read_salmon_genes(path: Path) -> pd.DataFrame:
    """Read one sample's salmon gene-level quantification (``quant.genes.sf``).

    salmon writes it with ``quant -g tx2gene``: per gene the sum of its transcripts' TPM and
    estimated reads (``NumReads``), and their TPM-weighted mean length and effective length.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``gene_id`` in the file's order; float64 columns ``length``,
        ``effective_length``, ``tpm`` and ``num_reads``.

    Raises
    ------
    RegflowError
        If the file is missing, not a salmon ``.sf`` table, has no genes, lists a gene twice,
        or holds a value that is not a finite non-negative number or an effective length that
        is not positive.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"salmon file {path} does not exist")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise RegflowError(f"salmon file {path} cannot be parsed: {err}") from None
    if tuple(table.columns) != SALMON_COLUMNS:
        raise RegflowError(
            f"salmon file {path} is not salmon quant output (expected the header "
            f"{' '.join(SALMON_COLUMNS)})"
        )
    if table.empty:
        raise RegflowError(f"salmon file {path} has no genes")
    duplicated = table["Name"].duplicated()
    if duplicated.any():
        gene = table.loc[duplicated, "Name"].iloc[0]
        raise RegflowError(f"salmon file {path} lists gene {gene} twice")
    out = pd.DataFrame(index=pd.Index(table["Name"].to_numpy(), name="gene_id"))
    names = {
        "Length": "length",
        "EffectiveLength": "effective_length",
        "TPM": "tpm",
        "NumReads": "num_reads",
    }
    for column, name in names.items():
        values = pd.to_numeric(table[column], errors="coerce")
        bad = ~np.isfinite(values) | (values < 0)
        if name == "effective_length":
            bad |= values == 0
        if bad.any():
            row = table.loc[bad].iloc[0]
            what = "positive" if name == "effective_length" else "non-negative"
            raise RegflowError(
                f"salmon file {path}: gene {row['Name']} has {column} {row[column]!r}, expected "
                f"a finite {what} number"
            )
        out[name] = values.astype("float64").to_numpy()
    return out


def read_fragment_length(path: Path, sample: str) -> float:
    """The ``fragment_length_mean`` of a JSON written by ``regflow expression fragment-length``.

    Raises
    ------
    RegflowError
        If the file is missing or not such a JSON, is for another sample, or its mean is not
        a positive number.
    """
    path = Path(path)
    data = read_json_object(path, f"sample {sample}: fragment-length JSON")
    what = f"sample {sample}: fragment-length JSON {path}"
    if data.get("sample") != sample:
        raise RegflowError(f"{what} is for sample {data.get('sample')!r}")
    mean = data.get("fragment_length_mean")
    if isinstance(mean, bool) or not isinstance(mean, int | float) or not mean > 0:
        raise RegflowError(f"{what}: fragment_length_mean must be a positive number, got {mean!r}")
    if not math.isfinite(mean):
        raise RegflowError(f"{what}: fragment_length_mean must be finite, got {mean!r}")
    return float(mean)


def sample_conditions(sheet: Path, samples: list[str]) -> pd.Series:
    """Each RNA-seq sample's condition, in the order of the sample sheet.

    Parameters
    ----------
    sheet
        The sample sheet (columns ``sample``, ``assay``, ``condition``, ...).
    samples
        The samples to look up.

    Returns
    -------
    pandas.Series
        Index: the samples in sheet order; values: their conditions.

    Raises
    ------
    RegflowError
        If a sample is not in the sheet, is not an ``rna`` sample, or has no condition (the
        per-condition means need one); the message names the sheet, its row and the sample.
    """
    table = read_sample_sheet(sheet)
    missing = [c for c in ("sample", "assay", "condition") if c not in table.columns]
    if missing:
        raise RegflowError(f"{sheet}: missing column(s) {', '.join(missing)}")
    row_of = {name: i for i, name in enumerate(table["sample"])}
    for sample in samples:
        if sample not in row_of:
            raise RegflowError(f"sample {sample!r} is not in sample sheet {sheet}")
        row = table.iloc[row_of[sample]]
        where = f"{sheet} row {row_of[sample] + 1} (sample {sample!r})"
        if row["assay"] != "rna":
            raise RegflowError(f"{where}: assay is {row['assay']!r}, expected 'rna'")
        if not row["condition"].strip():
            raise RegflowError(f"{where}: missing condition (the per-condition means need it)")
    ordered = sorted(samples, key=row_of.__getitem__)
    return pd.Series(
        [table.iloc[row_of[s]]["condition"] for s in ordered], index=ordered, name="condition"
    )


def tsv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`~regflow.io.write_outputs`: ``frame`` with its index as the first
    column, floats to 10 significant digits."""

    def write(path: Path) -> None:
        frame.to_csv(path, sep="\t", lineterminator="\n", float_format="%.10g")

    return write


def json_writer(data: dict) -> Callable[[Path], None]:
    """A writer for :func:`~regflow.io.write_outputs`: ``data`` as indented JSON."""

    def write(path: Path) -> None:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    return write


#: Columns of a GTF, in order.
GTF_COLUMNS = ("chrom", "source", "feature", "start", "end", "score", "strand", "frame", "attr")


def read_gtf_exons(path: Path) -> pd.DataFrame:
    """The ``exon`` records of a GTF with their transcript and gene.

    Returns
    -------
    pandas.DataFrame
        One row per exon in file order; columns ``chrom``, ``start`` (0-based), ``end``
        (half-open), ``strand``, ``transcript_id``, ``gene_id``.

    Raises
    ------
    RegflowError
        If the file is missing or not a GTF, has no exons, or an exon lacks ``transcript_id``
        or ``gene_id`` or has coordinates that are not 1 <= start <= end.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"GTF {path} does not exist")
    try:
        gtf = pd.read_csv(
            path,
            sep="\t",
            header=None,
            comment="#",
            names=list(GTF_COLUMNS),
            dtype=str,
            keep_default_na=False,
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"GTF {path} cannot be parsed: {err}") from None
    exons = gtf[gtf["feature"] == "exon"]
    if exons.empty:
        raise RegflowError(f"GTF {path} has no exon records")
    out = pd.DataFrame({"chrom": exons["chrom"], "strand": exons["strand"]})
    for name in ("start", "end"):
        out[name] = pd.to_numeric(exons[name], errors="coerce")
    for name in ("transcript_id", "gene_id"):
        out[name] = exons["attr"].str.extract(rf'(?:^|;)\s*{name} "([^"]+)"', expand=False)
    checks = (
        (out["transcript_id"].isna() | out["gene_id"].isna(), "lacks gene_id or transcript_id"),
        (~(out["start"] >= 1) | ~(out["end"] >= out["start"]), "is not 1 <= start <= end"),
    )
    for bad, problem in checks:
        if bad.any():
            row = exons.loc[bad.to_numpy()].iloc[0]
            raise RegflowError(
                f"GTF {path}: exon {row['chrom']}:{row['start']}-{row['end']} {problem}"
            )
    out["start"] = out["start"].astype("int64") - 1  # GTF is 1-based inclusive
    out["end"] = out["end"].astype("int64")
    return out[["chrom", "start", "end", "strand", "transcript_id", "gene_id"]].reset_index(
        drop=True
    )


def open_genome(fasta: Path) -> pysam.FastaFile:
    """Open a genome FASTA for random access, creating its ``.fai`` index if absent.

    Raises
    ------
    RegflowError
        If the FASTA is missing or unreadable (plain or bgzip-compressed FASTA only), or has no
        index and its directory is not writable to create one.
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise RegflowError(f"genome FASTA {fasta} does not exist")
    fai = fasta.with_name(fasta.name + ".fai")
    if not fai.is_file() and not os.access(fasta.parent, os.W_OK):
        raise RegflowError(
            f"genome FASTA {fasta} has no index {fai.name} and its directory is not writable to "
            f"create one; run 'samtools faidx {fasta}' where it is writable, or copy the FASTA"
        )
    try:
        return pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as err:
        raise RegflowError(f"genome FASTA {fasta} cannot be read or indexed: {err}") from None


def gentrome_writer(
    transcripts: dict[str, str], fasta: Path, width: int = 60
) -> Callable[[Path], None]:
    """A writer for :func:`~regflow.io.write_outputs`: salmon's gentrome FASTA.

    The transcripts first, then every sequence of the genome ``fasta`` (indexed, see
    :func:`open_genome`) as a decoy, upper case, ``width`` bases per line.
    """

    def records(genome: pysam.FastaFile) -> Iterable[tuple[str, str]]:
        yield from transcripts.items()
        for contig in genome.references:
            yield contig, genome.fetch(contig).upper()

    def write(path: Path) -> None:
        with open(path, "w", encoding="ascii") as out, pysam.FastaFile(str(fasta)) as genome:
            for name, sequence in records(genome):
                out.write(f">{name}\n")
                for i in range(0, len(sequence), width):
                    out.write(sequence[i : i + width] + "\n")

    return write


def lines_writer(lines: Iterable[str]) -> Callable[[Path], None]:
    """A writer for :func:`~regflow.io.write_outputs`: one line per item."""
    text = "".join(f"{line}\n" for line in lines)

    def write(path: Path) -> None:
        Path(path).write_text(text, encoding="utf-8")

    return write
