"""Simulated read names, which carry each read's true origin.

Format: ``{sample}.{index}:{chrom}:{start}-{end}:{strand}:c{copy}:{kind}[:{gene_id}]`` where
``start``-``end`` is the fragment's genomic span (0-based half-open), ``strand`` the genome
strand read 1 aligns to, ``copy`` 0 for an original molecule and k for its k-th PCR duplicate,
and ``kind`` the fragment's origin (e.g. signal, background, chrM, nucleosome, footprint).
"""

from __future__ import annotations

import re

NAME = re.compile(
    r"^(?P<sample>.+)\.(?P<index>\d+):(?P<chrom>[^:]+):(?P<start>\d+)-(?P<end>\d+):"
    r"(?P<strand>[+-]):c(?P<copy>\d+):(?P<kind>[a-zA-Z]+)(?::(?P<gene_id>[^:]+))?$"
)


def format_names(
    sample, index, chrom_names, chrom, start, end, r1_plus, copy, kind_names, kind, gene_ids=None
) -> list[str]:
    """Names for a batch of reads (all arguments but the first are arrays or sequences)."""
    strand = ["+" if p else "-" for p in r1_plus]
    chroms = [chrom_names[c] for c in chrom]
    kinds = [kind_names[k] for k in kind]
    names = [
        f"{sample}.{i}:{c}:{s}-{e}:{st}:c{cp}:{k}"
        for i, c, s, e, st, cp, k in zip(
            index, chroms, start.tolist(), end.tolist(), strand, copy.tolist(), kinds, strict=True
        )
    ]
    if gene_ids is not None:
        names = [f"{n}:{g}" for n, g in zip(names, gene_ids, strict=True)]
    return names


def parse_name(name: str) -> dict:
    """The origin fields of a simulated read name (a trailing ``/1`` or ``/2`` is ignored)."""
    match = NAME.match(name.split()[0].removesuffix("/1").removesuffix("/2"))
    if match is None:
        raise ValueError(f"not a simulated read name: {name!r}")
    out = match.groupdict()
    for key in ("index", "start", "end", "copy"):
        out[key] = int(out[key])
    return out
