"""Scan sequences with PWMs on both strands: every window's exact integer score, hits at a
p-value, and region x motif summaries.

Scores are computed as one matrix product per motif width: the one-hot windows of a block of
positions, ``(positions, 4 * width)``, times the integer score matrices of every motif of
that width and both strands, ``(4 * width, 2 * motifs)``. With integer matrices the products
are exact in float32 (every partial sum is an integer below 2**24; float64 is used for the
rare motif set where that bound fails), so each window's score is exact, whatever BLAS does,
and its p-value is exact for that score (:mod:`regflow.motifs.pvalues`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from regflow.motifs.matrices import (
    Motif,
    background_probs,
    log_odds,
    reverse_complement_matrix,
)
from regflow.motifs.pvalues import (
    integer_matrix,
    score_distribution,
    score_threshold,
    survival,
)

_EXACT_FLOAT32 = 2**24
_BLOCK = 32_768  # window starts scored at once
_GROUP = 256  # motifs per matrix product, which bounds its (block, 2 * group) output


@dataclass(frozen=True)
class ScoringMatrices:
    """Integer log-odds matrices, their exact score distributions and hit thresholds.

    Attributes
    ----------
    scores
        One ``(length, 4)`` int64 matrix per motif, in ``1 / resolution`` bit steps.
    lowest
        ``(motifs,)`` smallest reachable score of each motif.
    survival
        Per motif, ``sf[k]`` = P(score >= ``lowest + k``) for a background window.
    threshold
        ``(motifs,)`` smallest score with a p-value below the scan's p-value.
    resolution
        Score steps per bit.
    """

    scores: tuple[np.ndarray, ...]
    lowest: np.ndarray
    survival: tuple[np.ndarray, ...]
    threshold: np.ndarray
    resolution: int

    def pvalues(self, motif: np.ndarray, score: np.ndarray) -> np.ndarray:
        """P-values of integer ``score`` (h,) of motifs ``motif`` (h,) -> (h,)."""
        out = np.empty(score.shape, float)
        for m in np.unique(motif):
            sel = motif == m
            out[sel] = self.survival[m][score[sel] - self.lowest[m]]
        return out


def scoring_matrices(
    motifs: Sequence[Motif],
    background: np.ndarray,
    pvalue: float,
    pseudocount: float = 0.1,
    resolution: int = 100,
) -> ScoringMatrices:
    """Log-odds matrices of ``motifs`` against ``background`` with their p-value thresholds.

    Parameters
    ----------
    motifs
        The motifs, in the order of the output's columns.
    background
        ``(4,)`` base frequencies (:func:`regflow.motifs.regions.symmetric_background`).
    pvalue
        A window is a hit when the probability of its score or more is below this.
    pseudocount
        Total pseudocount per position, shared out by the background (MEME's default 0.1).
    resolution
        Integer score steps per bit.
    """
    scores, lowest, sfs, threshold = [], [], [], []
    for motif in motifs:
        matrix = integer_matrix(
            log_odds(background_probs(motif.counts, background, pseudocount), background),
            resolution,
        )
        low, pmf = score_distribution(matrix, background)
        sf = survival(pmf)
        scores.append(matrix)
        lowest.append(low)
        sfs.append(sf)
        threshold.append(score_threshold(low, sf, pvalue))
    return ScoringMatrices(
        tuple(scores),
        np.array(lowest, np.int64),
        tuple(sfs),
        np.array(threshold, np.int64),
        resolution,
    )


@dataclass(frozen=True)
class ScanResult:
    """Region x motif summaries and the hits of one scan.

    Attributes
    ----------
    max_score
        ``(regions, motifs)`` float32 best window score (bits) on either strand; 0 where the
        region has no window for the motif (``unscorable``).
    hit_score_sum
        ``(regions, motifs)`` float32 sum of the scores (bits) of the hits.
    hit_count
        ``(regions, motifs)`` int32 number of hits (both strands; overlapping windows all count).
    unscorable
        ``(regions, motifs)`` True where the motif is longer than the region, or every window
        holds a base other than A, C, G, T.
    hits
        ``region``, ``motif``, ``offset`` (window start within the region), ``strand``
        (+1 or -1), ``score`` (integer steps), each ``(hits,)``, sorted by region, offset,
        motif and strand.
    """

    max_score: np.ndarray
    hit_score_sum: np.ndarray
    hit_count: np.ndarray
    unscorable: np.ndarray
    hits: dict[str, np.ndarray]


def _width_groups(matrices: ScoringMatrices, dtype) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per motif width, in groups of at most ``_GROUP``: the motifs' indices and their
    ``(4 * width, 2k)`` weights, forward strands in the first ``k`` columns, reverse
    complements in the last ``k``."""
    lengths = np.array([s.shape[0] for s in matrices.scores])
    groups = []
    for width in np.unique(lengths):
        same = np.flatnonzero(lengths == width)
        for index in np.array_split(same, -(-same.size // _GROUP)):
            forward = [matrices.scores[i].reshape(-1) for i in index]
            reverse = [reverse_complement_matrix(matrices.scores[i]).reshape(-1) for i in index]
            weights = np.stack(forward + reverse, axis=1).astype(dtype)  # (4 * width, 2k)
            groups.append((int(width), index, weights))
    return groups


def scan_sequences(codes: np.ndarray, bounds: np.ndarray, matrices: ScoringMatrices) -> ScanResult:
    """Score every window of every region with every motif on both strands.

    Parameters
    ----------
    codes
        ``(total_length,)`` uint8 base codes (0..3 = A, C, G, T; 4 = other) of the regions,
        concatenated.
    bounds
        ``(regions + 1,)`` offsets of the regions in ``codes``.
    matrices
        From :func:`scoring_matrices`.

    Returns
    -------
    ScanResult
        Windows never span two regions; a window holding a code 4 is never scored.
    """
    codes = np.asarray(codes, np.uint8)
    bounds = np.asarray(bounds, np.int64)
    n_regions, n_motifs, total = bounds.size - 1, len(matrices.scores), codes.size
    magnitude = max((np.abs(s).max(axis=1).sum() for s in matrices.scores), default=0)
    dtype = np.float32 if magnitude < _EXACT_FLOAT32 else np.float64
    groups = _width_groups(matrices, dtype)
    widest = max((w for w, _, _ in groups), default=1)

    lengths = np.diff(bounds)
    region_of = np.repeat(np.arange(n_regions), lengths)  # (total,)
    region_end = np.repeat(bounds[1:], lengths)  # (total,)
    other = codes > 3
    others_before = np.concatenate([[0], np.cumsum(other), np.full(widest, other.sum())])
    onehot = np.zeros((total + widest, 4), dtype)  # zero rows pad the last windows
    onehot[np.flatnonzero(~other), codes[~other]] = 1

    best = np.full((n_regions, n_motifs), -np.inf, np.float32)  # integer steps, exact
    found = {key: [] for key in ("position", "motif", "strand", "score")}
    for start in range(0, total, _BLOCK):
        stop = min(start + _BLOCK, total)
        position = np.arange(start, stop)
        windows = np.lib.stride_tricks.sliding_window_view(
            onehot[start : stop + widest - 1], (widest, 4)
        ).reshape(stop - start, 4 * widest)  # (block, 4 * widest), copied once per block
        regions = np.arange(region_of[start], region_of[stop - 1] + 1)
        regions = regions[lengths[regions] > 0]
        cuts = np.clip(np.append(bounds[regions], bounds[regions[-1] + 1]), start, stop) - start
        for width, index, weights in groups:
            k = index.size
            scores = windows[:, : 4 * width] @ weights  # (block, 2k)
            valid = (position + width <= region_end[start:stop]) & (
                others_before[start + width : stop + width] == others_before[start:stop]
            )
            scores[np.flatnonzero(~valid)] = -np.inf
            threshold = np.tile(matrices.threshold[index], 2).astype(dtype)  # (2k,)
            segment_max = np.empty((regions.size, 2 * k), np.float32)
            for s, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
                part = scores[lo:hi]  # (segment, 2k): the windows of one region
                segment_max[s] = part.max(axis=0)
                columns = np.flatnonzero(segment_max[s] >= threshold)
                if columns.size:
                    rows, which = np.nonzero(part[:, columns] >= threshold[columns])
                    found["position"].append(start + lo + rows)
                    found["motif"].append(index[columns[which] % k])
                    found["strand"].append(np.where(columns[which] < k, 1, -1).astype(np.int8))
                    found["score"].append(np.rint(part[rows, columns[which]]).astype(np.int64))
            cell = np.ix_(regions, index)
            best[cell] = np.maximum(best[cell], np.maximum(segment_max[:, :k], segment_max[:, k:]))

    hits = {
        key: np.concatenate(parts) if parts else np.zeros(0, np.int64)
        for key, parts in found.items()
    }
    region = region_of[hits["position"]]
    offset = hits["position"] - bounds[region]
    order = np.lexsort((hits["strand"] < 0, hits["motif"], offset, region))
    hits = {
        "region": region[order],
        "motif": hits["motif"][order],
        "offset": offset[order],
        "strand": hits["strand"][order],
        "score": hits["score"][order],
    }
    cell = (hits["region"], hits["motif"])
    hit_count = np.zeros((n_regions, n_motifs), np.int32)
    np.add.at(hit_count, cell, 1)
    hit_sum = np.zeros((n_regions, n_motifs), np.float32)
    np.add.at(hit_sum, cell, (hits["score"] / matrices.resolution).astype(np.float32))
    unscorable = np.isneginf(best)
    return ScanResult(
        max_score=np.where(unscorable, 0, best) / np.float32(matrices.resolution),
        hit_score_sum=hit_sum,
        hit_count=hit_count,
        unscorable=unscorable,
        hits=hits,
    )


def hits_table(
    result: ScanResult,
    matrices: ScoringMatrices,
    regions: pd.DataFrame,
    motifs: Sequence[Motif],
) -> pd.DataFrame:
    """One row per hit: region, motif, genomic window, strand, score (bits) and p-value.

    Parameters
    ----------
    result, matrices
        A scan and the matrices it used.
    regions
        The scanned regions (``chrom``, ``start``, ``name``), in scan order.
    motifs
        The motifs, in the order of ``matrices``.
    """
    hits = result.hits
    lengths = np.array([m.length for m in motifs], np.int64)
    start = regions["start"].to_numpy(np.int64)[hits["region"]] + hits["offset"]
    return pd.DataFrame(
        {
            "region": regions["name"].to_numpy()[hits["region"]],
            "motif_id": np.array([m.matrix_id for m in motifs], dtype=object)[hits["motif"]],
            "motif_name": np.array([m.name for m in motifs], dtype=object)[hits["motif"]],
            "chrom": regions["chrom"].to_numpy()[hits["region"]],
            "start": start,
            "end": start + lengths[hits["motif"]],
            "strand": np.where(hits["strand"] > 0, "+", "-"),
            "score": hits["score"] / matrices.resolution,
            "pvalue": matrices.pvalues(hits["motif"], hits["score"]),
        }
    )
