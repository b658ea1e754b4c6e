"""``regflow enrich ...``: gene-set enrichment of the top genes of each motif.

The input is a gene x motif TSV (column ``gene_id``, then one float column per motif; larger =
the motif drives the gene's expression more). Each motif column's top ``--top`` genes (by
value, or by magnitude with ``--direction absolute``) form one query; the universe is every
gene of the matrix.

- ``regflow enrich offline`` tests the sets of ``--gmt`` files: one-sided hypergeometric test
  against the matrix genes annotated in those files, corrected per query (``fdr`` or
  ``bonferroni``); no network.
- ``regflow enrich gprofiler`` asks g:Profiler with the matrix genes as custom background;
  each query's answer is cached in ``--cache-dir``, and ``--cache-only`` never connects.

Both write ``--table`` (TSV, g:Profiler's column names: ``query``, ``source``, ``native``,
``name``, ``p_value``, ``p_adjusted``, ``significant``, ``term_size``, ``query_size``,
``intersection_size``, ``effective_domain_size``, ``precision``, ``recall``,
``intersections``) and, with ``--plot``, a PNG dot plot of the significant terms; both files
or neither.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from regflow.enrich.ranking import DIRECTIONS
from regflow.errors import RegflowError

log = logging.getLogger(__name__)


def add_parser(subparsers) -> None:
    """Register ``enrich`` with its subcommands ``offline`` and ``gprofiler``."""
    from regflow.enrich.choices import CORRECTIONS, DEFAULT_URL, THRESHOLD_METHODS

    parser = subparsers.add_parser("enrich", help="gene-set enrichment of motifs' top genes")
    sub = parser.add_subparsers(dest="enrich_command", required=True)

    offline = sub.add_parser("offline", help="hypergeometric test on GMT gene sets (no network)")
    _add_common(offline)
    offline.add_argument("--gmt", nargs="+", required=True, type=Path, help="GMT gene-set files")
    offline.add_argument(
        "--correction", choices=CORRECTIONS, default="fdr", help="multiple testing, per query"
    )
    offline.set_defaults(func=run_offline)

    online = sub.add_parser("gprofiler", help="g:Profiler g:GOSt, with every answer cached")
    _add_common(online)
    online.add_argument("--organism", default="hsapiens", help="g:Profiler organism ID")
    online.add_argument("--sources", help="comma-separated, e.g. GO:BP,KEGG (default: all)")
    online.add_argument(
        "--threshold-method", choices=THRESHOLD_METHODS, default="g_SCS", help="correction"
    )
    online.add_argument(
        "--all-results", action="store_true", help="ask for non-significant terms too"
    )
    online.add_argument("--cache-dir", required=True, type=Path, help="one JSON per query")
    online.add_argument(
        "--cache-only", action="store_true", help="use cached answers only; never connect"
    )
    online.add_argument("--timeout", type=float, default=60.0, help="seconds per query")
    online.add_argument("--base-url", default=DEFAULT_URL, help="g:Profiler service root")
    online.set_defaults(func=run_gprofiler)

    truth = sub.add_parser(
        "recovery", help="simulated data: is each planted TF's target set found for its motif?"
    )
    truth.add_argument("--table", required=True, type=Path, help="an enrichment table")
    truth.add_argument(
        "--planted",
        required=True,
        type=Path,
        help="planted TFs (interpret get-jacobian's recovery.tsv)",
    )
    truth.add_argument("--output", required=True, type=Path, help="recovery JSON")
    truth.set_defaults(func=run_recovery)


def _add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared by both modes: the ranking, term sizes, significance and outputs."""
    parser.add_argument(
        "--matrix", required=True, type=Path, help="gene x motif TSV (gene_id, motif columns)"
    )
    parser.add_argument(
        "--top", type=int, default=1000, help="genes per motif (clipped to the matrix's genes)"
    )
    parser.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="positive",
        help="rank by value (positive) or by magnitude (absolute)",
    )
    parser.add_argument("--columns", help="comma-separated motif columns (default: all)")
    parser.add_argument("--min-term-size", type=int, default=5, help="smallest term tested")
    parser.add_argument("--max-term-size", type=int, default=2000, help="largest term tested")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level")
    parser.add_argument("--table", required=True, type=Path, help="output TSV")
    parser.add_argument("--plot", type=Path, help="output PNG dot plot")
    parser.add_argument("--plot-terms", type=int, default=30, help="terms drawn at most")


def run_offline(args: argparse.Namespace) -> None:
    from regflow.enrich.gmt import read_gmts
    from regflow.enrich.hypergeom import annotated_background, enrichment

    _check_common(args)
    _configure_logging()
    matrix, queries = _queries(args)
    terms = read_gmts(args.gmt)
    background = annotated_background(matrix.index, terms)
    if not background:
        raise RegflowError(
            f"no gene of {args.matrix} is in any set of {', '.join(map(str, args.gmt))}: "
            "do the gene IDs match?"
        )
    log.info(
        "background: %d of %d matrix genes are annotated in %d sets",
        len(background),
        len(matrix),
        terms["native"].nunique(),
    )
    table = enrichment(
        queries,
        terms,
        background,
        min_term_size=args.min_term_size,
        max_term_size=args.max_term_size,
        correction=args.correction,
        alpha=args.alpha,
    )
    _write(args, table, list(queries))


def run_gprofiler(args: argparse.Namespace) -> None:
    from regflow.enrich.gprofiler import build_request, profile, result_table

    _check_common(args)
    if args.timeout <= 0:
        raise RegflowError(f"--timeout must be > 0 seconds, got {args.timeout}")
    _configure_logging()
    matrix, queries = _queries(args)
    sources = _split(args.sources) if args.sources else []
    universe = matrix.index.tolist()
    results = {}
    for query, genes in queries.items():
        request = build_request(
            query,
            genes,
            universe,
            organism=args.organism,
            sources=sources,
            alpha=args.alpha,
            threshold_method=args.threshold_method,
            all_results=args.all_results,
            base_url=args.base_url,
        )
        results[query] = profile(
            request, cache_dir=args.cache_dir, cache_only=args.cache_only, timeout=args.timeout
        )
    table = result_table(
        results,
        alpha=args.alpha,
        min_term_size=args.min_term_size,
        max_term_size=args.max_term_size,
    )
    _write(args, table, list(queries))


def run_recovery(args: argparse.Namespace) -> None:
    """Score an enrichment table against the planted TFs: each expected TF's target gene set
    must be significant for its own motif's top genes."""
    import json

    from regflow.datasets.io import read_table
    from regflow.evaluate.recovery import enrichment_recovery
    from regflow.io import write_outputs

    table = read_table(args.table, "enrichment table", index_col=None)
    planted = read_table(args.planted, "planted TF table", index_col=None)
    for frame, path, needed in (
        (table, args.table, {"query", "native", "significant", "p_adjusted"}),
        (planted, args.planted, {"tf", "feature", "expected"}),
    ):
        missing = needed - set(frame.columns)
        if missing:
            raise RegflowError(f"{path} lacks columns {', '.join(sorted(missing))}")
    result = enrichment_recovery(table, planted)
    expected = result[result["expected"].astype(bool)]
    summary = {
        "expected": expected["tf"].tolist(),
        "significant": expected.loc[expected["significant"], "tf"].tolist(),
        "fraction_significant": float(expected["significant"].mean()) if len(expected) else None,
        "per_tf": json.loads(result.to_json(orient="records")),
    }
    write_outputs(
        {
            args.output: lambda tmp: Path(tmp).write_text(
                json.dumps(summary, indent=2) + "\n", encoding="utf-8"
            )
        }
    )


def _check_common(args: argparse.Namespace) -> None:
    """Reject impossible option values before any file is read."""
    from regflow.enrich.hypergeom import check_term_sizes

    check_term_sizes(args.min_term_size, args.max_term_size)
    if args.top < 1:
        raise RegflowError(f"--top must be >= 1, got {args.top}")
    if not 0 < args.alpha <= 1:
        raise RegflowError(f"--alpha must be in (0, 1], got {args.alpha}")
    if args.plot_terms < 1:
        raise RegflowError(f"--plot-terms must be >= 1, got {args.plot_terms}")


def _queries(args: argparse.Namespace) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The matrix and each selected motif's top genes."""
    from regflow.enrich.ranking import read_matrix, top_genes

    matrix = read_matrix(args.matrix)
    columns = list(matrix.columns)
    if args.columns:
        columns = _split(args.columns)
        unknown = [c for c in columns if c not in matrix.columns]
        if unknown:
            raise RegflowError(
                f"--columns: {', '.join(unknown)} not in {args.matrix} "
                f"(columns: {', '.join(map(str, matrix.columns[:10]))}"
                f"{' ...' if matrix.shape[1] > 10 else ''})"
            )
    top = args.top
    if top > len(matrix):
        log.info("--top %d clipped to the %d genes of %s", top, len(matrix), args.matrix)
        top = len(matrix)
    log.info("%d motif(s), top %d genes each (%s)", len(columns), top, args.direction)
    return matrix, {c: top_genes(matrix, c, top, args.direction) for c in columns}


def _split(text: str) -> list[str]:
    """Comma-separated names, blanks and repeats dropped."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _write(args: argparse.Namespace, table: pd.DataFrame, queries: list[str]) -> None:
    """Write the table (and plot) together, then log each query's significant terms."""
    from regflow.enrich.plot import dot_plot, png_writer
    from regflow.io import write_outputs

    writers: dict[Path, Callable[[Path], None]] = {args.table: _tsv_writer(table)}
    if args.plot is not None:
        figure = dot_plot(table, queries, max_terms=args.plot_terms)
        writers[args.plot] = png_writer(figure)
    write_outputs(writers)
    for query in queries:
        hits = table[(table["query"] == query) & table["significant"].astype(bool)]
        best = ""
        if len(hits):
            best = f" (best: {hits['native'].iloc[0]}, p_adj {hits['p_adjusted'].iloc[0]:.3g})"
        log.info("%s: %d significant term(s)%s", query, len(hits), best)
    log.info("%d rows written to %s", len(table), args.table)


def _tsv_writer(table: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        table.to_csv(path, sep="\t", index=False, na_rep="NA", float_format="%.6g")

    return write


def _configure_logging() -> None:
    """Progress and the per-query summary on stderr (the rule's log)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
