"""Gene x motif importance matrices and the top genes of one motif column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

GENE_COLUMN = "gene_id"
DIRECTIONS = ("positive", "absolute")


def read_matrix(path: Path) -> pd.DataFrame:
    """A gene x motif TSV: column ``gene_id`` (the index) and one float column per motif.

    Parameters
    ----------
    path
        Tab-separated file with a header.

    Returns
    -------
    pandas.DataFrame
        Float64 values indexed by gene ID (strings), one column per motif, in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"gene x motif matrix {path} does not exist")
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise RegflowError(f"gene x motif matrix {path} is not a readable TSV: {err}") from None
    if GENE_COLUMN not in frame.columns:
        raise RegflowError(f"gene x motif matrix {path} has no {GENE_COLUMN} column")
    frame = frame.set_index(GENE_COLUMN)
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise RegflowError(f"gene x motif matrix {path} needs at least one gene and one motif")
    duplicated = frame.index[frame.index.duplicated()].unique()
    if len(duplicated):
        raise RegflowError(
            f"gene x motif matrix {path}: duplicate gene IDs {', '.join(duplicated[:5])}"
        )
    if (frame.index == "").any():
        raise RegflowError(f"gene x motif matrix {path}: a row has an empty {GENE_COLUMN}")
    values = frame.apply(pd.to_numeric, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise RegflowError(
            f"gene x motif matrix {path}: column {frame.columns[col]} gene {frame.index[row]} "
            f"has non-numeric or missing value {frame.iat[row, col]!r}"
        )
    return values


def top_genes(matrix: pd.DataFrame, column: str, n: int, direction: str = "positive") -> list[str]:
    """The ``n`` genes with the largest values of ``column``, best first.

    Parameters
    ----------
    matrix
        Gene x motif values indexed by gene ID.
    column
        Motif column to rank by.
    n
        Number of genes; all genes when the matrix has fewer.
    direction
        ``positive`` ranks by value, ``absolute`` by magnitude (a motif may act either way).

    Returns
    -------
    list of str
        Gene IDs; ties are broken by gene ID so the list never depends on row order.
    """
    if column not in matrix.columns:
        raise RegflowError(f"motif column {column} is not in the gene x motif matrix")
    if direction not in DIRECTIONS:
        raise RegflowError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction}")
    if n < 1:
        raise RegflowError(f"the number of top genes must be >= 1, got {n}")
    values = matrix[column].to_numpy(dtype=np.float64)
    score = np.abs(values) if direction == "absolute" else values
    genes = matrix.index.astype(str).to_numpy()
    order = np.lexsort((genes, -score))
    return genes[order[:n]].tolist()
