"""Fragment sets shared by the assay simulators: lengths, uniform background, PCR duplicates.

A fragment set is a dict of equal-length arrays: ``chrom`` (index into the genome's names),
``start``, ``end`` (0-based half-open, chromosome coordinates) and ``kind`` (a label code).
"""

from __future__ import annotations

import numpy as np

from regflow.simulate.genome import Genome


def mixture_lengths(rng: np.random.Generator, n: int, components: list[dict]) -> np.ndarray:
    """Lengths from a mixture of normal (``mean``, ``sd``) and log-normal (``median``,
    ``sigma``) components, each with a ``weight``; each component clipped to its
    [``min``, ``max``]."""
    weights = np.array([c["weight"] for c in components], float)
    which = rng.choice(len(components), size=n, p=weights / weights.sum())
    out = np.empty(n)
    for k, comp in enumerate(components):
        m = which == k
        if "median" in comp:
            draw = rng.lognormal(np.log(comp["median"]), comp["sigma"], m.sum())
        else:
            draw = rng.normal(comp["mean"], comp["sd"], m.sum())
        out[m] = np.clip(draw, comp.get("min", 20), comp.get("max", 2000))
    return np.rint(out).astype(np.int64)


def uniform_fragments(
    rng: np.random.Generator, genome: Genome, chroms: list[str], lengths: np.ndarray, kind: int
) -> dict[str, np.ndarray]:
    """Fragments placed uniformly over ``chroms`` (in proportion to chromosome length)."""
    index = np.array([genome.names.index(c) for c in chroms])
    sizes = np.array([genome.lengths[i] for i in index], float)
    chrom = index[rng.choice(index.size, size=lengths.size, p=sizes / sizes.sum())]
    room = np.array(genome.lengths)[chrom] - lengths
    start = (rng.random(lengths.size) * np.maximum(room, 1)).astype(np.int64)
    return {
        "chrom": chrom,
        "start": start,
        "end": start + lengths,
        "kind": np.full(lengths.size, kind),
    }


def concat(*sets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Join fragment sets."""
    return {k: np.concatenate([s[k] for s in sets]) for k in sets[0]}


def take(frags: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    """Subset (or reorder) a fragment set."""
    return {k: v[index] for k, v in frags.items()}


def within_bounds(frags: dict[str, np.ndarray], genome: Genome) -> np.ndarray:
    """Mask of fragments lying wholly inside their chromosome with positive length."""
    size = np.array(genome.lengths)[frags["chrom"]]
    return (frags["start"] >= 0) & (frags["end"] <= size) & (frags["end"] > frags["start"])


def add_duplicates(
    rng: np.random.Generator, frags: dict[str, np.ndarray], rate: float
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Replace a random fraction ``rate`` of fragments by PCR copies of the others.

    Returns the fragment set (same size, shuffled) and each fragment's copy number
    (0 = the original molecule, k > 0 = its k-th duplicate).
    """
    n = frags["start"].size
    n_dup = int(round(rate * n))
    originals = np.sort(rng.choice(n, size=n - n_dup, replace=False))
    source = np.concatenate([originals, rng.choice(originals, size=n_dup)])
    order = rng.permutation(n)
    source = source[order]
    copy = np.zeros(n, dtype=np.int64)
    seen: dict[int, int] = {}
    for i, s in enumerate(source.tolist()):
        copy[i] = seen.get(s, 0)
        seen[s] = copy[i] + 1
    return take(frags, source), copy


def to_global(frags: dict[str, np.ndarray], genome: Genome) -> tuple[np.ndarray, np.ndarray]:
    """Fragment ends in the coordinates of the concatenated genome array."""
    offset = genome.offsets[frags["chrom"]]
    return frags["start"] + offset, frags["end"] + offset
