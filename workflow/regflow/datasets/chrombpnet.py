"""The ChromBPNet dataset: peaks and GC-matched non-peaks as one-hot sequences with per-base Tn5
insertion counts, and chromosome folds (Pampari et al., ChromBPNet; the reference's ``prep``).

Every region is centred on a position: a peak's centre or a tiled non-peak window's centre. Its
sequence covers the model input (``in_len``) and its counts the output (``out_len``), each
widened by ``jitter`` on both sides so training can shift the window by up to ``jitter``.
Non-peaks are drawn from genome tiles whose jittered input window overlaps no peak (widened
likewise) and no blacklisted interval, matching the GC content of the peaks' input windows;
the bias model later trains on the non-peaks with few insertions (:func:`bias_threshold`).
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from regflow.datasets.sequence import (
    base_codes,
    bigwig_values,
    check_settings,
    fetch_onehot,
    gc_fraction,
    open_bigwig,
    windows_gc,
)
from regflow.errors import RegflowError
from regflow.peaks.intervals import overlaps_any, region_names

#: The settings of :func:`build_chrombpnet_dataset` and their types (all required).
SETTINGS: dict[str, type] = {
    "in_len": int,
    "out_len": int,
    "jitter": int,
    "negative_ratio": int,
    "outlier_quantile": float,
    "nonpeak_step": int,
    "exclude_chromosomes": list[str],
    "folds": list[dict],
    "seed": int,
}

SPLITS = ("train", "val", "test")


def peak_centres(peaks: pd.DataFrame) -> pd.DataFrame:
    """The centre of each peak, ``(start + end) // 2`` (the summit of summit-centred peaks).

    Parameters
    ----------
    peaks : columns ``chrom``, ``start``, ``end`` (0-based half-open) and optionally ``name``.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``centre`` (int64), ``name`` (the BED name, else ``chr:start-end``),
        in the peaks' order.
    """
    start = peaks["start"].to_numpy(dtype=np.int64)
    end = peaks["end"].to_numpy(dtype=np.int64)
    names = peaks["name"].astype(str).to_numpy() if "name" in peaks else region_names(peaks)
    return pd.DataFrame(
        {
            "chrom": peaks["chrom"].astype(str).to_numpy(),
            "centre": (start + end) // 2,
            "name": names,
        }
    )


def tile_candidates(
    chrom_sizes: dict[str, int], width: int, step: int, exclude: set[str]
) -> pd.DataFrame:
    """Centres of ``width``-bp windows every ``step`` bp, each window fully inside its chromosome.

    A window of centre ``c`` is ``[c - width // 2, c - width // 2 + width)``; the windows of a
    chromosome start at 0, ``step``, ... Chromosomes in ``exclude`` are skipped.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``centre`` (int64), in chromosome then position order.
    """
    chroms, centres = [], []
    for chrom, size in chrom_sizes.items():
        if chrom in exclude or size < width:
            continue
        starts = np.arange(0, size - width + 1, step, dtype=np.int64)
        chroms.append(np.full(starts.size, chrom, dtype=object))
        centres.append(starts + width // 2)
    if not chroms:
        return pd.DataFrame({"chrom": pd.Series(dtype=object), "centre": pd.Series(dtype=np.int64)})
    return pd.DataFrame({"chrom": np.concatenate(chroms), "centre": np.concatenate(centres)})


def drop_overlapping(
    candidates: pd.DataFrame, intervals: pd.DataFrame, half_width: int
) -> pd.DataFrame:
    """The candidates whose window ``[centre - half_width, centre + half_width)`` overlaps none
    of ``intervals`` (columns ``chrom``, ``start``, ``end``), in their order, index reset."""
    windows = pd.DataFrame(
        {
            "chrom": candidates["chrom"].to_numpy(),
            "start": np.maximum(candidates["centre"].to_numpy(dtype=np.int64) - half_width, 0),
            "end": candidates["centre"].to_numpy(dtype=np.int64) + half_width,
        }
    )
    hit = overlaps_any(windows, intervals)
    return candidates.loc[~hit].reset_index(drop=True)


def gc_matched(
    peak_gc: np.ndarray, candidate_gc: np.ndarray, ratio: int, seed: int
) -> tuple[np.ndarray, int]:
    """GC-matched non-peaks: for each peak, the ``ratio`` unused candidates of nearest GC.

    Peaks are visited in an order drawn from ``seed``; candidates of equal GC are taken in an
    order drawn from it too, and equally distant candidates above and below a peak's GC are
    chosen between by it, so the draw is deterministic for a seed. A candidate is used once;
    when they run out, the remaining peaks get fewer.

    Parameters
    ----------
    peak_gc : (P,) GC fraction of each peak's input window.
    candidate_gc : (C,) GC fraction of each candidate's input window.
    ratio : non-peaks wanted per peak.
    seed : seed of the random generator.

    Returns
    -------
    chosen : (n,) int64 sorted indices into the candidates, ``n = min(ratio * P, C)``.
    short : how many of the ``ratio * P`` wanted could not be drawn (0 when enough).
    """
    rng = np.random.default_rng(seed)
    n = candidate_gc.size
    order = np.lexsort((rng.random(n), candidate_gc))  # by GC, ties in random order
    sorted_gc = candidate_gc[order]
    # Free-slot finders over the sorted candidates, with path compression: following
    # ``above`` from i reaches the first free slot >= i (n: none); following ``below`` from
    # i reaches 1 + the last free slot < i (0: none).
    above = list(range(n + 1))
    below = list(range(n + 1))
    chosen: list[int] = []
    wanted = ratio * peak_gc.size
    for peak in rng.permutation(peak_gc.size):
        gc = peak_gc[peak]
        pos = int(np.searchsorted(sorted_gc, gc))
        for _ in range(ratio):
            if len(chosen) == n:
                break
            right = _find(above, pos)
            left = _find(below, pos) - 1
            up = sorted_gc[right] - gc if right < n else np.inf
            down = gc - sorted_gc[left] if left >= 0 else np.inf
            take = right if up < down or (up == down and rng.random() < 0.5) else left
            above[take] = take + 1
            below[take + 1] = take
            chosen.append(int(order[take]))
    return np.sort(np.array(chosen, dtype=np.int64)), wanted - len(chosen)


def _find(parent: list[int], i: int) -> int:
    """Root of ``i`` in a free-slot finder, compressing the path walked."""
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:
        parent[i], i = root, parent[i]
    return root


def outlier_mask(total_counts: np.ndarray, quantile: float) -> np.ndarray:
    """Regions whose total counts exceed the ``quantile`` of all: (N,) bool, True = outlier
    (dropped from training, as the reference drops peaks above the 0.9999 quantile)."""
    total_counts = np.asarray(total_counts, dtype=np.float64)
    if total_counts.size == 0:
        return np.zeros(0, dtype=bool)
    return total_counts > np.quantile(total_counts, quantile)


def bias_threshold(peak_totals: np.ndarray, factor: float = 0.5, quantile: float = 0.01) -> float:
    """The reference's ceiling on the total counts of non-peaks used for the bias model:
    ``quantile`` of the peaks' totals times ``factor``, so the bias model sees background."""
    return float(np.quantile(np.asarray(peak_totals, dtype=np.float64), quantile) * factor)


def fold_splits(chroms: np.ndarray, folds: list[dict], all_chroms: list[str]) -> pd.DataFrame:
    """The split of each region in each fold, by its chromosome.

    Parameters
    ----------
    chroms : (N,) chromosome of each region.
    folds : one ``{"val": [...], "test": [...]}`` per fold; other chromosomes train.
    all_chroms : the genome's chromosomes.

    Returns
    -------
    pandas.DataFrame
        (N rows) columns ``fold_0`` .. ``fold_{k-1}``, values ``train``, ``val``, ``test``.

    Raises
    ------
    RegflowError
        If there is no fold, a fold is not such an object, names a chromosome not in the genome
        or names one both val and test.
    """
    if not folds:
        raise RegflowError("ChromBPNet settings 'folds' lists no fold")
    chroms = np.asarray(chroms).astype(str)
    known = set(all_chroms)
    columns = {}
    for i, fold in enumerate(folds):
        name = f"fold_{i}"
        if (
            not isinstance(fold, dict)
            or set(fold) != {"val", "test"}
            or not all(
                isinstance(fold[key], list) and all(isinstance(c, str) for c in fold[key])
                for key in fold
            )
        ):
            raise RegflowError(
                f"ChromBPNet {name} must be an object with lists of chromosomes 'val' and 'test'"
            )
        for chrom in [*fold["val"], *fold["test"]]:
            if chrom not in known:
                raise RegflowError(f"ChromBPNet {name} names chromosome {chrom}, not in the genome")
        both = sorted(set(fold["val"]) & set(fold["test"]))
        if both:
            raise RegflowError(f"ChromBPNet {name} names chromosome {both[0]} both val and test")
        split = np.full(chroms.size, "train", dtype=object)
        split[np.isin(chroms, fold["val"])] = "val"
        split[np.isin(chroms, fold["test"])] = "test"
        columns[name] = split
    return pd.DataFrame(columns, index=pd.RangeIndex(chroms.size))


def build_chrombpnet_dataset(
    genome: Path,
    cutsites: Path,
    peaks: Path,
    chrom_sizes: Path,
    blacklist: Path | None,
    settings: dict,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict]:
    """Peaks and GC-matched non-peaks with sequences, per-base counts and folds.

    Parameters
    ----------
    genome : indexed (or indexable) genome FASTA.
    cutsites : bigWig of raw Tn5 insertion counts per base.
    peaks : consensus peaks BED (summit-centred windows).
    chrom_sizes : ``chrom<TAB>size`` of the genome.
    blacklist : BED of regions no non-peak may overlap, or None.
    settings : the keys of :data:`SETTINGS`: ``in_len``, ``out_len``, ``jitter`` (bp),
        ``negative_ratio`` (non-peaks per peak), ``outlier_quantile`` (peaks with more counts
        are dropped), ``nonpeak_step`` (bp between candidate centres), ``exclude_chromosomes``
        (never non-peaks), ``folds`` (see :func:`fold_splits`), ``seed``.

    Returns
    -------
    arrays : ``sequences`` (N, in_len + 2 jitter, 4) uint8 one-hot; ``counts``
        (N, out_len + 2 jitter) float32 insertions per base; ``is_peak`` (N,) bool; ``chroms``
        (N,) str; ``centres`` (N,) int64. Peaks first (file order), then non-peaks (genome
        order).
    regions : one row per region: ``name`` (``chr:start-end`` of its out_len window),
        ``chrom``, ``centre``, ``kind`` (peak/nonpeak), ``gc`` (of the in_len window),
        ``total_counts`` (in the out_len window), ``fold_0`` ...
    record : inputs, settings, peaks kept and dropped, non-peak candidates and draws, GC and
        bias-threshold summaries, split sizes per fold.

    Raises
    ------
    RegflowError
        For bad settings, a missing or empty peaks file, a peak chromosome absent from the chrom
        sizes, FASTA or bigWig, no peak left or no non-peak candidate left.
    """
    from regflow.expression.io import open_genome
    from regflow.peaks.io import read_bed
    from regflow.qc.io import read_chrom_sizes

    settings = _checked(settings)
    in_len, out_len, jitter = settings["in_len"], settings["out_len"], settings["jitter"]
    seq_width, count_width = in_len + 2 * jitter, out_len + 2 * jitter
    sizes = read_chrom_sizes(chrom_sizes)
    peak_table = read_bed(peaks, "consensus peaks")
    if peak_table.empty:
        raise RegflowError(f"consensus peaks {peaks} has no peaks")
    blocked = [peak_table]
    if blacklist is not None:
        blocked.append(read_bed(blacklist, "blacklist"))
    centres = peak_centres(peak_table)
    half = in_len - in_len // 2 + jitter  # covers a jittered input window on both sides
    blocked.append(
        pd.DataFrame(
            {
                "chrom": centres["chrom"],
                "start": np.maximum(centres["centre"] - half, 0),
                "end": centres["centre"] + half,
            }
        )
    )
    exclude = set(settings["exclude_chromosomes"])
    with (
        closing(open_genome(genome)) as fasta,
        closing(open_bigwig(cutsites, "cut-site bigWig")) as bw,
    ):
        _check_chromosomes(
            centres, sizes, fasta, bw, exclude, (peaks, chrom_sizes, genome, cutsites)
        )
        size = centres["chrom"].map(sizes).to_numpy(dtype=np.int64)
        lo = centres["centre"].to_numpy() - seq_width // 2
        inside = (lo >= 0) & (lo + seq_width <= size)
        kept = centres.loc[inside].reset_index(drop=True)
        if kept.empty:
            raise RegflowError(
                f"every peak of {peaks} lies within {seq_width // 2} bp of a chromosome end"
            )
        peak_counts = _counts(bw, kept, count_width, cutsites)  # (P, count_width)
        totals = peak_counts[:, jitter : jitter + out_len].sum(axis=1, dtype=np.float64)
        outliers = outlier_mask(totals, settings["outlier_quantile"])
        kept = kept.loc[~outliers].reset_index(drop=True)
        peak_counts = peak_counts[~outliers]
        peak_seqs = _sequences(fasta, kept, seq_width)  # (P, seq_width, 4)
        peak_gc = gc_fraction(peak_seqs[:, jitter : jitter + in_len])

        tiled = tile_candidates(sizes, seq_width, settings["nonpeak_step"], exclude)
        candidates = drop_overlapping(tiled, pd.concat(blocked, ignore_index=True), half)
        ratio = settings["negative_ratio"]
        if ratio > 0 and candidates.empty:
            raise RegflowError(
                f"no non-peak candidate is left on the chromosomes of {chrom_sizes} "
                f"(excluding {', '.join(sorted(exclude)) or 'none'}) once windows overlapping "
                f"the peaks of {peaks}{' or the blacklist ' + str(blacklist) if blacklist else ''} "
                "are dropped"
            )
        candidate_gc = _candidate_gc(fasta, candidates, in_len)
        chosen, short = gc_matched(peak_gc, candidate_gc, ratio, settings["seed"])
        nonpeaks = candidates.iloc[chosen].reset_index(drop=True)
        nonpeak_seqs = _sequences(fasta, nonpeaks, seq_width)
        nonpeak_counts = _counts(bw, nonpeaks, count_width, cutsites)

    sequences = np.concatenate([peak_seqs, nonpeak_seqs])  # (N, seq_width, 4)
    counts = np.concatenate([peak_counts, nonpeak_counts])  # (N, count_width)
    is_peak = np.arange(len(sequences)) < len(kept)
    chroms = np.concatenate([kept["chrom"], nonpeaks["chrom"]]).astype(str)
    region_centres = np.concatenate([kept["centre"], nonpeaks["centre"]]).astype(np.int64)
    region_totals = counts[:, jitter : jitter + out_len].sum(axis=1, dtype=np.float64)
    gc = gc_fraction(sequences[:, jitter : jitter + in_len])
    out_start = region_centres - out_len // 2
    regions = pd.DataFrame(
        {
            "name": region_names(
                pd.DataFrame({"chrom": chroms, "start": out_start, "end": out_start + out_len})
            ),
            "chrom": chroms,
            "centre": region_centres,
            "kind": np.where(is_peak, "peak", "nonpeak"),
            "gc": gc,
            "total_counts": region_totals,
        }
    )
    folds = fold_splits(chroms, settings["folds"], list(sizes))
    regions = pd.concat([regions, folds], axis=1)
    threshold = bias_threshold(region_totals[is_peak])
    arrays = {
        "sequences": sequences,
        "counts": counts.astype(np.float32),
        "is_peak": is_peak,
        "chroms": chroms,
        "centres": region_centres,
    }
    record = {
        "inputs": {
            "genome": str(genome),
            "cutsites": str(cutsites),
            "peaks": str(peaks),
            "chrom_sizes": str(chrom_sizes),
            "blacklist": None if blacklist is None else str(blacklist),
        },
        "settings": settings,
        "sequence_length": seq_width,
        "counts_length": count_width,
        "peaks": {
            "input": int(len(peak_table)),
            "dropped_edge": int((~inside).sum()),
            "dropped_outliers": int(outliers.sum()),
            "outlier_threshold": float(np.quantile(totals, settings["outlier_quantile"])),
            "kept": int(len(kept)),
        },
        "nonpeaks": {
            "tiled": int(len(tiled)),
            "candidates": int(len(candidates)),
            "wanted": int(ratio * len(kept)),
            "chosen": int(len(nonpeaks)),
            "short": int(short),
        },
        "gc": {
            "peak_mean": float(gc[is_peak].mean()),
            "nonpeak_mean": float(gc[~is_peak].mean()) if (~is_peak).any() else None,
            "candidate_mean": float(candidate_gc.mean()) if candidate_gc.size else None,
        },
        "bias": {
            "threshold": threshold,
            "nonpeaks_below": int((region_totals[~is_peak] < threshold).sum()),
        },
        "folds": {
            column: {split: int((folds[column] == split).sum()) for split in SPLITS}
            for column in folds.columns
        },
    }
    return arrays, regions, record


def _checked(settings: dict) -> dict:
    """The settings, checked for keys, types and ranges."""
    settings = check_settings(settings, SETTINGS, "ChromBPNet")
    for key in ("in_len", "out_len", "nonpeak_step"):
        if settings[key] < 1:
            raise RegflowError(f"ChromBPNet setting {key!r} must be >= 1, got {settings[key]}")
    for key in ("jitter", "negative_ratio"):
        if settings[key] < 0:
            raise RegflowError(f"ChromBPNet setting {key!r} must be >= 0, got {settings[key]}")
    if settings["out_len"] > settings["in_len"]:
        raise RegflowError(
            f"ChromBPNet setting 'out_len' ({settings['out_len']}) exceeds 'in_len' "
            f"({settings['in_len']})"
        )
    if not 0 < settings["outlier_quantile"] <= 1:
        raise RegflowError(
            "ChromBPNet setting 'outlier_quantile' must be in (0, 1], "
            f"got {settings['outlier_quantile']}"
        )
    return settings


def _check_chromosomes(
    centres: pd.DataFrame,
    sizes: dict[str, int],
    fasta: pysam.FastaFile,
    bw,
    exclude: set[str],
    paths: tuple[Path, Path, Path, Path],
) -> None:
    """Every peak chromosome is in the chrom sizes, FASTA and bigWig, and every chromosome that
    holds peaks or may hold non-peaks is in the FASTA with the length the chrom sizes give.
    ``paths`` are those of the peaks, chrom sizes, FASTA and bigWig, for the messages."""
    peaks, chrom_sizes, genome, cutsites = paths
    lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
    in_bigwig = bw.chroms()
    for chrom, name in centres.groupby("chrom", sort=False)["name"].first().items():
        for known, what, path in (
            (sizes, "chrom sizes", chrom_sizes),
            (lengths, "genome FASTA", genome),
            (in_bigwig, "cut-site bigWig", cutsites),
        ):
            if chrom not in known:
                raise RegflowError(
                    f"peak {name} of {peaks} lies on {chrom}, which {what} {path} lacks"
                )
    used = set(centres["chrom"])
    for chrom, size in sizes.items():
        if (chrom in used or chrom not in exclude) and lengths.get(chrom) != size:
            raise RegflowError(
                f"chromosome {chrom} of {chrom_sizes} (length {size}) "
                + (
                    f"has length {lengths[chrom]} in genome FASTA {genome}"
                    if chrom in lengths
                    else f"is not in genome FASTA {genome}"
                )
            )


def _sequences(fasta: pysam.FastaFile, regions: pd.DataFrame, width: int) -> np.ndarray:
    """One-hot sequences of ``width`` bp centred on the regions: (n, width, 4) uint8."""
    out = np.zeros((len(regions), width, 4), dtype=np.uint8)
    for i, (chrom, centre) in enumerate(zip(regions["chrom"], regions["centre"], strict=True)):
        start = int(centre) - width // 2
        out[i] = fetch_onehot(fasta, chrom, start, start + width)
    return out


def _counts(bw, regions: pd.DataFrame, width: int, source: Path) -> np.ndarray:
    """Per-base bigWig values over ``width`` bp centred on the regions: (n, width) float32."""
    out = np.zeros((len(regions), width), dtype=np.float32)
    for i, (chrom, centre) in enumerate(zip(regions["chrom"], regions["centre"], strict=True)):
        start = int(centre) - width // 2
        out[i] = bigwig_values(bw, chrom, start, start + width, source)
    return out


def _candidate_gc(fasta: pysam.FastaFile, candidates: pd.DataFrame, width: int) -> np.ndarray:
    """GC fraction of the ``width``-bp windows centred on the candidates: (C,) float64,
    reading each chromosome once."""
    gc = np.zeros(len(candidates))
    for chrom, rows in candidates.groupby("chrom", sort=False).indices.items():
        codes = base_codes(fasta.fetch(chrom))
        starts = candidates["centre"].to_numpy(dtype=np.int64)[rows] - width // 2
        gc[rows] = windows_gc(codes, starts, width)
    return gc
