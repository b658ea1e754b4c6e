"""Over-representation of gene sets in gene lists: one-sided hypergeometric test per term.

Queries and terms are both restricted to the background (the genes that could have been
picked and annotated), and p-values are corrected across the terms tested for each query.
The table uses g:Profiler's column names, so offline and online results read alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import hypergeom

from regflow.enrich.choices import CORRECTIONS
from regflow.errors import RegflowError

RESULT_COLUMNS = (
    "query",
    "source",
    "native",
    "name",
    "p_value",
    "p_adjusted",
    "significant",
    "term_size",
    "query_size",
    "intersection_size",
    "effective_domain_size",
    "precision",
    "recall",
    "intersections",
)


def annotated_background(universe: Iterable[str], terms: pd.DataFrame) -> list[str]:
    """Genes of ``universe`` annotated to at least one term, in universe order.

    Unannotated genes can never fall in a term, so counting them would inflate every term's
    enrichment (g:Profiler's ``annotated`` domain scope makes the same choice).
    """
    annotated = set(terms["gene"])
    return [gene for gene in dict.fromkeys(universe) if gene in annotated]


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (step-up, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """P-values corrected for the number of tests: ``fdr`` (Benjamini-Hochberg) or
    ``bonferroni``."""
    if method == "fdr":
        return benjamini_hochberg(p_values)
    if method == "bonferroni":
        return np.minimum(np.asarray(p_values, dtype=np.float64) * len(p_values), 1.0)
    raise RegflowError(f"correction must be one of {', '.join(CORRECTIONS)}, got {method}")


def check_term_sizes(min_term_size: int, max_term_size: int | None) -> None:
    """Reject a term-size range that no term can satisfy."""
    if min_term_size < 1 or (max_term_size is not None and max_term_size < min_term_size):
        raise RegflowError(
            f"term sizes need 1 <= min <= max, got min {min_term_size} max {max_term_size}"
        )


def enrichment(
    queries: Mapping[str, Sequence[str]],
    terms: pd.DataFrame,
    background: Iterable[str],
    *,
    min_term_size: int = 1,
    max_term_size: int | None = None,
    correction: str = "fdr",
    alpha: float = 0.05,
    source: str = "GMT",
) -> pd.DataFrame:
    """Hypergeometric over-representation of each term in each query.

    Parameters
    ----------
    queries
        Query name -> genes (best first; the order is kept in ``intersections``).
    terms
        Long table with columns ``native``, ``name`` and ``gene`` (see :mod:`.gmt`).
    background
        The domain: query genes and term genes outside it are ignored.
    min_term_size, max_term_size
        Terms are tested only if their size within the background lies in this range
        (``None``: no upper bound).
    correction
        ``fdr`` (Benjamini-Hochberg) or ``bonferroni``, across the terms tested per query.
    alpha
        Adjusted p-values below it are ``significant``.
    source
        Value of the ``source`` column.

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS`; one row per (query, tested term) with at least one query gene
        in the term (others have p = 1), by query then p-value then term.
    """
    if correction not in CORRECTIONS:
        raise RegflowError(f"correction must be one of {', '.join(CORRECTIONS)}, got {correction}")
    if not 0 < alpha <= 1:
        raise RegflowError(f"alpha must be in (0, 1], got {alpha}")
    check_term_sizes(min_term_size, max_term_size)
    domain = list(dict.fromkeys(background))
    position = {gene: i for i, gene in enumerate(domain)}
    tested, membership = _term_matrix(terms, position, min_term_size, max_term_size)
    sizes = np.asarray(membership.sum(axis=1)).ravel().astype(np.int64)
    frames = [
        _query_table(query, genes, tested, membership, sizes, position, domain, correction)
        for query, genes in queries.items()
    ]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["p_adjusted"])
    table["source"] = source
    table["significant"] = table["p_adjusted"].astype(np.float64) < alpha
    return table.reindex(columns=list(RESULT_COLUMNS))


def _term_matrix(
    terms: pd.DataFrame, position: dict[str, int], min_size: int, max_size: int | None
) -> tuple[pd.DataFrame, sparse.csr_matrix]:
    """Terms passing the size filter within the domain and their term x domain-gene 0/1
    matrix."""
    inside = terms[terms["gene"].isin(position.keys())]
    natives = pd.Index(terms["native"].drop_duplicates())
    rows = natives.get_indexer(inside["native"])
    cols = inside["gene"].map(position).to_numpy(dtype=np.int64)
    full = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(len(natives), len(position))
    )
    full.data[:] = 1  # a gene listed twice counts once
    sizes = np.asarray(full.sum(axis=1)).ravel()
    keep = sizes >= min_size
    if max_size is not None:
        keep &= sizes <= max_size
    names = terms.drop_duplicates("native").set_index("native")["name"]
    tested = pd.DataFrame({"native": natives[keep], "name": names.loc[natives[keep]].to_numpy()})
    return tested, full[np.flatnonzero(keep)]


def _query_table(
    query: str,
    genes: Sequence[str],
    tested: pd.DataFrame,
    membership: sparse.csr_matrix,
    sizes: np.ndarray,
    position: dict[str, int],
    domain: list[str],
    correction: str,
) -> pd.DataFrame:
    """One query's rows of :func:`enrichment`, without ``source`` and ``significant``."""
    picked = [position[g] for g in dict.fromkeys(genes) if g in position]
    n_domain, n_query = len(domain), len(picked)
    hits = membership[:, picked].tocsr()
    overlap = np.asarray(hits.sum(axis=1)).ravel().astype(np.int64)
    p = hypergeom.sf(overlap - 1, n_domain, sizes, n_query) if len(sizes) else np.empty(0)
    p = np.clip(p, 0.0, 1.0)
    p_adjusted = adjust(p, correction)
    rows = np.flatnonzero(overlap > 0)
    intersections = [",".join(domain[picked[j]] for j in sorted(hits[r].indices)) for r in rows]
    table = pd.DataFrame(
        {
            "query": query,
            "native": tested["native"].to_numpy()[rows],
            "name": tested["name"].to_numpy()[rows],
            "p_value": p[rows],
            "p_adjusted": p_adjusted[rows],
            "term_size": sizes[rows],
            "query_size": n_query,
            "intersection_size": overlap[rows],
            "effective_domain_size": n_domain,
            "precision": overlap[rows] / max(n_query, 1),
            "recall": overlap[rows] / np.maximum(sizes[rows], 1),
            "intersections": intersections,
        }
    )
    return table.sort_values(["p_value", "native"], kind="stable", ignore_index=True)
