"""GET figures: top motifs of the gene x motif matrix, top enriched motifs, split Pearson."""

from __future__ import annotations

import pandas as pd

from regflow.figures import get


def test_top_motif_matrix_keeps_the_largest_mean_absolute_scores_grouped_by_gene():
    scores = pd.DataFrame(
        {
            "gene_id": ["g1", "g2", "g3"],
            "weak": [0.01, 0.0, 0.01],
            "A": [0.1, 0.9, 0.0],
            "B": [-0.8, 0.0, 0.7],
        }
    )
    matrix = get.top_motif_matrix(scores, 2)
    assert matrix.columns.tolist() == ["B", "A"]
    assert matrix.index.tolist() == ["g3", "g2", "g1"]  # B block, then A by score
    assert matrix.loc["g2", "A"] == 0.9
    get.heatmap_figure(matrix)


def test_top_enriched_orders_motifs_by_their_best_adjusted_p():
    table = pd.DataFrame(
        {
            "query": ["m1", "m1", "m2", "m3"],
            "source": "GMT",
            "native": ["s1", "s2", "s1", "s2"],
            "name": ["set 1", "set 2", "set 1", "set 2"],
            "p_adjusted": [0.2, 0.01, 0.001, 0.9],
            "significant": [False, True, True, False],
            "intersection_size": [3, 5, 7, 1],
        }
    )
    rows, queries = get.top_enriched(table, 2)
    assert queries == ["m2", "m1"]
    assert rows["p_adjusted"].tolist() == [0.001, 0.01, 0.2]
    get.enrichment_figure(rows, queries, 10)


def test_split_pearson_reports_every_held_out_split_of_both_models():
    def metrics(val, test):
        return {
            "splits": {
                "train": {"n": 9, "pearson": 0.99},
                "val": {"n": 4, "pearson": val},
                "test_chrom": {"n": 3, "pearson": test},
            }
        }

    table = get.split_pearson({"GET": metrics(0.5, 0.4), "forest": metrics(0.6, 0.3)})
    assert table["split"].tolist() == ["val", "val", "test_chrom", "test_chrom"]
    assert table["model"].tolist() == ["GET", "forest", "GET", "forest"]
    assert table["pearson"].tolist() == [0.5, 0.6, 0.4, 0.3]
    get.split_figure(table)
