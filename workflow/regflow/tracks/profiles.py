"""``regflow profile-bigwig``: predicted base-resolution profiles as bigWigs, averaged over
models (the folds of an ensemble) and over overlapping windows.

ChromBPNet predicts, per peak, expected Tn5 insertions per base over its output window. Users
look at those tracks in a genome browser and ask for one track per ensemble rather than one
per fold, so the folds' predictions of each window are averaged first; where windows overlap
each base takes the mean of the windows covering it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError
from regflow.io import atomic_output, read_npz

PROFILE_KEYS = ("names", "chroms", "starts")


def ensemble_mean(runs: list[dict[str, np.ndarray]], key: str, paths: list[Path]) -> np.ndarray:
    """Mean of ``key`` (P, L) over runs that predicted the same windows in the same order."""
    first = runs[0]
    for run, path in zip(runs[1:], paths[1:], strict=True):
        if not np.array_equal(run["names"], first["names"]):
            raise RegflowError(f"{path} predicts other windows than {paths[0]}; cannot average")
    return np.mean([run[key] for run in runs], axis=0)


def overlap_mean(
    starts: np.ndarray, values: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray]:
    """One chromosome's windows ``values`` (P, L) starting at ``starts`` (P,) -> the mean per
    covered base as (positions (n,), means (n,)), positions increasing; bases outside the
    chromosome ``[0, length)`` are dropped."""
    width = values.shape[1]
    pos = (starts[:, None] + np.arange(width)[None, :]).reshape(-1)  # (P * L,)
    flat = values.reshape(-1).astype(np.float64)
    inside = (pos >= 0) & (pos < length)
    pos, flat = pos[inside], flat[inside]
    covered, inverse = np.unique(pos, return_inverse=True)
    sums = np.bincount(inverse, weights=flat, minlength=covered.size)
    counts = np.bincount(inverse, minlength=covered.size)
    return covered, sums / counts


def write_profile_bigwig(
    chroms: np.ndarray,
    starts: np.ndarray,
    values: np.ndarray,
    chrom_sizes: dict[str, int],
    output: Path,
) -> int:
    """Write windows' per-base values as a bigWig (1-bp entries); return the entry count."""
    import pyBigWig

    unknown = sorted(set(chroms.tolist()) - set(chrom_sizes))
    if unknown:
        raise RegflowError(f"profile windows on chromosomes absent from the chrom sizes: {unknown}")
    n_entries = 0
    with atomic_output(output) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(chrom_sizes.items()))
            for chrom in chrom_sizes:
                mask = chroms == chrom
                if not mask.any():
                    continue
                pos, mean = overlap_mean(starts[mask], values[mask], chrom_sizes[chrom])
                bw.addEntries(chrom, pos.astype(np.int64).tolist(), values=mean.tolist(), span=1)
                n_entries += pos.size
        finally:
            bw.close()
    return n_entries


def add_parser(subparsers) -> None:
    """Register ``regflow profile-bigwig``."""
    parser = subparsers.add_parser(
        "profile-bigwig",
        help="predicted profiles (.npz of windows) as bigWigs, averaged over runs",
    )
    parser.add_argument("--profiles", nargs="+", required=True, type=Path, help="profiles .npz")
    parser.add_argument("--key", required=True, help="array to write, e.g. corrected")
    parser.add_argument("--chrom-sizes", required=True, type=Path)
    parser.add_argument("--output", required=True, type=Path)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from regflow.tracks.bigwig import read_chrom_sizes

    runs = [read_npz(p, (*PROFILE_KEYS, args.key), "predicted profiles") for p in args.profiles]
    values = ensemble_mean(runs, args.key, list(args.profiles))
    first = runs[0]
    n = write_profile_bigwig(
        first["chroms"].astype(str),
        first["starts"].astype(np.int64),
        values,
        read_chrom_sizes(args.chrom_sizes),
        args.output,
    )
    print(
        f"{args.output}: {args.key}, mean of {len(runs)} run(s), {len(values)} windows, "
        f"{n:,} bases",
        file=sys.stderr,
    )
