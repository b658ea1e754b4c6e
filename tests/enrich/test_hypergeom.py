"""Hypergeometric enrichment: p-values by hand and vs Fisher's exact test, corrections,
background restriction and the term-size filter."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, hypergeom

from regflow.enrich.hypergeom import (
    RESULT_COLUMNS,
    adjust,
    annotated_background,
    benjamini_hochberg,
    enrichment,
)
from regflow.errors import RegflowError

GENES = [f"g{i:02d}" for i in range(1, 11)]


def terms_table(sets: dict[str, list[str]]) -> pd.DataFrame:
    rows = [(native, f"{native} name", gene) for native, genes in sets.items() for gene in genes]
    return pd.DataFrame(rows, columns=["native", "name", "gene"])


def test_p_value_by_hand():
    # 10 genes, a 3-gene term, a 3-gene query hitting 2 of them:
    # P(X >= 2) = [C(3,2) C(7,1) + C(3,3) C(7,0)] / C(10,3) = 22 / 120
    terms = terms_table({"A": ["g01", "g02", "g03"]})
    table = enrichment({"q": ["g03", "g01", "g09"]}, terms, GENES)
    row = table.iloc[0]
    expected = (comb(3, 2) * comb(7, 1) + comb(3, 3)) / comb(10, 3)
    assert row["p_value"] == pytest.approx(expected, rel=1e-12)
    assert row["p_adjusted"] == pytest.approx(expected, rel=1e-12)  # one term tested
    assert row["intersections"] == "g03,g01"  # in query order
    assert (row["term_size"], row["query_size"], row["intersection_size"]) == (3, 3, 2)
    assert row["effective_domain_size"] == 10
    assert row["precision"] == pytest.approx(2 / 3) and row["recall"] == pytest.approx(2 / 3)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert row["source"] == "GMT" and row["name"] == "A name"


@pytest.mark.parametrize(
    ("domain", "term", "query", "overlap"),
    [(50, 10, 8, 4), (200, 30, 25, 9), (40, 5, 20, 1), (1000, 100, 50, 0)],
)
def test_p_value_equals_one_sided_fisher(domain, term, query, overlap):
    universe = [f"u{i:04d}" for i in range(domain)]
    members = universe[:term]
    picked = members[:overlap] + universe[term : term + query - overlap]
    table = enrichment({"q": picked}, terms_table({"T": members}), universe)
    table_2x2 = [
        [overlap, query - overlap],
        [term - overlap, domain - term - query + overlap],
    ]
    expected = fisher_exact(table_2x2, alternative="greater").pvalue
    if overlap == 0:
        assert table.empty  # p = 1: not reported
        assert expected == pytest.approx(1.0)
    else:
        assert table["p_value"].iloc[0] == pytest.approx(expected, rel=1e-9)


def test_benjamini_hochberg_by_hand():
    # sorted 0.01 0.03 0.04 0.2 -> x 4/rank: 0.04 0.06 0.0533 0.2 -> step-up minimum
    p = np.array([0.01, 0.04, 0.03, 0.2])
    assert benjamini_hochberg(p) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert adjust(p, "fdr") == pytest.approx(benjamini_hochberg(p))
    assert adjust(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.8])
    assert adjust(np.array([0.5, 0.9]), "bonferroni").tolist() == [1.0, 1.0]
    assert benjamini_hochberg(np.array([])).size == 0
    with pytest.raises(RegflowError, match="correction"):
        adjust(p, "holm")


def test_correction_counts_every_tested_term_per_query():
    universe = [f"u{i:03d}" for i in range(100)]
    sets = {"A": universe[:10], "B": universe[10:20], "C": universe[20:30]}
    queries = {"q1": universe[:5] + universe[10:12], "q2": universe[20:26]}
    table = enrichment(queries, terms_table(sets), universe, correction="bonferroni")
    # q1 hits A and B, not C; C still counts as a test: m = 3 for each query
    for _, row in table.iterrows():
        assert row["p_adjusted"] == pytest.approx(min(1.0, 3 * row["p_value"]))
    assert table[["query", "native"]].values.tolist() == [["q1", "A"], ["q1", "B"], ["q2", "C"]]
    fdr = enrichment(queries, terms_table(sets), universe, correction="fdr")
    q1 = fdr[fdr["query"] == "q1"]
    p = np.append(q1["p_value"].to_numpy(), 1.0)  # C's p = 1
    assert q1["p_adjusted"].to_numpy() == pytest.approx(benjamini_hochberg(p)[:2])


def test_background_restricts_queries_and_terms():
    terms = terms_table({"A": ["g01", "g02", "g03", "x1"]})
    table = enrichment({"q": ["g01", "g02", "x2", "g01"]}, terms, GENES)
    row = table.iloc[0]
    # x1 and x2 are outside the background, g01 is listed twice: term 3, query 2, overlap 2
    assert (row["term_size"], row["query_size"], row["intersection_size"]) == (3, 2, 2)
    assert row["p_value"] == pytest.approx(hypergeom.sf(1, 10, 3, 2))
    assert row["intersections"] == "g01,g02"


def test_unannotated_background_genes_inflate_enrichment():
    sets = {"A": GENES[:3], "B": GENES[3:6]}
    terms = terms_table(sets)
    universe = GENES + [f"n{i}" for i in range(90)]  # 90 genes in no set
    background = annotated_background(universe, terms)
    assert background == GENES[:6]
    query = {"q": GENES[:2] + [GENES[3]]}
    annotated = enrichment(query, terms, background)
    everything = enrichment(query, terms, universe)
    p_annotated = annotated.set_index("native").loc["A", "p_value"]
    p_everything = everything.set_index("native").loc["A", "p_value"]
    assert p_annotated == pytest.approx(hypergeom.sf(1, 6, 3, 3))
    assert p_everything == pytest.approx(hypergeom.sf(1, 100, 3, 3))
    assert p_everything < p_annotated


def test_term_size_filter_uses_size_within_background():
    sets = {"small": ["g01", "g02", "x1", "x2"], "mid": GENES[:4], "big": GENES[:8]}
    query = {"q": GENES[:3]}
    table = enrichment(query, terms_table(sets), GENES, min_term_size=3, max_term_size=6)
    # "small" lists 4 genes but has 2 in the background; "big" has 8 > 6
    assert table["native"].tolist() == ["mid"]
    assert table["p_adjusted"].iloc[0] == pytest.approx(table["p_value"].iloc[0])
    unfiltered = enrichment(query, terms_table(sets), GENES)
    assert sorted(unfiltered["native"]) == ["big", "mid", "small"]
    with pytest.raises(RegflowError, match="term sizes"):
        enrichment(query, terms_table(sets), GENES, min_term_size=5, max_term_size=4)


def test_significance_and_edge_cases():
    universe = [f"u{i:03d}" for i in range(200)]
    terms = terms_table({"A": universe[:10], "B": universe[100:110]})
    table = enrichment({"hit": universe[:10], "miss": universe[100:101]}, terms, universe)
    hit = table[table["query"] == "hit"].iloc[0]
    miss = table[table["query"] == "miss"].iloc[0]
    assert hit["significant"] and hit["native"] == "A"
    assert not miss["significant"]
    nothing = enrichment({"none": ["zzz"]}, terms, universe)
    assert nothing.empty and list(nothing.columns) == list(RESULT_COLUMNS)
    with pytest.raises(RegflowError, match="alpha"):
        enrichment({"hit": universe[:10]}, terms, universe, alpha=0)
