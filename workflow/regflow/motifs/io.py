"""File input and output for the motifs stage: motif files, regions, the genome, outputs.

JASPAR format: a header ``>ID name`` and four rows of counts for A, C, G, T, either
``A [ 4 19 0 ]`` or bare numbers. Minimal MEME format (MEME suite): ``MEME version``, an
optional ``ALPHABET= ACGT`` line, then per motif ``MOTIF id [name]`` and a
``letter-probability matrix: alength= 4 w= W nsites= N`` block of W rows of 4 probabilities;
counts are taken as probabilities x nsites (20 when absent, MEME's default).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.motifs.matrices import BASES, Motif
from regflow.motifs.regions import encode_bases

_MEME_DEFAULT_NSITES = 20.0
_PROB_TOLERANCE = 0.02
_KEY_VALUE = re.compile(r"(\w+)\s*=\s*(\S+)")
_JASPAR_ROW = re.compile(r"^\s*([ACGTacgt])?\s*\[?([^\[\]]*)\]?\s*$")


def read_motifs(path: Path) -> list[Motif]:
    """Read a JASPAR or minimal MEME motif file, recognised by its first line.

    Raises
    ------
    RegflowError
        Naming the file and line of the first problem: an unknown format, a malformed row,
        rows of unequal length, negative counts, an empty column or a repeated ID.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"motif file {path} does not exist")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise RegflowError(f"motif file {path} is not a text file") from None
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith("MEME version"):
        motifs = _parse_meme(lines, path)
    elif first.startswith(">"):
        motifs = _parse_jaspar(lines, path)
    else:
        raise RegflowError(
            f"motif file {path} is neither JASPAR (starts with '>') nor MEME "
            f"(starts with 'MEME version'): first line {first[:40]!r}"
        )
    if not motifs:
        raise RegflowError(f"motif file {path} holds no motifs")
    return motifs


def _numbers(text: str, path: Path, lineno: int) -> np.ndarray:
    try:
        values = np.array(text.split(), dtype=float)
    except ValueError:
        raise RegflowError(f"motif file {path} line {lineno}: not a row of numbers") from None
    if not np.isfinite(values).all() or (values < 0).any():
        raise RegflowError(f"motif file {path} line {lineno}: negative or non-finite value")
    return values


def _check_matrix(counts: np.ndarray, matrix_id: str, path: Path, lineno: int) -> None:
    if counts.shape[0] == 0:
        raise RegflowError(f"motif file {path} line {lineno}: motif {matrix_id} has no columns")
    if (counts.sum(axis=1) <= 0).any():
        raise RegflowError(
            f"motif file {path} line {lineno}: motif {matrix_id} has a position with no counts"
        )


def _add(motifs: dict, motif: Motif, lines_of: dict, path: Path, lineno: int) -> None:
    if motif.matrix_id in motifs:
        raise RegflowError(
            f"motif file {path} line {lineno}: motif ID {motif.matrix_id} repeated "
            f"(first on line {lines_of[motif.matrix_id]})"
        )
    motifs[motif.matrix_id] = motif
    lines_of[motif.matrix_id] = lineno


def _parse_jaspar(lines: list[str], path: Path) -> list[Motif]:
    motifs: dict[str, Motif] = {}
    lines_of: dict[str, int] = {}
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    k = 0
    while k < len(numbered):
        lineno, header = numbered[k]
        if not header.startswith(">") or not header[1:].split():
            raise RegflowError(f"motif file {path} line {lineno}: expected a '>ID name' header")
        fields = header[1:].split()
        matrix_id, name = fields[0], " ".join(fields[1:]) or fields[0]
        rows: dict[str, np.ndarray] = {}
        for b in range(4):
            if k + 1 + b >= len(numbered) or numbered[k + 1 + b][1].startswith(">"):
                raise RegflowError(
                    f"motif file {path} line {lineno}: motif {matrix_id} has fewer than 4 rows"
                )
            row_no, row = numbered[k + 1 + b]
            match = _JASPAR_ROW.match(row)
            if match is None:
                raise RegflowError(f"motif file {path} line {row_no}: malformed matrix row")
            base = (match.group(1) or BASES[b]).upper()
            if base in rows:
                raise RegflowError(f"motif file {path} line {row_no}: base {base} repeated")
            rows[base] = _numbers(match.group(2), path, row_no)
        if len({r.size for r in rows.values()}) != 1:
            raise RegflowError(
                f"motif file {path} line {lineno}: the 4 rows of motif {matrix_id} differ in length"
            )
        counts = np.stack([rows[b] for b in BASES], axis=1)  # (length, 4)
        _check_matrix(counts, matrix_id, path, lineno)
        _add(motifs, Motif(matrix_id, name, counts), lines_of, path, lineno)
        k += 5
    return list(motifs.values())


def _parse_meme(lines: list[str], path: Path) -> list[Motif]:
    motifs: dict[str, Motif] = {}
    lines_of: dict[str, int] = {}
    current: tuple[str, str, int] | None = None  # (id, name, line) of the open MOTIF
    has_matrix = True
    k = 0
    while k < len(lines):
        lineno, line = k + 1, lines[k].strip()
        k += 1
        if line.startswith("ALPHABET"):
            alphabet = line.partition("=")[2].strip()
            if alphabet.upper() != BASES:
                raise RegflowError(
                    f"motif file {path} line {lineno}: only the DNA alphabet ACGT is supported, "
                    f"found {alphabet!r}"
                )
        elif line.startswith("MOTIF"):
            if not has_matrix:
                raise RegflowError(
                    f"motif file {path} line {current[2]}: motif {current[0]} has no "
                    "letter-probability matrix"
                )
            fields = line.split()
            if len(fields) < 2:
                raise RegflowError(f"motif file {path} line {lineno}: MOTIF without an ID")
            current = (fields[1], " ".join(fields[2:]) or fields[1], lineno)
            has_matrix = False
        elif line.startswith("letter-probability matrix"):
            if current is None or has_matrix:
                raise RegflowError(
                    f"motif file {path} line {lineno}: letter-probability matrix outside a MOTIF"
                )
            keys = dict(_KEY_VALUE.findall(line.partition(":")[2]))
            try:
                width = int(keys["w"]) if "w" in keys else None
                nsites = float(keys.get("nsites", _MEME_DEFAULT_NSITES))
                alength = int(keys.get("alength", 4))
            except ValueError:
                raise RegflowError(
                    f"motif file {path} line {lineno}: unreadable w=, nsites= or alength="
                ) from None
            if alength != 4 or nsites <= 0:
                raise RegflowError(
                    f"motif file {path} line {lineno}: need alength= 4 and nsites > 0"
                )
            rows = []
            while k < len(lines) and (width is None or len(rows) < width):
                text = lines[k].strip()
                if not text or not (text[0].isdigit() or text[0] in ".-+"):
                    break
                row = _numbers(text, path, k + 1)
                if row.size != 4 or abs(row.sum() - 1.0) > _PROB_TOLERANCE:
                    raise RegflowError(
                        f"motif file {path} line {k + 1}: a matrix row must hold 4 "
                        "probabilities summing to 1"
                    )
                rows.append(row)
                k += 1
            if width is not None and len(rows) != width:
                raise RegflowError(
                    f"motif file {path} line {lineno}: motif {current[0]} declares w= {width} "
                    f"but has {len(rows)} rows"
                )
            counts = np.array(rows, float).reshape(-1, 4) * nsites  # (length, 4)
            _check_matrix(counts, current[0], path, lineno)
            _add(motifs, Motif(current[0], current[1], counts), lines_of, path, current[2])
            has_matrix = True
    if not has_matrix:
        raise RegflowError(
            f"motif file {path} line {current[2]}: motif {current[0]} has no "
            "letter-probability matrix"
        )
    return list(motifs.values())


def jaspar_text(motifs: list[Motif]) -> str:
    """Motifs in JASPAR format: whole counts as integers, fractional counts with 6 digits."""
    lines = []
    for m in motifs:
        lines.append(f">{m.matrix_id}\t{m.name}")
        whole = np.array_equal(m.counts, np.rint(m.counts))
        for b, base in enumerate(BASES):
            column = m.counts[:, b]
            cells = (f"{int(c):4d}" for c in column) if whole else (f"{c:.6g}" for c in column)
            lines.append(f"{base}  [ " + " ".join(cells) + " ]")
    return "\n".join(lines) + "\n"


def write_jaspar(motifs: list[Motif], path: Path) -> None:
    """Write ``motifs`` to ``path`` in JASPAR format (:func:`jaspar_text`)."""
    Path(path).write_text(jaspar_text(motifs), encoding="utf-8")


def read_regions_bed(path: Path) -> pd.DataFrame:
    """Regions of a BED file in file order, named by column 4 or else ``chrom:start-end``.

    ``#``, ``track`` and ``browser`` lines are skipped; a name of ``.`` counts as absent.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``start``, ``end`` (int64), ``name``; one row per record.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"regions BED {path} does not exist")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            raise RegflowError(
                f"regions BED {path} line {lineno}: fewer than 3 tab-separated columns"
            )
        try:
            start, end = int(fields[1]), int(fields[2])
        except ValueError:
            raise RegflowError(
                f"regions BED {path} line {lineno}: start or end is not an integer"
            ) from None
        if start < 0 or end <= start:
            raise RegflowError(f"regions BED {path} line {lineno}: start < 0 or end <= start")
        name = fields[3].strip() if len(fields) > 3 else ""
        rows.append((fields[0], start, end, name if name not in ("", ".") else None))
    if not rows:
        raise RegflowError(f"regions BED {path} has no regions")
    frame = pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])
    default = frame["chrom"] + ":" + frame["start"].astype(str) + "-" + frame["end"].astype(str)
    frame["name"] = frame["name"].fillna(default)
    return frame.astype({"start": np.int64, "end": np.int64})


def _open_fasta(path: Path):
    import pysam

    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"genome FASTA {path} does not exist")
    try:
        return pysam.FastaFile(str(path))
    except (OSError, ValueError) as err:
        raise RegflowError(f"genome FASTA {path} cannot be opened: {err}") from None


def fasta_sizes(path: Path) -> dict[str, int]:
    """Length of every sequence of a FASTA file (indexed by pysam, which writes a ``.fai``
    beside it when there is none)."""
    with _open_fasta(path) as fasta:
        return dict(zip(fasta.references, fasta.lengths, strict=True))


def read_region_codes(
    path: Path, regions: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base codes of every region, concatenated in the table's order, and the genome's bases.

    Each chromosome is read once. Regions must lie within their chromosomes
    (:func:`regflow.motifs.regions.check_regions`).

    Returns
    -------
    codes : numpy.ndarray
        ``(total_length,)`` uint8, 0..3 for A, C, G, T, 4 for anything else.
    bounds : numpy.ndarray
        ``(n_regions + 1,)`` int64; region ``i`` is ``codes[bounds[i]:bounds[i + 1]]``.
    base_counts : numpy.ndarray
        ``(4,)`` int64 counts of A, C, G, T over every sequence of the FASTA.
    """
    lengths = (regions["end"] - regions["start"]).to_numpy(np.int64)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    codes = np.empty(bounds[-1], dtype=np.uint8)
    base_counts = np.zeros(4, dtype=np.int64)
    by_chrom = regions.groupby("chrom", sort=False).indices
    with _open_fasta(path) as fasta:
        for chrom in fasta.references:
            sequence = encode_bases(fasta.fetch(chrom).encode("ascii"))
            base_counts += np.bincount(sequence, minlength=5)[:4]
            for i in by_chrom.get(chrom, ()):
                start, end = regions["start"].iat[i], regions["end"].iat[i]
                codes[bounds[i] : bounds[i + 1]] = sequence[start:end]
    return codes, bounds, base_counts


def gzip_tsv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`regflow.io.write_outputs`: ``frame`` as a gzipped TSV with header."""

    def write(path: Path) -> None:
        with gzip.open(path, "wt", compresslevel=4, encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, sep="\t", index=False, lineterminator="\n", float_format="%.6g")

    return write
