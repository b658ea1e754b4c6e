"""``regflow enrich offline`` end to end on a planted gene set, the dot plot, and failures that
write nothing."""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
import pytest

from regflow.enrich import cli
from regflow.enrich.hypergeom import RESULT_COLUMNS
from regflow.enrich.plot import dot_plot
from regflow.errors import RegflowError

GENES = [f"G{i:03d}" for i in range(200)]
PLANTED = GENES[10:30]  # the targets of TF1
OTHER = GENES[100:120]


@pytest.fixture
def inputs(tmp_path):
    """A 200-gene matrix whose TF1 column ranks the planted set first, and a GMT file."""
    rng = np.random.default_rng(3)
    tf1 = rng.normal(0, 1, len(GENES))
    tf1[10:30] += 10
    matrix = pd.DataFrame(
        {"TF1": tf1, "TF2": rng.normal(0, 1, len(GENES)), "TF3": -tf1},
        index=pd.Index(GENES, name="gene_id"),
    )
    matrix.to_csv(tmp_path / "matrix.tsv", sep="\t")
    gmt = tmp_path / "sets.gmt"
    gmt.write_text(
        "PLANTED\tplanted targets of TF1\t" + "\t".join(PLANTED) + "\n"
        "OTHER\tan unrelated set\t" + "\t".join(OTHER) + "\n"
        "MIXED\tsome of both\t" + "\t".join(PLANTED[:5] + OTHER[:5] + GENES[150:190]) + "\n",
        encoding="utf-8",
    )
    return tmp_path


def run(*argv: str) -> None:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["enrich", "offline", *argv])
    args.func(args)


def test_offline_finds_the_planted_set(inputs, caplog):
    caplog.set_level(logging.INFO)
    table_path, plot_path = inputs / "out" / "enrich.tsv", inputs / "out" / "enrich.png"
    run(
        "--matrix", str(inputs / "matrix.tsv"),
        "--gmt", str(inputs / "sets.gmt"),
        "--top", "25",
        "--table", str(table_path),
        "--plot", str(plot_path),
    )  # fmt: skip
    table = pd.read_csv(table_path, sep="\t")
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert set(table["source"]) == {"GMT"}
    planted = table[table["native"] == "PLANTED"].set_index("query")
    assert planted.loc["TF1", "significant"]
    assert planted.loc["TF1", "intersection_size"] == 20
    assert planted.loc["TF1", "effective_domain_size"] == 80  # annotated genes only
    assert set(planted.loc["TF1", "intersections"].split(",")) == set(PLANTED)
    significant = table[table["significant"]]
    assert "PLANTED" not in set(significant.loc[significant["query"] == "TF2", "native"])
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "TF1: " in caplog.text and "significant term(s) (best: PLANTED" in caplog.text


def test_offline_columns_direction_and_clipped_top(inputs, caplog):
    caplog.set_level(logging.INFO)
    table_path = inputs / "t.tsv"
    run(
        "--matrix", str(inputs / "matrix.tsv"),
        "--gmt", str(inputs / "sets.gmt"),
        "--columns", "TF3",
        "--direction", "absolute",
        "--top", "5000",
        "--correction", "bonferroni",
        "--table", str(table_path),
    )  # fmt: skip
    table = pd.read_csv(table_path, sep="\t")
    assert set(table["query"]) == {"TF3"}
    assert set(table["query_size"]) == {80}  # every annotated gene: nothing is enriched
    assert not table["significant"].any()
    assert "--top 5000 clipped to the 200 genes" in caplog.text


def test_offline_absolute_direction_recovers_negative_drivers(inputs):
    table_path = inputs / "t.tsv"
    argv = ["--matrix", str(inputs / "matrix.tsv"), "--gmt", str(inputs / "sets.gmt")]
    run(*argv, "--columns", "TF3", "--top", "20", "--direction", "absolute",
        "--table", str(table_path))  # fmt: skip
    table = pd.read_csv(table_path, sep="\t")
    assert table.iloc[0]["native"] == "PLANTED" and table.iloc[0]["significant"]


@pytest.mark.parametrize(
    ("gmt_text", "extra", "fragment"),
    [
        ("PLANTED\tno genes\n", (), "line 1"),
        (None, ("--columns", "TF1,NOPE"), "--columns: NOPE not in"),
        (None, ("--min-term-size", "10", "--max-term-size", "5"), "term sizes"),
        ("ELSE\tunknown genes\tX1\tX2\n", (), "do the gene IDs match"),
    ],
)
def test_offline_errors_write_nothing(inputs, gmt_text, extra, fragment):
    if gmt_text is not None:
        (inputs / "sets.gmt").write_text(gmt_text, encoding="utf-8")
    table_path, plot_path = inputs / "o.tsv", inputs / "o.png"
    with pytest.raises(RegflowError, match=fragment):
        run(
            "--matrix", str(inputs / "matrix.tsv"),
            "--gmt", str(inputs / "sets.gmt"),
            *extra,
            "--table", str(table_path),
            "--plot", str(plot_path),
        )  # fmt: skip
    assert not table_path.exists() and not plot_path.exists()


def test_dot_plot_draws_significant_terms_or_says_none():
    table = pd.DataFrame(
        {
            "query": ["TF1", "TF1", "TF2"],
            "native": ["A", "B", "A"],
            "name": ["term a", "B", "term a"],
            "p_adjusted": [1e-8, 0.5, 0.01],
            "significant": [True, False, True],
            "intersection_size": [12, 3, 4],
        }
    )
    figure = dot_plot(table, ["TF1", "TF2", "TF3"])
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["term a (A)"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["TF1", "TF2", "TF3"]
    assert axes.collections[0].get_offsets().shape == (2, 2)

    empty = dot_plot(table.assign(significant=False))
    assert "no significant terms" in [t.get_text() for t in empty.axes[0].texts]
