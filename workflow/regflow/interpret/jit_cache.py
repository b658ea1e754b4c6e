"""Compile the numba kernels of TF-MoDISco, TOMTOM (memelite) and tangermeme's shuffles once,
into those packages' own caches: run by ``scripts/setup.sh`` after installing them, so that the
first workflow jobs do not each spend about a minute compiling the same kernels (measured on
the demo: 79 s for the first TF-MoDISco run, 12 s once compiled).

``python -m regflow.interpret.jit_cache`` runs the same calls as the workflow, on a tiny
simulated input: random sequences with one planted motif whose bases carry the contributions.
"""

from __future__ import annotations

import time

import numpy as np

from regflow.interpret.motif_discovery import discover, match_patterns, patterns_of


def planted_contributions(
    n: int = 400, length: int = 200, motif: str = "TGACTCATGC", seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(one_hot, hypothetical)``, each ``(n, length, 4)`` float32: random sequences with
    ``motif`` at a random place in each; hypothetical contributions are noise except on the
    motif's bases, where the motif's base scores 1."""
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, size=(n, length))
    code = np.array(["ACGT".index(b) for b in motif])
    starts = rng.integers(0, length - code.size, size=n)
    hypothetical = rng.normal(0.0, 0.01, size=(n, length, 4))
    for i, s in enumerate(starts):
        bases[i, s : s + code.size] = code
        hypothetical[i, np.arange(s, s + code.size), code] = 1.0
    one_hot = np.eye(4, dtype=np.float32)[bases]
    return one_hot, hypothetical.astype(np.float32)


def warm() -> dict:
    """Run TF-MoDISco, TOMTOM and the dinucleotide shuffle once; return the consensus of each
    pattern found, TOMTOM's match count and the seconds taken (mostly compiling, the first
    time)."""
    import torch
    from tangermeme.ersatz import dinucleotide_shuffle

    started = time.perf_counter()
    one_hot, hypothetical = planted_contributions()
    pos, neg, counts = discover(one_hot, hypothetical, max_seqlets=200, n_leiden=1)
    patterns = patterns_of(pos, neg)
    library = [np.eye(4)[[0, 1, 2, 3, 0, 1]], np.full((6, 4), 0.25)]
    # no pattern found (it should be): TOMTOM still compiles on a library motif as the query
    matches = match_patterns([p.ppm for p in patterns] or library[:1], library, threads=1)
    x = torch.from_numpy(one_hot[:2].transpose(0, 2, 1).copy())
    dinucleotide_shuffle(x, n=2, random_state=0)
    return {
        **counts,
        "consensus": ["".join("ACGT"[i] for i in p.ppm.argmax(axis=1)) for p in patterns],
        "matches": len(matches),
        "seconds": time.perf_counter() - started,
    }


if __name__ == "__main__":
    print(f"numba kernels compiled: {warm()}")
