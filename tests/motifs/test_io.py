import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.motifs.io import (
    read_motifs,
    read_region_codes,
    read_regions_bed,
    write_jaspar,
)
from regflow.motifs.matrices import Motif

JASPAR = """>MA0001.1\tAGL3
A  [ 0  3 79 40 ]
C  [94 75  4  3 ]
G  [ 1  0  3  4 ]
T  [ 2 19 11 50 ]
>MA0002.1 RUNX1 extra words
10 0 0 1
0 10 0 1
0 0 10 1
0 0 0 7
"""

MEME = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.25 C 0.25 G 0.25 T 0.25

MOTIF crp CRP_ecoli
letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0
 0.5 0.5 0.0 0.0
 0.1 0.2 0.3 0.4
 1.0 0.0 0.0 0.0
URL http://example.org

MOTIF lexA
letter-probability matrix: alength= 4 w= 2
0.25 0.25 0.25 0.25
0 0 0 1
"""


def write(tmp_path, text, name="m.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_jaspar_bracketed_and_bare(tmp_path):
    a, b = read_motifs(write(tmp_path, JASPAR))
    assert (a.matrix_id, a.name, b.matrix_id, b.name) == (
        "MA0001.1",
        "AGL3",
        "MA0002.1",
        "RUNX1 extra words",
    )
    assert a.counts.shape == (4, 4) and a.counts[0].tolist() == [0, 94, 1, 2]
    assert b.counts[3].tolist() == [1, 1, 1, 7]  # position 4: one row per position


def test_meme_minimal(tmp_path):
    crp, lexa = read_motifs(write(tmp_path, MEME))
    assert (crp.matrix_id, crp.name, lexa.matrix_id, lexa.name) == (
        "crp",
        "CRP_ecoli",
        "lexA",
        "lexA",
    )
    assert np.allclose(
        crp.counts, 10 * np.array([[0.5, 0.5, 0, 0], [0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0]])
    )
    assert np.allclose(lexa.counts.sum(axis=1), 20)  # MEME's default nsites
    assert np.allclose(lexa.probs[1], [0, 0, 0, 1])


def test_jaspar_round_trip(tmp_path):
    motifs = [
        Motif("A1", "whole", np.array([[1.0, 2, 3, 4], [5, 6, 7, 8]])),
        Motif("A2", "fractional", np.array([[0.5, 0.25, 0.125, 0.125]])),
    ]
    write_jaspar(motifs, tmp_path / "out.jaspar")
    again = read_motifs(tmp_path / "out.jaspar")
    assert [m.matrix_id for m in again] == ["A1", "A2"]
    for m, n in zip(motifs, again, strict=True):
        assert np.array_equal(m.counts, n.counts)
    assert "A  [    1    5 ]" in (tmp_path / "out.jaspar").read_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (">M1 x\nA [1 2]\nC [1 2]\nG [1 2]\n", "line 1: motif M1 has fewer than 4 rows"),
        (">M1 x\nA [1 2]\nC [1 2 3]\nG [1 2]\nT [1 2]\n", "line 1: the 4 rows of motif M1 differ"),
        (">M1 x\nA [1 2]\nC [1 z]\nG [1 2]\nT [1 2]\n", "line 3: not a row of numbers"),
        (">M1 x\nA [1 2]\nC [1 -2]\nG [1 2]\nT [1 2]\n", "line 3: negative or non-finite"),
        (">M1 x\nA [1 0]\nC [1 0]\nG [1 0]\nT [1 0]\n", "line 1: motif M1 has a position with no"),
        (">M1 x\nA [1]\nA [1]\nG [1]\nT [1]\n", "line 3: base A repeated"),
        (
            ">M1\n1\n1\n1\n1\n>M1\n1\n1\n1\n1\n",
            "line 6: motif ID M1 repeated \\(first on line 1\\)",
        ),
        ("A [1 2]\n", "neither JASPAR"),
        ("", "neither JASPAR"),
        ("MEME version 4\n", "holds no motifs"),
        ("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\n", "line 2: only the DNA alphabet"),
        ("MEME version 4\nMOTIF a\n\nMOTIF b\n", "line 2: motif a has no letter-probability"),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 3\n0.25 0.25 0.25 0.25\n",
            "line 3: motif a declares w= 3 but has 1 rows",
        ),
        (
            "MEME version 4\nMOTIF a\nletter-probability matrix: w= 1\n0.5 0.5 0.5 0.5\n",
            "line 4: a matrix row must hold 4 probabilities summing to 1",
        ),
    ],
)
def test_malformed_motif_files_name_the_line(tmp_path, text, message):
    path = write(tmp_path, text, "bad.motifs")
    with pytest.raises(RegflowError, match=f"motif file {path}.*{message}"):
        read_motifs(path)


def test_regions_bed_keeps_file_order_and_names(tmp_path):
    bed = write(
        tmp_path,
        "track name=x\nchr2\t10\t20\tp1\nchr1\t5\t9\nchr1\t0\t4\t.\n# note\nchr2\t0\t3\tp0\n",
        "r.bed",
    )
    regions = read_regions_bed(bed)
    assert regions["name"].tolist() == ["p1", "chr1:5-9", "chr1:0-4", "p0"]
    assert regions["start"].tolist() == [10, 5, 0, 0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chr1\t5\n", "line 1: fewer than 3"),
        ("chr1\t1\t5\nchr1\tx\t5\n", "line 2: start or end is not an integer"),
        ("chr1\t5\t5\n", "line 1: start < 0 or end <= start"),
        ("# only a comment\n", "has no regions"),
    ],
)
def test_malformed_bed(tmp_path, text, message):
    with pytest.raises(RegflowError, match=message):
        read_regions_bed(write(tmp_path, text, "r.bed"))


def test_region_codes_follow_the_table_order(tmp_path):
    fasta = write(tmp_path, ">c1\nAACCGGTTNN\n>c2\nacgt\n", "g.fa")
    regions = pd.DataFrame(
        {"chrom": ["c2", "c1", "c1"], "start": [1, 6, 0], "end": [3, 10, 2], "name": list("xyz")}
    )
    codes, bounds, base_counts = read_region_codes(fasta, regions)
    assert bounds.tolist() == [0, 2, 6, 8]
    assert codes.tolist() == [1, 2, 3, 3, 4, 4, 0, 0]
    assert base_counts.tolist() == [3, 3, 3, 3]
