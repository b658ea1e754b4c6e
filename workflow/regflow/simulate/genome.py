"""Random genome with block-wise GC variation, CpG depletion and a few repeat families.

Sequences are ``uint8`` arrays of base codes 0-3 for A, C, G, T (complement = 3 - code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
CODE_OF_ASCII = np.full(256, 255, dtype=np.uint8)
CODE_OF_ASCII[BASES] = np.arange(4, dtype=np.uint8)
CODE_OF_ASCII[np.frombuffer(b"acgt", dtype=np.uint8)] = np.arange(4, dtype=np.uint8)


@dataclass(frozen=True)
class Genome:
    """Chromosomes concatenated into one code array, with their names and offsets."""

    names: tuple[str, ...]
    lengths: tuple[int, ...]
    codes: np.ndarray  # (sum(lengths),) uint8 base codes

    @property
    def offsets(self) -> np.ndarray:
        """Start of each chromosome in ``codes``, shape (n_chrom,)."""
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def chrom(self, name: str) -> np.ndarray:
        """The code array of one chromosome (a view)."""
        i = self.names.index(name)
        start = int(self.offsets[i])
        return self.codes[start : start + self.lengths[i]]


def random_sequence(
    rng: np.random.Generator,
    length: int,
    gc: float,
    block_size: int,
    block_sd: float,
    cpg_depletion: float,
) -> np.ndarray:
    """One chromosome's codes: GC drawn per block around ``gc``, CpGs partly mutated to TpG/CpA.

    CpG depletion mimics methylation-driven deamination in vertebrate and many other genomes.
    """
    n_blocks = -(-length // block_size)
    block_gc = np.clip(rng.normal(gc, block_sd, n_blocks), 0.2, 0.8)
    p_gc = np.repeat(block_gc, block_size)[:length]
    is_gc = rng.random(length) < p_gc
    upper = rng.random(length) < 0.5  # C/G or A/T chosen with equal odds
    codes = np.where(is_gc, np.where(upper, 1, 2), np.where(upper, 0, 3)).astype(np.uint8)
    cpg = np.flatnonzero((codes[:-1] == 1) & (codes[1:] == 2))
    hit = cpg[rng.random(cpg.size) < cpg_depletion]
    to_tpg = rng.random(hit.size) < 0.5
    codes[hit[to_tpg]] = 3  # CG -> TG
    codes[hit[~to_tpg] + 1] = 0  # CG -> CA
    return codes


def plant_repeats(
    rng: np.random.Generator,
    codes: np.ndarray,
    families: int,
    copies: int,
    min_length: int,
    max_length: int,
    divergence: float,
) -> list[tuple[int, int, int]]:
    """Overwrite ``codes`` in place with diverged copies of random repeat elements.

    Returns (family, start, end) of every copy, so multi-mapping regions are known truth.
    """
    placed: list[tuple[int, int, int]] = []
    for family in range(families):
        length = int(rng.integers(min_length, max_length + 1))
        if length >= codes.size:
            continue
        element = rng.integers(0, 4, length, dtype=np.uint8)
        for _ in range(copies):
            start = int(rng.integers(0, codes.size - length))
            copy = element.copy()
            mutate = rng.random(length) < divergence
            copy[mutate] = (copy[mutate] + rng.integers(1, 4, mutate.sum())) % 4
            codes[start : start + length] = copy
            placed.append((family, start, start + length))
    return placed


def decode(codes: np.ndarray) -> bytes:
    """Base codes to ASCII bytes."""
    return BASES[codes].tobytes()


def encode(sequence: bytes | str) -> np.ndarray:
    """ASCII bases (ACGT, either case) to codes; anything else raises ``ValueError``."""
    raw = np.frombuffer(sequence.encode() if isinstance(sequence, str) else sequence, np.uint8)
    codes = CODE_OF_ASCII[raw]
    if (codes == 255).any():
        raise ValueError("sequence holds characters other than A, C, G, T")
    return codes


def write_fasta(genome: Genome, fasta: Path, line_width: int = 60) -> None:
    """Write the genome as FASTA and its samtools-style ``.fai`` index beside it."""
    fai_rows = []
    with open(fasta, "wb") as handle:
        for name, length, offset in zip(genome.names, genome.lengths, genome.offsets, strict=True):
            header = f">{name}\n".encode()
            handle.write(header)
            seq_start = handle.tell()
            seq = decode(genome.codes[offset : offset + length])
            lines = [seq[i : i + line_width] for i in range(0, length, line_width)]
            handle.write(b"\n".join(lines) + b"\n")
            fai_rows.append(f"{name}\t{length}\t{seq_start}\t{line_width}\t{line_width + 1}\n")
    Path(f"{fasta}.fai").write_text("".join(fai_rows))


def read_fasta(fasta: Path) -> Genome:
    """Read a FASTA written by :func:`write_fasta` (or any plain ACGT FASTA)."""
    names, chunks = [], []
    current: list[bytes] = []
    with open(fasta, "rb") as handle:
        for line in handle:
            if line.startswith(b">"):
                if names:
                    chunks.append(b"".join(current))
                names.append(line[1:].split()[0].decode())
                current = []
            else:
                current.append(line.strip())
    if names:
        chunks.append(b"".join(current))
    try:
        arrays = [encode(c) for c in chunks]
    except ValueError as err:
        raise ValueError(f"{fasta}: {err}") from None
    return Genome(tuple(names), tuple(a.size for a in arrays), np.concatenate(arrays))
