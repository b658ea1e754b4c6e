"""GMT gene sets: parsing into a long table, and malformed files named by file and line."""

from __future__ import annotations

import pytest

from regflow.enrich.gmt import read_gmt, read_gmts
from regflow.errors import RegflowError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_read_gmt_long_table(tmp_path):
    path = write(
        tmp_path / "sets.gmt",
        "ABF1\tplanted targets of ABF1\tG001\tG012\tG001\t\n\nCTCF\t\tG002\r\n",
    )
    table = read_gmt(path)
    assert list(table.columns) == ["native", "name", "gene"]
    assert table.values.tolist() == [
        ["ABF1", "planted targets of ABF1", "G001"],
        ["ABF1", "planted targets of ABF1", "G012"],
        ["CTCF", "CTCF", "G002"],  # an empty description falls back to the set's name
    ]


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("A\tdesc\tG1\nB\tonly two fields\n", ("line 2", "2 field(s)")),
        ("A\tdesc\tG1\nB\tdesc\t\t\n", ("line 2", "set B has no genes")),
        ("A\tdesc\tG1\n\nA\tagain\tG2\n", ("line 3", "set A is already defined on line 1")),
        ("\tdesc\tG1\n", ("line 1", "no name")),
        ("\n\n", ("holds no gene sets",)),
    ],
)
def test_read_gmt_malformed(tmp_path, text, fragments):
    path = write(tmp_path / "bad.gmt", text)
    with pytest.raises(RegflowError) as err:
        read_gmt(path)
    message = str(err.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_read_gmt_missing_file(tmp_path):
    with pytest.raises(RegflowError, match="does not exist"):
        read_gmt(tmp_path / "absent.gmt")


def test_read_gmts_concatenates_and_rejects_repeated_sets(tmp_path):
    one = write(tmp_path / "one.gmt", "A\ta\tG1\tG2\n")
    two = write(tmp_path / "two.gmt", "B\tb\tG3\n")
    table = read_gmts([one, two])
    assert table["native"].tolist() == ["A", "A", "B"]

    again = write(tmp_path / "again.gmt", "A\tother\tG9\n")
    with pytest.raises(RegflowError) as err:
        read_gmts([one, again])
    assert str(again) in str(err.value) and str(one) in str(err.value)
