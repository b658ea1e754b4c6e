"""``regflow interpret modisco``: motifs in contribution scores (TF-MoDISco, modisco-lite),
matched to a motif collection with TOMTOM (memelite), and scored against the planted truth.

TF-MoDISco finds seqlets (windows of high contribution) in the central ``--window`` bases of
``regflow interpret contributions`` output and clusters them into patterns: a position
probability matrix (PPM) and a contribution weight matrix (CWM) each, in a positive and a
negative metacluster. Each pattern, trimmed to the positions whose CWM carries at least 30%
of its largest per-position weight (modisco's report rule), is compared by TOMTOM (complete
scores, both strands) with every motif of the collection, plus the planted motifs missing from
it and the Tn5 bias motif when given (its uninformative flanks trimmed: the simulator pads the
table with uniform positions, which near-uniform noise patterns match all too well). TOMTOM
gives p-values; q-values are Benjamini-Hochberg
over one pattern's p-values against all targets (as MEME's Tomtom reports per query), and a
match counts when its q-value is at most ``--match-qvalue``.

Recovery of the planted motifs (:func:`recovery`): a planted motif is recovered when some
pattern matches it at the q-value threshold **and** it is that pattern's best match, or the
pattern's best match is in the same motif cluster (``--clusters``, the motifs stage's
``clusters.tsv``). Significance alone would credit a pattern with every motif that resembles
it; best-match alone would fail a pattern whose best match is a near-identical family member
(GATA1::TAL1 vs GATA2), which the cluster rule forgives. The bias motif counts as found when
some pattern matches it at the threshold as its best match; the share of the patterns' seqlets
in such patterns says how much of the signal it is.

Outputs in ``--outdir`` (all or none): ``modisco.h5`` (modisco-lite's format, for its report
tools), ``patterns.tsv`` (one row per pattern), ``patterns.meme`` (trimmed PPMs), ``patterns.png``
(CWM logos), ``modisco.json`` (settings, seqlet and pattern counts, a message when no pattern
was found, timing) and, with ``--truth-motifs``, ``recovery.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger("regflow.interpret")

HELP = "TF-MoDISco motifs of contribution scores, matched to JASPAR with TOMTOM"
TRIM_FRACTION = 0.3  # modisco's report: keep positions with >= 30% of the max |CWM| weight
BIAS_ID = "tn5_bias"
MIN_FLANK_IC = 0.05  # bits: flanking positions of the bias motif below this are trimmed
TOP_MATCHES = 3
MAX_LOGOS = 24
NO_PATTERNS = "TF-MoDISco found no patterns"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--contributions", required=True, type=Path, help="<head>.npz of contributions"
    )
    parser.add_argument("--motifs", required=True, type=Path, help="JASPAR/MEME collection")
    parser.add_argument("--truth-motifs", type=Path, help="planted motifs (JASPAR/MEME)")
    parser.add_argument("--bias-motif", type=Path, help="Tn5 bias table (offset, A, C, G, T)")
    parser.add_argument("--clusters", type=Path, help="motif clusters (motif_id, cluster)")
    parser.add_argument(
        "--max-seqlets", type=int, default=2000, help="seqlets per metacluster at most (2000)"
    )
    parser.add_argument(
        "--window",
        type=int,
        default=400,
        help="central bases of each region to use (400; all when the regions are shorter)",
    )
    parser.add_argument(
        "--match-qvalue", type=float, default=0.05, help="TOMTOM q-value a match must reach (0.05)"
    )
    parser.add_argument("--n-leiden", type=int, default=2, help="Leiden runs per clustering (2)")
    parser.add_argument("--threads", type=int, default=1, help="numba threads (1)")
    parser.add_argument("--outdir", required=True, type=Path)


@dataclass(frozen=True)
class Pattern:
    """A TF-MoDISco pattern: ``name`` (``pos_patterns.pattern_0``), ``metacluster``
    (positive/negative), ``n_seqlets``, and the trimmed ``ppm`` and ``cwm``, each
    ``(w, 4)``."""

    name: str
    metacluster: str
    n_seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray


def trim(ppm: np.ndarray, cwm: np.ndarray, fraction: float = TRIM_FRACTION):
    """``(ppm, cwm)`` ``(w, 4)`` cut to the span of positions whose total absolute CWM weight is
    at least ``fraction`` of the largest one's."""
    score = np.abs(cwm).sum(axis=1)  # (w,)
    keep = np.flatnonzero(score >= fraction * score.max())
    span = slice(int(keep.min()), int(keep.max()) + 1)
    return ppm[span], cwm[span]


def trim_flanks(probs: np.ndarray, min_ic: float = MIN_FLANK_IC) -> np.ndarray:
    """A frequency matrix ``(w, 4)`` without its leading and trailing positions of information
    content below ``min_ic`` bits (all of it when every position is below)."""
    p = np.asarray(probs, np.float64)
    plogp = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    informative = np.flatnonzero(2.0 + plogp.sum(axis=1) >= min_ic)
    if informative.size == 0:
        return p
    return p[informative.min() : informative.max() + 1]


def patterns_of(pos_patterns, neg_patterns) -> list[Pattern]:
    """The trimmed patterns of TF-MoDISco's two metaclusters (None: none), named as
    ``modisco.h5`` names them."""
    out = []
    for group, metacluster, patterns in (
        ("pos_patterns", "positive", pos_patterns),
        ("neg_patterns", "negative", neg_patterns),
    ):
        for i, pattern in enumerate(patterns or []):
            ppm, cwm = trim(np.asarray(pattern.sequence), np.asarray(pattern.contrib_scores))
            out.append(Pattern(f"{group}.pattern_{i}", metacluster, len(pattern.seqlets), ppm, cwm))
    return out


def bh_qvalues(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of each row of ``pvalues`` ``(Q, T)`` over its ``T``
    entries: ``(Q, T)``."""
    p = np.asarray(pvalues, np.float64)
    n = p.shape[1]
    order = np.argsort(p, axis=1)
    ranked = np.take_along_axis(p, order, axis=1) * n / np.arange(1, n + 1)  # (Q, T)
    ranked = np.minimum.accumulate(ranked[:, ::-1], axis=1)[:, ::-1]  # monotone from the end
    q = np.empty_like(p)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), axis=1)
    return q


def match_patterns(
    pattern_ppms: list[np.ndarray], library_ppms: list[np.ndarray], threads: int = 1
) -> pd.DataFrame:
    """TOMTOM of every pattern against every library motif.

    Parameters
    ----------
    pattern_ppms, library_ppms
        Position probability matrices ``(w, 4)`` (ACGT columns).
    threads
        numba threads for TOMTOM.

    Returns
    -------
    pandas.DataFrame
        One row per (pattern, target): ``pattern`` and ``target`` (indices), ``pvalue``,
        ``qvalue`` (:func:`bh_qvalues` over the pattern's targets) and ``rank`` (1 = the
        pattern's best match; ties by target order).
    """
    import warnings

    from memelite import tomtom

    if not pattern_ppms or not library_ppms:
        return pd.DataFrame(
            {"pattern": [], "target": [], "pvalue": [], "qvalue": [], "rank": []}
        ).astype({"pattern": int, "target": int, "rank": int})
    queries = [np.ascontiguousarray(p.T, np.float64) for p in pattern_ppms]  # (4, w) each
    targets = [np.ascontiguousarray(t.T, np.float64) for t in library_ppms]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="tomtom was given")  # small test libraries
        pvalues = tomtom(queries, targets, n_jobs=threads)[0]  # (Q, T)
    qvalues = bh_qvalues(pvalues)
    ranks = np.argsort(np.argsort(pvalues, axis=1, kind="stable"), axis=1, kind="stable") + 1
    n_q, n_t = pvalues.shape
    return pd.DataFrame(
        {
            "pattern": np.repeat(np.arange(n_q), n_t),
            "target": np.tile(np.arange(n_t), n_q),
            "pvalue": pvalues.reshape(-1),
            "qvalue": qvalues.reshape(-1),
            "rank": ranks.reshape(-1),
        }
    )


def recovery(
    matches: pd.DataFrame,
    target_ids: list[str],
    truth_ids: list[str],
    qvalue: float,
    cluster_of: dict[str, str] | None = None,
) -> dict:
    """Which planted motifs some pattern recovers (see the module docstring for the rule).

    Parameters
    ----------
    matches
        :func:`match_patterns` output.
    target_ids
        ID of each target index.
    truth_ids
        IDs of the planted motifs (each must be a target).
    qvalue
        Largest q-value of a match.
    cluster_of
        Motif ID -> cluster; None: a planted motif must be the pattern's best match itself.

    Returns
    -------
    dict
        ``n_planted``, ``n_recovered``, ``fraction`` and per planted motif ``motifs[id]``:
        ``recovered``, ``pattern`` (index of the recovering pattern, else of the pattern
        matching it best), ``qvalue`` and ``rank`` of that match, and the pattern's
        ``best_match``.
    """
    ids = np.asarray(target_ids)
    missing = sorted(set(truth_ids) - set(target_ids))
    if missing:
        raise ValueError(f"planted motifs not among the targets: {', '.join(missing)}")
    best = matches[matches["rank"] == 1].set_index("pattern")["target"]  # pattern -> target
    motifs = {}
    for truth in truth_ids:
        index = int(np.flatnonzero(ids == truth)[0])
        rows = matches[matches["target"] == index].sort_values(["qvalue", "rank"], kind="stable")
        found = None
        for row in rows.itertuples():
            if row.qvalue > qvalue:
                break
            top = str(ids[best[row.pattern]])
            same = cluster_of is not None and cluster_of.get(top, top) == cluster_of.get(
                truth, truth
            )
            if row.rank == 1 or same:
                found = row
                break
        shown = found if found is not None else next(rows.itertuples(), None)
        motifs[truth] = {
            "recovered": found is not None,
            "pattern": None if shown is None else int(shown.pattern),
            "qvalue": None if shown is None else float(shown.qvalue),
            "rank": None if shown is None else int(shown.rank),
            "best_match": None if shown is None else str(ids[best[shown.pattern]]),
        }
    n_found = sum(m["recovered"] for m in motifs.values())
    return {
        "n_planted": len(truth_ids),
        "n_recovered": n_found,
        "fraction": n_found / len(truth_ids) if truth_ids else float("nan"),
        "motifs": motifs,
    }


def pattern_table(
    patterns: list[Pattern], matches: pd.DataFrame, ids: list[str], names: list[str], q: float
) -> pd.DataFrame:
    """One row per pattern: name, metacluster, seqlets, width, best match (id, name, p- and
    q-value, significant at ``q``) and the top :data:`TOP_MATCHES` matches as text."""
    rows = []
    for i, pattern in enumerate(patterns):
        mine = matches[matches["pattern"] == i].sort_values("rank")
        top = mine.head(TOP_MATCHES)
        best = top.iloc[0] if len(top) else None
        rows.append(
            {
                "pattern": pattern.name,
                "metacluster": pattern.metacluster,
                "n_seqlets": pattern.n_seqlets,
                "width": len(pattern.ppm),
                "best_match_id": ids[int(best.target)] if best is not None else "",
                "best_match_name": names[int(best.target)] if best is not None else "",
                "best_match_pvalue": float(best.pvalue) if best is not None else np.nan,
                "best_match_qvalue": float(best.qvalue) if best is not None else np.nan,
                "significant": bool(best is not None and best.qvalue <= q),
                "top_matches": "; ".join(
                    f"{ids[int(r.target)]} {names[int(r.target)]} (q={r.qvalue:.2g})"
                    for r in top.itertuples()
                ),
            }
        )
    columns = [
        "pattern",
        "metacluster",
        "n_seqlets",
        "width",
        "best_match_id",
        "best_match_name",
        "best_match_pvalue",
        "best_match_qvalue",
        "significant",
        "top_matches",
    ]
    return pd.DataFrame(rows, columns=columns)


def meme_text(patterns: list[Pattern]) -> str:
    """The patterns' trimmed PPMs in minimal MEME format (a header only when there are none)."""
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", ""]
    lines += ["Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    for pattern in patterns:
        probs = pattern.ppm / pattern.ppm.sum(axis=1, keepdims=True)
        lines.append(f"MOTIF {pattern.name} {pattern.metacluster}")
        lines.append(
            f"letter-probability matrix: alength= 4 w= {len(probs)} nsites= {pattern.n_seqlets}"
        )
        lines += [" ".join(f"{v:.6f}" for v in row) for row in probs]
        lines.append("")
    return "\n".join(lines)


def logo_figure(patterns: list[Pattern], table: pd.DataFrame):
    """CWM logos of the first :data:`MAX_LOGOS` patterns, titled with their best match; a
    figure saying so when there is no pattern."""
    import matplotlib

    matplotlib.use("Agg")
    import logomaker
    import matplotlib.pyplot as plt

    if not patterns:
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.text(0.5, 0.5, NO_PATTERNS, ha="center", va="center")
        ax.set_axis_off()
        return fig
    shown = patterns[:MAX_LOGOS]
    fig, axes = plt.subplots(len(shown), 1, figsize=(7, 1.6 * len(shown)), squeeze=False)
    for ax, pattern, row in zip(axes[:, 0], shown, table.itertuples(), strict=False):
        frame = pd.DataFrame(pattern.cwm, columns=list("ACGT"))
        logomaker.Logo(frame, ax=ax)
        match = f"{row.best_match_id} {row.best_match_name} (q={row.best_match_qvalue:.2g})"
        ax.set_title(f"{pattern.name}, {pattern.n_seqlets} seqlets; best: {match}", fontsize=8)
        ax.set_xticks([])
    fig.tight_layout()
    return fig


def _library(args: argparse.Namespace) -> tuple[list[str], list[str], list[np.ndarray], list]:
    """Target IDs, names and PPMs ``(w, 4)``: the collection, the planted motifs it lacks and
    the bias motif; and the planted motifs' IDs."""
    from regflow.motifs.io import read_motifs
    from regflow.train.chrombpnet import read_motif_table

    motifs = read_motifs(args.motifs)
    truth = read_motifs(args.truth_motifs) if args.truth_motifs else []
    known = {m.matrix_id for m in motifs}
    motifs += [m for m in truth if m.matrix_id not in known]
    ids = [m.matrix_id for m in motifs]
    names = [m.name for m in motifs]
    ppms = [m.probs for m in motifs]
    if args.bias_motif:
        ids.append(BIAS_ID)
        names.append("Tn5 bias")
        ppms.append(trim_flanks(read_motif_table(args.bias_motif)))
    return ids, names, ppms, [m.matrix_id for m in truth]


def _clusters(path: Path | None) -> dict[str, str] | None:
    """Motif ID -> cluster of a motif clusters table (``motif_id`` and ``cluster`` or
    ``cluster_name`` columns)."""
    from regflow.datasets.io import read_table

    if path is None:
        return None
    table = read_table(path, "motif clusters", index_col=None)
    column = next((c for c in ("cluster", "cluster_name") if c in table.columns), None)
    if "motif_id" not in table.columns or column is None:
        raise RegflowError(f"motif clusters {path} need columns motif_id and cluster")
    return dict(zip(table["motif_id"].astype(str), table[column].astype(str), strict=True))


def _check(args: argparse.Namespace) -> None:
    for name in ("max_seqlets", "window", "n_leiden", "threads"):
        if getattr(args, name) < 1:
            raise RegflowError(f"--{name.replace('_', '-')} must be >= 1")
    if not 0.0 < args.match_qvalue <= 1.0:
        raise RegflowError(f"--match-qvalue must be in (0, 1], got {args.match_qvalue}")


def discover(
    one_hot: np.ndarray, hypothetical: np.ndarray, max_seqlets: int, n_leiden: int
) -> tuple[list | None, list | None, dict]:
    """TF-MoDISco (the ``modisco motifs`` command's settings) on ``(N, W, 4)`` arrays: the
    positive and negative patterns (None: none) and counts of seqlets and patterns.

    Contributions that are all zero have no seqlets (TF-MoDISco's null model fails on them):
    no patterns.
    """
    from modiscolite.tfmodisco import TFMoDISco

    if not np.any(one_hot * hypothetical):
        pos = neg = None
    else:
        pos, neg = TFMoDISco(
            one_hot=one_hot.astype(np.float32),
            hypothetical_contribs=hypothetical.astype(np.float32),
            max_seqlets_per_metacluster=max_seqlets,
            sliding_window_size=20,
            flank_size=5,
            trim_to_window_size=30,
            initial_flank_to_add=10,
            final_flank_to_add=0,
            target_seqlet_fdr=0.05,
            n_leiden_runs=n_leiden,
        )
    counts = {
        "positive_patterns": len(pos or []),
        "negative_patterns": len(neg or []),
        "positive_seqlets": sum(len(p.seqlets) for p in pos or []),
        "negative_seqlets": sum(len(p.seqlets) for p in neg or []),
    }
    return pos, neg, counts


def run(args: argparse.Namespace) -> None:
    import numba
    from modiscolite.io import save_hdf5

    from regflow.interpret.contributions import read_contributions
    from regflow.io import write_outputs

    _check(args)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    started = time.perf_counter()
    arrays = read_contributions(args.contributions)
    length = arrays["projected"].shape[1]
    window = min(args.window, length)  # regions shorter than the window: all of them
    ids, names, ppms, truth_ids = _library(args)
    cluster_of = _clusters(args.clusters)
    start = (length - window) // 2
    centre = slice(start, start + window)
    pos, neg, counts = discover(
        arrays["one_hot"][:, centre],
        arrays["hypothetical"][:, centre],
        args.max_seqlets,
        args.n_leiden,
    )
    patterns = patterns_of(pos, neg)
    matches = match_patterns([p.ppm for p in patterns], ppms, args.threads)
    table = pattern_table(patterns, matches, ids, names, args.match_qvalue)
    summary = {
        "contributions": str(args.contributions),
        "motifs": str(args.motifs),
        "regions": int(len(arrays["projected"])),
        "window": window,
        "max_seqlets": args.max_seqlets,
        "n_leiden": args.n_leiden,
        "match": "TOMTOM (memelite) p-values, Benjamini-Hochberg q-values per pattern",
        "match_qvalue": args.match_qvalue,
        **counts,
        "message": NO_PATTERNS if not patterns else f"{len(patterns)} patterns",
        "significant_patterns": int(table["significant"].sum()),
    }
    if args.bias_motif:
        bias = matches[matches["target"] == ids.index(BIAS_ID)]
        hits = bias[(bias["qvalue"] <= args.match_qvalue) & (bias["rank"] == 1)]
        seqlets = sum(p.n_seqlets for p in patterns)
        in_bias = sum(patterns[i].n_seqlets for i in hits["pattern"])
        summary["bias_motif"] = {
            "found": bool(len(hits)),
            "patterns": [patterns[i].name for i in hits["pattern"]],
            "seqlet_share": in_bias / seqlets if seqlets else 0.0,
            "best_qvalue": float(bias["qvalue"].min()) if len(bias) else None,
        }
    summary["seconds"] = time.perf_counter() - started
    log.info("%s; %d match the collection", summary["message"], summary["significant_patterns"])

    def write_figure(tmp: Path) -> None:
        import matplotlib.pyplot as plt

        fig = logo_figure(patterns, table)
        fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)

    def write_json(record: dict):
        return lambda tmp: Path(tmp).write_text(
            json.dumps(record, indent=2) + "\n", encoding="utf-8"
        )

    writers = {
        args.outdir / "modisco.h5": lambda tmp: save_hdf5(str(tmp), pos, neg, window),
        args.outdir / "patterns.tsv": lambda tmp: table.to_csv(
            tmp, sep="\t", index=False, float_format="%.4g"
        ),
        args.outdir / "patterns.meme": lambda tmp: Path(tmp).write_text(
            meme_text(patterns), encoding="utf-8"
        ),
        args.outdir / "patterns.png": write_figure,
        args.outdir / "modisco.json": write_json(summary),
    }
    if args.truth_motifs:
        result = recovery(matches, ids, truth_ids, args.match_qvalue, cluster_of)
        for motif_id, entry in result["motifs"].items():
            entry["name"] = names[ids.index(motif_id)]
            if entry["pattern"] is not None:
                entry["pattern"] = patterns[entry["pattern"]].name
                entry["best_match_name"] = names[ids.index(entry["best_match"])]
        result["rule"] = (
            "recovered: some pattern matches the planted motif at q <= match_qvalue and it is "
            "that pattern's best match"
            + (", or the best match is in its motif cluster" if cluster_of else "")
        )
        result["bias_motif"] = summary.get("bias_motif")
        writers[args.outdir / "recovery.json"] = write_json(result)
    write_outputs(writers)
