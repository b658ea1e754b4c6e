"""Table-like figures: 1D-Swin Table 1, TF-MoDISco patterns, the truth-recovery table."""

from __future__ import annotations

import pandas as pd

from regflow.figures import modisco, seqtrack, truth


def test_pearson_table_keeps_the_groups_in_order_with_their_values():
    by_assay = pd.DataFrame(
        {
            "model": ["cnn", "swin"],
            "shuffled_targets": [False, False],
            "rna": [0.1, 0.3],
            "atac": [0.2, 0.4],
            "all": [0.15, 0.35],
            "parameters": [100, 200],
        }
    )
    table = seqtrack.pearson_table(by_assay)
    assert table.columns.tolist() == ["model", "parameters", "ATAC", "RNA", "all"]
    assert table["ATAC"].tolist() == [0.2, 0.4]
    assert table["all"].tolist() == [0.15, 0.35]
    seqtrack.table_figure(table)


def test_top_patterns_takes_the_most_seqlets_of_each_run():
    def patterns(counts):
        return pd.DataFrame(
            {
                "pattern": [f"pos_patterns.pattern_{i}" for i in range(len(counts))],
                "n_seqlets": counts,
                "best_match_name": ["CTCF"] * len(counts),
                "best_match_qvalue": [0.01] * len(counts),
                "significant": [True] * len(counts),
            }
        )

    table = modisco.top_patterns({"a": patterns([5, 9, 7]), "b": patterns([3])}, n_rows=2)
    assert table["run"].tolist() == ["a", "a", "b"]
    assert table["n_seqlets"].tolist() == [9, 7, 3]
    modisco.patterns_figure(table)


def test_runs_without_patterns_give_an_empty_table_and_a_figure():
    empty = pd.DataFrame(columns=["pattern", *modisco.COLUMNS[1:]])
    table = modisco.top_patterns({"a": empty, "b": empty}, n_rows=3)
    assert table.empty and table.columns.tolist() == ["run", *modisco.COLUMNS]
    figure = modisco.patterns_figure(table)
    assert "(none)" in [t.get_text() for t in figure.axes[0].texts]


def test_recovery_table_drops_the_source_and_keeps_the_values():
    frame = pd.DataFrame(
        {
            "stage": ["peaks", "models"],
            "measure": ["recall", "vit r2"],
            "value": [0.93, 0.5],
            "goal": [">= 0.9", None],
            "met": [True, None],
            "source": ["x", "y"],
        }
    )
    table = truth.recovery_table(frame)
    assert table.columns.tolist() == truth.COLUMNS
    assert table["value"].tolist() == [0.93, 0.5]
    truth.recovery_figure(table)
