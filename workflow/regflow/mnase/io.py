"""File input and output of the MNase stage: fragments per chromosome, genes, targets, ``.npz``.

Fragments files are bgzipped, tabix-indexed TSVs without a header: ``chrom, start, end, name,
count`` (0-based half-open; MNase fragments are not shifted).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from regflow.errors import RegflowError
from regflow.qc.io import open_tabix, read_tss_gtf

#: Arrays of an images ``.npz`` (besides the JSON string ``meta``).
NPZ_ARRAYS = (
    "gene_ids",
    "conditions",
    "images",
    "images_raw",
    "targets",
    "anchor",
    "origin",
    "length_edges",
    "position_edges",
)


@dataclass(frozen=True)
class FragmentsFile:
    """One sample's open fragments file."""

    sample: str
    path: Path
    tabix: pysam.TabixFile

    def read(self, chrom: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The fragments of ``chrom`` (none if the file lacks it).

        Returns
        -------
        start, end, count : numpy.ndarray
            Shape ``(n_fragments,)``, int64 each.
        """
        empty = np.zeros(0, dtype=np.int64)
        if chrom not in self.tabix.contigs:
            return empty, empty.copy(), empty.copy()
        text = "\n".join(self.tabix.fetch(chrom))
        if not text:
            return empty, empty.copy(), empty.copy()
        try:
            table = pd.read_csv(
                io.StringIO(text), sep="\t", header=None, usecols=[1, 2, 4], dtype=np.int64
            )
        except (ValueError, pd.errors.ParserError) as err:
            raise RegflowError(
                f"sample {self.sample}: fragments file {self.path} cannot be parsed on {chrom} "
                f"(expected 5 tab-separated columns chrom, start, end, name, count): {err}"
            ) from None
        start, end, count = (table[c].to_numpy() for c in (1, 2, 4))
        if (end <= start).any() or (start < 0).any() or (count < 0).any():
            raise RegflowError(
                f"sample {self.sample}: fragments file {self.path} has a fragment on {chrom} "
                "with end <= start or a negative start or count"
            )
        return start, end, count


def open_fragments(sample: str, path: Path, chrom_sizes: dict[str, int]) -> FragmentsFile:
    """Open a tabix-indexed fragments file, checking its contigs against the chromosome sizes."""
    try:
        tabix = open_tabix(Path(path))
    except RegflowError as err:
        raise RegflowError(f"sample {sample}: {err}") from None
    absent = [c for c in tabix.contigs if c not in chrom_sizes]
    if absent:
        raise RegflowError(
            f"sample {sample}: fragments file {path} has contig(s) {', '.join(absent)} absent "
            "from the chromosome sizes"
        )
    return FragmentsFile(sample, Path(path), tabix)


def read_genes(gtf: Path, chrom_sizes: dict[str, int]) -> pd.DataFrame:
    """Genes of a GTF in file order with their TSSs (``start`` for +, ``end - 1`` for -).

    Returns
    -------
    pandas.DataFrame
        Columns ``gene_id``, ``chrom``, ``tss`` (0-based, int64), ``sign`` (+1/-1, int64).
    """
    tss = read_tss_gtf(Path(gtf))
    genes = pd.DataFrame(
        {
            "gene_id": tss["name"].to_numpy(),
            "chrom": tss["chrom"].to_numpy(),
            "tss": tss["position"].to_numpy(dtype=np.int64),
            "sign": np.where(tss["strand"].to_numpy() == "+", 1, -1).astype(np.int64),
        }
    )
    if (genes["gene_id"] == ".").any():
        raise RegflowError(f"GTF {gtf} has a gene record without a gene_id")
    duplicated = genes["gene_id"].duplicated()
    if duplicated.any():
        raise RegflowError(f"GTF {gtf} lists gene {genes['gene_id'][duplicated].iloc[0]} twice")
    size = genes["chrom"].map(chrom_sizes)  # NaN where the chromosome is unknown
    absent = size.isna().to_numpy()
    if absent.any():
        row = genes[absent].iloc[0]
        raise RegflowError(
            f"GTF {gtf}: gene {row.gene_id} is on {row.chrom}, absent from the chromosome sizes"
        )
    past = (genes["tss"] >= size).to_numpy()
    if past.any():
        row = genes[past].iloc[0]
        raise RegflowError(
            f"GTF {gtf}: gene {row.gene_id} has its TSS at {row.chrom}:{row.tss}, past the "
            f"chromosome end ({chrom_sizes[row.chrom]})"
        )
    return genes


def read_targets(path: Path, gene_ids: np.ndarray, conditions: list[str]) -> tuple[np.ndarray, int]:
    """Per gene and condition values of a genes x conditions table (first column: gene ids).

    Returns
    -------
    targets : numpy.ndarray
        Shape ``(n_genes, n_conditions)``, float32, NaN where the gene or condition is missing.
    missing : int
        Number of NaN cells (missing from the table or empty in it).
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"targets table {path} does not exist")
    try:
        table = pd.read_csv(path, sep="\t", index_col=0, dtype={0: str})
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"targets table {path} cannot be parsed: {err}") from None
    if table.empty:
        raise RegflowError(f"targets table {path} has no rows")
    if table.index.duplicated().any():
        dup = table.index[table.index.duplicated()][0]
        raise RegflowError(f"targets table {path} lists gene {dup} twice")
    values = table.reindex(index=list(gene_ids), columns=conditions)
    try:
        targets = values.to_numpy(dtype=np.float32)  # (n_genes, n_conditions)
    except ValueError:
        raise RegflowError(f"targets table {path} has a value that is not a number") from None
    return targets, int(np.isnan(targets).sum())


def npz_writer(arrays: dict[str, np.ndarray], meta: dict) -> Callable[[Path], None]:
    """A writer for :func:`regflow.io.write_outputs`: ``arrays`` plus ``meta`` as a JSON string,
    in one compressed ``.npz``."""
    from regflow.io import npz_writer as arrays_writer

    return arrays_writer({**arrays, "meta": np.array(json.dumps(meta))})


def read_images(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read an images ``.npz`` written by ``regflow mnase images``.

    Returns
    -------
    arrays : dict
        :data:`NPZ_ARRAYS` by name (shapes in :mod:`regflow.mnase.cli`).
    meta : dict
        The parsed ``meta`` JSON.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"images file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in (*NPZ_ARRAYS, "meta") if k not in npz.files]
            if missing:
                raise RegflowError(f"images file {path} lacks array(s) {', '.join(missing)}")
            arrays = {k: npz[k] for k in NPZ_ARRAYS}
            meta = json.loads(str(npz["meta"]))
    except (OSError, ValueError) as err:
        raise RegflowError(f"images file {path} cannot be read as .npz: {err}") from None
    return arrays, meta
