"""``regflow bigwig``: CPM-normalised bigWig tracks from fragments files or BAMs.

Each input is read once, one chromosome at a time (fragments files sequentially in blocks of
:data:`BLOCK_BYTES`, BAMs per chromosome through the index in batches of :data:`BATCH_SIZE`), so
memory is one chromosome's bins plus one batch, plus the finished chromosomes' signal kept as
runs of equal bins (the CPM factor is known only once every input has been read). The signal
definitions (modes, binning, smoothing, CPM) live in :mod:`regflow.tracks.coverage`.

Inputs
------
``--fragments``
    TSV ``chrom, start, end[, name[, count]]``, 0-based half-open, bgzipped (and usually
    tabix-indexed; the index is not used), gzipped or plain; a missing count column means 1 per
    line. Lines of one chromosome must be contiguous (as in any coordinate-sorted file).
``--bam``
    coordinate-sorted, indexed BAM. Reads that are unmapped, secondary, supplementary,
    QC-failed or duplicate-flagged are skipped. A paired read gives a fragment only if it is a
    proper pair (flag 0x2) with positive TLEN: ``[reference_start, reference_start + TLEN)``, so
    each pair counts once; improper pairs and the negative-TLEN mate are skipped. A single-end
    read gives its aligned span ``[reference_start, reference_end)``.

Several inputs of one kind are summed (e.g. the replicates of one condition) and normalised by
their combined fragment count.

Output
------
A bigWig whose header lists the chromosomes of ``--chrom-sizes`` in file order; one
bedGraph-like float32 entry per run of equal consecutive bins (bins of value 0 are not written,
so they read back as "no data"). The file is written to a temporary name next to the output and
renamed when complete.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from regflow.errors import RegflowError
from regflow.io import atomic_output
from regflow.tracks.coverage import (
    KERNELS,
    MODES,
    BinnedSignal,
    Kernel,
    Mode,
    cpm_scale,
    length_mask,
    n_bins,
    smooth_signal,
)

#: Scaling of the written values: counts per million fragments, or the raw counts.
NORMALISATIONS: tuple[str, ...] = ("cpm", "none")

#: BAM fragments binned per batch.
BATCH_SIZE = 1_000_000
#: Decompressed bytes of a fragments file parsed per block (about 600,000 lines).
BLOCK_BYTES = 16 * 2**20
#: Entries handed to pyBigWig per ``addEntries`` call.
WRITE_BATCH = 1_000_000
#: BAM flags that drop a read: unmapped, secondary, QC-fail, duplicate, supplementary.
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800

Batch = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]


@dataclass(frozen=True)
class TrackSpec:
    """What signal to compute: mode, bins, smoothing and the fragment-length filter."""

    mode: Mode
    bin_size: int
    smooth: int = 0
    kernel: Kernel = "gaussian"
    min_length: int = 0
    max_length: int | None = None
    normalise: str = "cpm"

    def __post_init__(self) -> None:
        if self.normalise not in NORMALISATIONS:
            raise RegflowError(
                f"--normalise must be one of {', '.join(NORMALISATIONS)}, got {self.normalise!r}"
            )
        if self.mode not in MODES:
            raise RegflowError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.kernel not in KERNELS:
            raise RegflowError(f"--smooth-kernel must be one of {', '.join(KERNELS)}")
        if self.bin_size < 1:
            raise RegflowError(f"--bin-size must be >= 1, got {self.bin_size}")
        if self.smooth < 0:
            raise RegflowError(f"--smooth must be >= 0, got {self.smooth}")
        if self.min_length < 0:
            raise RegflowError(f"--min-length must be >= 0, got {self.min_length}")
        if self.max_length is not None and self.max_length < max(self.min_length, 1):
            raise RegflowError(
                f"--max-length ({self.max_length}) must be >= 1 and >= --min-length "
                f"({self.min_length})"
            )


@dataclass(frozen=True)
class Runs:
    """One chromosome's unnormalised signal as runs of equal non-zero bins.

    ``starts``/``ends`` are bin indices (half-open), ``values`` the raw (un-normalised) signal;
    shapes ``(n_runs,)``.
    """

    starts: NDArray[np.integer]
    ends: NDArray[np.integer]
    values: NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# chrom sizes
# --------------------------------------------------------------------------------------------


def read_chrom_sizes(path: Path) -> dict[str, int]:
    """Read ``chrom<TAB>length`` lines (extra columns ignored) into an ordered dict."""
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise RegflowError(f"cannot read chrom sizes {path}: {err.strerror}") from None
    sizes: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r").split("\t")
        if len(fields) < 2:
            raise RegflowError(f"{path} line {lineno}: expected chrom<TAB>length, got {line!r}")
        chrom, length = fields[0], fields[1]
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n <= 0:
            raise RegflowError(f"{path} line {lineno}: length of {chrom} is not a positive integer")
        if chrom in sizes:
            raise RegflowError(f"{path} line {lineno}: chromosome {chrom} listed twice")
        sizes[chrom] = n
    if not sizes:
        raise RegflowError(f"{path}: no chromosomes")
    return sizes


# --------------------------------------------------------------------------------------------
# fragment sources: chromosome blocks, in file order, in bounded batches
# --------------------------------------------------------------------------------------------


class FragmentsFile:
    """A fragments TSV (bgzipped, gzipped or plain), grouped by chromosome as tabix requires.

    Read sequentially in blocks of :data:`BLOCK_BYTES` and parsed with pandas' C parser (about
    twice as fast as iterating tabix lines); the tabix index is not needed. Leading ``#``,
    ``track`` and ``browser`` lines are skipped.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RegflowError(f"fragments file {self.path} does not exist")
        with open(self.path, "rb") as fh:
            self._gzipped = fh.read(2) == b"\x1f\x8b"

    def chrom_batches(self) -> Iterator[tuple[str, Batch]]:
        """Yield ``(chrom, (starts, ends, counts))`` in file order, arrays of shape ``(n,)``."""
        import gzip
        import zlib

        opener = gzip.open if self._gzipped else open
        leftover = b""
        header = True
        try:
            with opener(self.path, "rb") as fh:
                while True:
                    data = fh.read(BLOCK_BYTES)
                    buf = leftover + data
                    cut = len(buf) if not data else buf.rfind(b"\n") + 1
                    block, leftover = buf[:cut], buf[cut:]
                    if header:
                        block, header = _skip_header(block)
                    if block and not block.isspace():
                        yield from self._parse(block)
                    if not data:
                        break
        except (OSError, EOFError, zlib.error) as err:
            raise RegflowError(f"cannot read fragments file {self.path}: {err}") from None

    def _parse(self, block: bytes) -> Iterator[tuple[str, Batch]]:
        import pandas as pd

        first = block[: block.find(b"\n")]
        n_cols = first.count(b"\t") + 1
        if n_cols < 3:
            raise RegflowError(
                f"{self.path}: expected tab-separated chrom, start, end[, name[, count]], "
                f"got {first[:80]!r}"
            )
        usecols = [0, 1, 2, 4] if n_cols >= 5 else [0, 1, 2]
        try:
            table = pd.read_csv(
                io.BytesIO(block),
                sep="\t",
                header=None,
                usecols=usecols,
                dtype={0: "category", 1: np.int64, 2: np.int64, 4: np.float64},
                quoting=3,
                engine="c",
            )
        except (ValueError, pd.errors.ParserError) as err:
            raise RegflowError(
                f"{self.path}: malformed line (expected chrom, start, end[, name[, count]] with "
                f"integer coordinates and a numeric count, the same columns on every line): {err}"
            ) from None
        codes = table[0].cat.codes.to_numpy()
        names = table[0].cat.categories
        starts = table[1].to_numpy(np.int64)
        ends = table[2].to_numpy(np.int64)
        if n_cols >= 5:
            counts = table[4].to_numpy(np.float64)
            if np.isnan(counts).any() or (counts < 0).any():
                raise RegflowError(f"{self.path}: count (column 5) must be a non-negative number")
        else:
            counts = np.ones(starts.shape, dtype=np.float64)
        edges = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1, [codes.size]])
        for i, j in zip(edges[:-1], edges[1:], strict=True):
            yield str(names[codes[i]]), (starts[i:j], ends[i:j], counts[i:j])


def _skip_header(block: bytes) -> tuple[bytes, bool]:
    """Drop leading ``#``/``track``/``browser`` lines; also say whether more may follow."""
    pos = 0
    while pos < len(block) and block.startswith((b"#", b"track", b"browser"), pos):
        nl = block.find(b"\n", pos)
        if nl < 0:
            return b"", True
        pos = nl + 1
    return block[pos:], pos == len(block)


class BamFile:
    """A coordinate-sorted, indexed BAM; one fragment per proper pair or single-end read."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import pysam

        self.path = Path(path)
        if not self.path.is_file():
            raise RegflowError(f"BAM {self.path} does not exist")
        try:
            self._bam = pysam.AlignmentFile(str(self.path), "rb", threads=threads)
        except (OSError, ValueError) as err:
            raise RegflowError(f"cannot open {self.path} as a BAM: {err}") from None
        if not self._bam.has_index():
            raise RegflowError(
                f"BAM {self.path} has no index; create it with `samtools index {self.path}`"
            )
        self.contigs = [s.contig for s in self._bam.get_index_statistics() if s.mapped > 0]

    def check(self, chrom_sizes: dict[str, int], sizes_path: Path) -> None:
        """Chromosomes with reads must be in the chrom sizes, with the same length."""
        for chrom in self.contigs:
            if chrom not in chrom_sizes:
                raise RegflowError(
                    f"{self.path}: chromosome {chrom} is not in the chrom sizes file {sizes_path}"
                )
            length = self._bam.get_reference_length(chrom)
            if length != chrom_sizes[chrom]:
                raise RegflowError(
                    f"{self.path}: chromosome {chrom} has length {length} in the BAM header "
                    f"but {chrom_sizes[chrom]} in {sizes_path}"
                )

    def chrom_batches(self) -> Iterator[tuple[str, Batch]]:
        """Yield ``(chrom, (starts, ends, counts))`` per chromosome in batches, shapes ``(n,)``."""
        for chrom in self.contigs:
            for batch in self.batches(chrom):
                yield chrom, batch

    def batches(self, chrom: str) -> Iterator[Batch]:
        """Yield ``(starts, ends, counts)`` for the fragments on ``chrom``, shapes ``(n,)``."""
        starts: array = array("q")
        ends: array = array("q")
        add_start, add_end = starts.append, ends.append  # the loop runs once per read
        for read in self._bam.fetch(chrom):
            flag = read.flag
            if flag & _SKIP_FLAGS:
                continue
            if flag & 0x1:
                tlen = read.template_length
                if not flag & 0x2 or tlen <= 0:
                    continue
                start = read.reference_start
                add_start(start)
                add_end(start + tlen)
            else:
                add_start(read.reference_start)
                add_end(read.reference_end)
            if len(starts) == BATCH_SIZE:
                yield _batch(starts, ends)
                starts, ends = array("q"), array("q")
                add_start, add_end = starts.append, ends.append
        if starts:
            yield _batch(starts, ends)


def _batch(starts: array, ends: array) -> Batch:
    s = np.frombuffer(starts, dtype=np.int64)
    return s, np.frombuffer(ends, dtype=np.int64), np.ones(s.shape, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# signal and writing
# --------------------------------------------------------------------------------------------


def _runs(values: NDArray[np.float64]) -> Runs:
    """Runs of equal consecutive bins of ``values`` (shape ``(n_bins,)``), zero runs dropped."""
    n = values.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Runs(empty, empty, np.zeros(0))
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [n]])
    vals = values[starts]
    keep = vals != 0
    index = np.int32 if n < 2**31 else np.int64
    return Runs(starts[keep].astype(index), ends[keep].astype(index), vals[keep])


def _dense(parts: list[Runs], size: int) -> NDArray[np.float64]:
    """Sum of run-length encoded signals as one array of shape ``(size,)``."""
    out = np.zeros(size)
    for r in parts:
        lens = (r.ends - r.starts).astype(np.int64)
        offsets = np.repeat(r.starts.astype(np.int64) - np.cumsum(lens) + lens, lens)
        out[offsets + np.arange(lens.sum())] += np.repeat(r.values, lens)
    return out


def compute_runs(
    sources: list[FragmentsFile] | list[BamFile],
    chrom_sizes: dict[str, int],
    spec: TrackSpec,
    sizes_path: Path | str = "--chrom-sizes",
) -> tuple[dict[str, Runs], float]:
    """Signal of every chromosome as runs, and the total fragment count after filtering.

    Each source is read once, one chromosome block at a time (one chromosome's bins in memory);
    each block's raw signal is kept run-length encoded. Then, per chromosome, the sources are
    summed, smoothed and run-length encoded again. Values are not yet CPM-scaled.
    """
    return compute_runs_per_spec(sources, chrom_sizes, [spec], sizes_path)[0]


def compute_runs_per_spec(
    sources: list[FragmentsFile] | list[BamFile],
    chrom_sizes: dict[str, int],
    specs: list[TrackSpec],
    sizes_path: Path | str = "--chrom-sizes",
) -> list[tuple[dict[str, Runs], float]]:
    """:func:`compute_runs` of each of ``specs`` (e.g. fragment-length classes) from one read
    of the sources: ``(runs, total)`` per spec, in order."""
    raw: list[dict[str, list[Runs]]] = [{} for _ in specs]
    totals = [0.0] * len(specs)
    for source in sources:
        done: set[str] = set()
        chrom: str | None = None
        accs: list[BinnedSignal] = []
        for name, (starts, ends, counts) in source.chrom_batches():
            if name != chrom:
                _flush(raw, chrom, accs)
                if name in done:
                    raise RegflowError(
                        f"{source.path}: lines of chromosome {name} are not contiguous; sort by "
                        "chromosome, then start (as tabix requires)"
                    )
                if name not in chrom_sizes:
                    raise RegflowError(
                        f"{source.path}: chromosome {name} is not in the chrom sizes file "
                        f"{sizes_path}"
                    )
                done.add(name)
                chrom = name
                accs = [BinnedSignal(chrom_sizes[name], sp.bin_size, sp.mode) for sp in specs]
            for k, (spec, acc) in enumerate(zip(specs, accs, strict=True)):
                keep = length_mask(starts, ends, spec.min_length, spec.max_length)
                s, e, c = (
                    (starts, ends, counts)
                    if keep.all()
                    else (starts[keep], ends[keep], counts[keep])
                )
                try:
                    acc.add(s, e, c)
                except ValueError as err:
                    raise RegflowError(
                        f"{source.path}: {name}: {err}; does {sizes_path} match the genome "
                        "these fragments come from?"
                    ) from None
                totals[k] += float(c.sum())
        _flush(raw, chrom, accs)
    return [
        (_sum_smooth(r, chrom_sizes, spec), total)
        for r, spec, total in zip(raw, specs, totals, strict=True)
    ]


def _flush(raw: list[dict[str, list[Runs]]], chrom: str | None, accs: list) -> None:
    """Keep each spec's finished chromosome block as runs (nothing before the first block)."""
    if accs:
        for r, acc in zip(raw, accs, strict=True):
            r.setdefault(chrom, []).append(_runs(acc.values()))


def _sum_smooth(
    raw: dict[str, list[Runs]], chrom_sizes: dict[str, int], spec: TrackSpec
) -> dict[str, Runs]:
    """Per chromosome, the sources' runs summed and smoothed, as runs again."""
    runs: dict[str, Runs] = {}
    for chrom, length in chrom_sizes.items():
        parts = [r for r in raw.pop(chrom, []) if r.values.size]
        if not parts:
            continue
        if len(parts) == 1 and spec.smooth == 0:
            runs[chrom] = parts[0]
            continue
        values = _dense(parts, n_bins(length, spec.bin_size))
        values = smooth_signal(values, spec.bin_size, spec.smooth, spec.kernel)
        runs[chrom] = _runs(values)
    return runs


def _merge_equal(
    starts: NDArray[np.int64], ends: NDArray[np.int64], values: NDArray[np.float32]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float32]]:
    """Merge adjacent, contiguous entries whose float32 values are equal."""
    if values.size < 2:
        return starts, ends, values
    same = (values[1:] == values[:-1]) & (starts[1:] == ends[:-1])
    if not same.any():
        return starts, ends, values
    first = np.concatenate([[True], ~same])
    last = np.concatenate([~same, [True]])
    return starts[first], ends[last], values[first]


def write_bigwig(
    path: Path, chrom_sizes: dict[str, int], runs: dict[str, Runs], bin_size: int, scale: float
) -> int:
    """Write ``runs`` scaled by ``scale`` as float32 bigWig entries; return the entry count.

    The header lists ``chrom_sizes`` in order; the last bin of a chromosome is truncated at its
    end. Writes to ``path`` directly: see :func:`make_bigwig` for the atomic version.
    """
    import pyBigWig

    bw = pyBigWig.open(str(path), "w")
    if bw is None:
        raise RegflowError(f"cannot open {path} for writing")
    n_entries = 0
    try:
        bw.addHeader(list(chrom_sizes.items()), maxZooms=10)
        for chrom, length in chrom_sizes.items():
            if chrom not in runs:
                continue
            r = runs[chrom]
            starts = r.starts.astype(np.int64) * bin_size
            ends = np.minimum(r.ends.astype(np.int64) * bin_size, length)
            values = (r.values * scale).astype(np.float32)
            nonzero = values != 0
            starts, ends, values = _merge_equal(starts[nonzero], ends[nonzero], values[nonzero])
            for i in range(0, values.size, WRITE_BATCH):
                j = min(i + WRITE_BATCH, values.size)
                bw.addEntries([chrom] * (j - i), starts[i:j], ends=ends[i:j], values=values[i:j])
            n_entries += values.size
    finally:
        bw.close()
    return n_entries


def make_bigwig(
    inputs: list[Path],
    kind: str,
    chrom_sizes_path: Path,
    spec: TrackSpec,
    output: Path,
    threads: int = 1,
) -> dict[str, float]:
    """Compute and atomically write one bigWig (CPM, or raw counts with ``spec.normalise ==
    "none"``); return a summary (fragments, scale, ...).

    Parameters
    ----------
    inputs
        Fragments files (``kind="fragments"``) or BAMs (``kind="bam"``); their signal is summed.
    chrom_sizes_path
        ``chrom<TAB>length`` file: the bigWig's header, in its order.
    spec
        Mode, bins, smoothing, length filter.
    output
        The bigWig; written under a temporary name in the same folder and renamed, so it exists
        only when complete.
    threads
        BAM decompression threads (pysam).
    """
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    if kind == "bam":
        sources = [BamFile(p, threads=threads) for p in inputs]
        for source in sources:
            source.check(chrom_sizes, chrom_sizes_path)
    else:
        sources = [FragmentsFile(p) for p in inputs]
    runs, total = compute_runs(sources, chrom_sizes, spec, chrom_sizes_path)
    if total <= 0:
        lengths = ""
        if spec.min_length > 0 or spec.max_length is not None:
            upper = "inf" if spec.max_length is None else spec.max_length
            lengths = f" with length in [{spec.min_length}, {upper}]"
        raise RegflowError(
            f"no fragments{lengths} in {', '.join(str(p) for p in inputs)} "
            f"on the chromosomes of {chrom_sizes_path}"
        )
    return _write_scaled(output, chrom_sizes, runs, total, spec)


def _write_scaled(
    output: Path, chrom_sizes: dict[str, int], runs: dict[str, Runs], total: float, spec: TrackSpec
) -> dict[str, float]:
    """Atomically write ``runs`` CPM-scaled (or raw, ``spec.normalise == "none"``); summary."""
    scale = cpm_scale(total) if spec.normalise == "cpm" else 1.0
    with atomic_output(output) as tmp:
        n_entries = write_bigwig(tmp, chrom_sizes, runs, spec.bin_size, scale)
    return {"fragments": total, "scale": scale, "entries": n_entries}


def make_size_class_bigwigs(
    fragments: Path,
    chrom_sizes_path: Path,
    spec: TrackSpec,
    classes: list[tuple[int, int, Path]],
) -> list[dict[str, float]]:
    """One bigWig per fragment-length class ``(min, max, output)``, lengths in ``[min, max)``,
    of one fragments file, read once for all classes: one job per sample, not one per class.

    Every class is computed before any is written, so a class without fragments fails the
    call with no bigWig written.
    """
    specs = []
    for lo, hi, output in classes:
        if hi <= lo:
            raise RegflowError(f"size class [{lo}, {hi}) for {output}: MAX must exceed MIN")
        specs.append(replace(spec, min_length=lo, max_length=hi - 1))  # TrackSpec: inclusive
    chrom_sizes = read_chrom_sizes(chrom_sizes_path)
    computed = compute_runs_per_spec(
        [FragmentsFile(fragments)], chrom_sizes, specs, chrom_sizes_path
    )
    for (lo, hi, output), (_, total) in zip(classes, computed, strict=True):
        if total <= 0:
            raise RegflowError(
                f"no fragments with length in [{lo}, {hi}) in {fragments} on the chromosomes "
                f"of {chrom_sizes_path} (for {output})"
            )
    return [
        _write_scaled(output, chrom_sizes, runs, total, spec)
        for (_, _, output), (runs, total) in zip(classes, computed, strict=True)
    ]


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def add_parser(subparsers) -> None:
    """Register ``regflow bigwig``."""
    parser = subparsers.add_parser(
        "bigwig",
        help="CPM-normalised bigWig from fragments files or BAMs",
        description=(
            "CPM-normalised bigWig (cut sites, midpoints or coverage) from fragments files "
            "(chrom, start, end[, name[, count]], bgzipped) or sorted, indexed BAMs; several "
            "inputs are summed and normalised by their combined fragment count."
        ),
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--fragments", nargs="+", type=Path, metavar="F", help="fragments TSV(.gz)")
    source.add_argument("--bam", nargs="+", type=Path, metavar="B", help="sorted, indexed BAM")
    parser.add_argument("--chrom-sizes", required=True, type=Path, help="chrom<TAB>length")
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--bin-size", required=True, type=int, help="bp per bin")
    parser.add_argument("--smooth", type=int, default=0, help="smoothing in bp (0 = none)")
    parser.add_argument(
        "--smooth-kernel",
        choices=KERNELS,
        default="gaussian",
        help="gaussian: sd = --smooth bp; boxcar: window of about --smooth bp",
    )
    parser.add_argument("--min-length", type=int, default=0, help="shortest fragment kept (bp)")
    parser.add_argument("--max-length", type=int, default=None, help="longest fragment kept (bp)")
    parser.add_argument(
        "--threads", type=int, default=1, help="BAM decompression threads (pysam; default 1)"
    )
    parser.add_argument(
        "--normalise",
        choices=NORMALISATIONS,
        default="cpm",
        help="cpm (default) or none: raw counts per bin (e.g. Tn5 insertions for ChromBPNet)",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--output", type=Path, help="the bigWig to write")
    target.add_argument(
        "--size-class",
        nargs=3,
        action="append",
        metavar=("MIN", "MAX", "OUTPUT"),
        help="instead of --output: a bigWig of the fragments with length in [MIN, MAX), as "
        "the config's reads.size_classes (repeat for more classes; one fragments file)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    """Run ``regflow bigwig``."""
    spec = TrackSpec(
        mode=args.mode,
        bin_size=args.bin_size,
        smooth=args.smooth,
        kernel=args.smooth_kernel,
        min_length=args.min_length,
        max_length=args.max_length,
        normalise=args.normalise,
    )
    kind = "bam" if args.bam else "fragments"
    inputs = args.bam if args.bam else args.fragments
    t0 = time.perf_counter()
    if args.size_class:
        _run_size_classes(args, spec, inputs, kind, t0)
        return
    summary = make_bigwig(
        inputs, kind, args.chrom_sizes, spec, args.output, threads=max(1, args.threads)
    )
    print(
        f"{args.output}: {args.mode}, bin {args.bin_size} bp, {summary['fragments']:,.0f} "
        f"fragments ({args.normalise} x {summary['scale']:.6g}), {summary['entries']:,} entries "
        f"in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )


def _run_size_classes(args, spec: TrackSpec, inputs, kind: str, t0: float) -> None:
    """``regflow bigwig --size-class MIN MAX OUTPUT ...``."""
    if kind != "fragments" or len(inputs) != 1:
        raise RegflowError("--size-class takes exactly one --fragments file")
    if args.min_length != 0 or args.max_length is not None:
        raise RegflowError("--size-class sets the lengths: drop --min-length/--max-length")
    classes = []
    for lo, hi, output in args.size_class:
        try:
            classes.append((int(lo), int(hi), Path(output)))
        except ValueError:
            raise RegflowError(
                f"--size-class {lo} {hi} {output}: MIN and MAX must be integers"
            ) from None
    summaries = make_size_class_bigwigs(inputs[0], args.chrom_sizes, spec, classes)
    for (lo, hi, output), summary in zip(classes, summaries, strict=True):
        print(
            f"{output}: {args.mode}, lengths [{lo}, {hi}), bin {args.bin_size} bp, "
            f"{summary['fragments']:,.0f} fragments ({args.normalise} x "
            f"{summary['scale']:.6g}), {summary['entries']:,} entries",
            file=sys.stderr,
        )
    print(f"{len(classes)} bigWigs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
