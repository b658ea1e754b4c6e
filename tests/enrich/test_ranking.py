"""Gene x motif matrices: reading with named errors, and deterministic top-gene lists."""

from __future__ import annotations

import pandas as pd
import pytest

from regflow.enrich.ranking import read_matrix, top_genes
from regflow.errors import RegflowError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_read_matrix(tmp_path):
    path = write(tmp_path / "m.tsv", "gene_id\tTF1\tTF2\nG2\t1.5\t-2\nG1\t0\t3e-1\n")
    matrix = read_matrix(path)
    assert matrix.index.tolist() == ["G2", "G1"]
    assert matrix.columns.tolist() == ["TF1", "TF2"]
    assert matrix.to_numpy().tolist() == [[1.5, -2.0], [0.0, 0.3]]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("gene\tTF1\nG1\t1\n", ("no gene_id column",)),
        ("gene_id\tTF1\nG1\t1\nG1\t2\n", ("duplicate gene IDs G1",)),
        ("gene_id\tTF1\tTF2\nG1\t1\t2\nG2\t3\tabc\n", ("column TF2 gene G2", "'abc'")),
        ("gene_id\tTF1\nG1\t\nG2\t1\n", ("column TF1 gene G1", "missing")),
        ("gene_id\n", ("at least one gene and one motif",)),
        ("", ("not a readable TSV",)),
    ],
)
def test_read_matrix_errors(tmp_path, text, fragments):
    path = write(tmp_path / "bad.tsv", text)
    with pytest.raises(RegflowError) as err:
        read_matrix(path)
    assert str(path) in str(err.value)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_read_matrix_missing(tmp_path):
    with pytest.raises(RegflowError, match="does not exist"):
        read_matrix(tmp_path / "absent.tsv")


MATRIX = pd.DataFrame(
    {"TF1": [0.5, -3.0, 2.0, 0.5, 1.0], "TF2": [1.0, 1.0, 1.0, 1.0, 1.0]},
    index=["G5", "G1", "G3", "G2", "G4"],
)


def test_top_genes_directions():
    assert top_genes(MATRIX, "TF1", 3, "positive") == ["G3", "G4", "G2"]
    assert top_genes(MATRIX, "TF1", 2, "absolute") == ["G1", "G3"]


def test_top_genes_ties_broken_by_gene_id_whatever_the_row_order():
    assert top_genes(MATRIX, "TF2", 3) == ["G1", "G2", "G3"]
    shuffled = MATRIX.iloc[[3, 0, 4, 2, 1]]
    assert top_genes(shuffled, "TF1", 4) == top_genes(MATRIX, "TF1", 4) == ["G3", "G4", "G2", "G5"]


def test_top_genes_more_than_available_and_errors():
    assert len(top_genes(MATRIX, "TF1", 100)) == 5
    with pytest.raises(RegflowError, match="TF9"):
        top_genes(MATRIX, "TF9", 2)
    with pytest.raises(RegflowError, match="direction"):
        top_genes(MATRIX, "TF1", 2, "negative")
    with pytest.raises(RegflowError, match=">= 1"):
        top_genes(MATRIX, "TF1", 0)
