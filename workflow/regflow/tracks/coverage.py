"""Binned, CPM-normalised signal from fragments: pure numpy, no file I/O.

Fragments are 0-based half-open intervals ``[start, end)`` on one chromosome, each with a
``count`` (weight; 1 per fragment unless a fragments file says otherwise). Three modes turn them
into a per-base event track, and binning turns that into one value per bin:

``cutsites``
    ATAC-seq Tn5 insertions. Fragments are already Tn5-shifted, so their two ends are the
    insertion sites: each fragment adds ``count`` at base ``start`` and ``count`` at base
    ``end - 1``. A bin's value is the number of insertions whose base lies in the bin.
``midpoints``
    MNase-seq fragment midpoints (nucleosome dyads): each fragment adds ``count`` at base
    ``(start + end) // 2`` (floor). A bin's value is the number of midpoints in the bin.
``coverage``
    Each fragment covers every base of ``[start, end)``. A bin's value is the number of fragments
    that overlap the bin by at least one base (any overlap; a fragment spanning several bins adds
    ``count`` to each of them). With ``bin_size == 1`` this is per-base coverage.

This ``coverage`` definition is deeptools' (3.5.6, ``countReadsPerBin.get_coverage_of_region``):
``bamCoverage --binSize B --normalizeUsing CPM --extendReads`` on paired-end alignments counts,
per bin, every read whose fragment overlaps the bin and divides by the number of mapped reads;
both mates of a pair count, so for a BAM holding both mates of every pair this is the number of
overlapping fragments per million fragments, which is what :func:`cpm_signal` computes. Bins tile
each chromosome from 0; the last bin is truncated at the chromosome end.

Bins are ``[i * bin_size, (i + 1) * bin_size)``; every mode's value is a *sum* over the bin (not a
mean over its bases), so a track's values do not depend on how the bin is placed inside a
fragment. Optional smoothing (:func:`smooth_signal`) then convolves the binned signal with a
normalised Gaussian or boxcar kernel.

Normalisation (CPM): every value is multiplied by ``1e6 / N`` where ``N`` is the total ``count``
of the fragments that pass the length filter (all chromosomes, all inputs). For ``cutsites`` this
is per million *fragments* (not insertions): each fragment contributes two insertions, so a
track's values sum to 2e6 (before smoothing edge losses).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Mode = Literal["cutsites", "midpoints", "coverage"]
Kernel = Literal["gaussian", "boxcar"]
MODES: tuple[str, ...] = ("cutsites", "midpoints", "coverage")
KERNELS: tuple[str, ...] = ("gaussian", "boxcar")

#: Gaussian kernels are truncated at this many standard deviations on each side.
GAUSSIAN_TRUNCATE = 4.0
#: Kernels longer than this are applied with FFT overlap-add instead of direct convolution.
_DIRECT_MAX_TAPS = 65


def n_bins(chrom_length: int, bin_size: int) -> int:
    """Number of bins tiling a chromosome (the last one may be shorter than ``bin_size``)."""
    return -(-int(chrom_length) // int(bin_size))


def length_mask(
    starts: ArrayLike, ends: ArrayLike, min_length: int = 0, max_length: int | None = None
) -> NDArray[np.bool_]:
    """Fragments whose length ``end - start`` lies in ``[min_length, max_length]`` (inclusive).

    Parameters
    ----------
    starts, ends
        Fragment coordinates, shape ``(n,)``.
    min_length, max_length
        Inclusive bounds in bp; ``max_length=None`` means no upper bound. Inclusive on both sides
        as deeptools' ``--minFragmentLength``/``--maxFragmentLength``.

    Returns
    -------
    numpy.ndarray
        Boolean mask, shape ``(n,)``.
    """
    lengths = np.asarray(ends, dtype=np.int64) - np.asarray(starts, dtype=np.int64)
    keep = lengths >= min_length
    if max_length is not None:
        keep &= lengths <= max_length
    return keep


def cpm_scale(n_fragments: float) -> float:
    """The CPM factor ``1e6 / n_fragments`` (``n_fragments`` = total count after filtering)."""
    if n_fragments <= 0:
        raise ValueError("CPM needs at least one fragment")
    return 1e6 / float(n_fragments)


class BinnedSignal:
    """One chromosome's binned signal, accumulated from batches of fragments.

    Owns its buffer, so fragments can be streamed in bounded batches; :meth:`values` returns the
    signal (a new array) at any point.

    Parameters
    ----------
    chrom_length
        Chromosome length in bp.
    bin_size
        Bin width in bp (>= 1).
    mode
        ``"cutsites"``, ``"midpoints"`` or ``"coverage"`` (see the module docstring).
    """

    def __init__(self, chrom_length: int, bin_size: int, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if bin_size < 1:
            raise ValueError(f"bin_size must be >= 1, got {bin_size}")
        if chrom_length < 0:
            raise ValueError(f"chrom_length must be >= 0, got {chrom_length}")
        self.chrom_length = int(chrom_length)
        self.bin_size = int(bin_size)
        self.mode = mode
        self.n_bins = n_bins(chrom_length, bin_size)
        # coverage keeps a difference array (one extra slot for the end of the last bin)
        size = self.n_bins + 1 if mode == "coverage" else self.n_bins
        self._buffer = np.zeros(size, dtype=np.float64)

    def add(self, starts: ArrayLike, ends: ArrayLike, counts: ArrayLike | None = None) -> None:
        """Add fragments ``[start, end)`` with weights ``counts`` (default 1), shapes ``(n,)``.

        Raises
        ------
        ValueError
            If a fragment is empty (``end <= start``) or falls outside ``[0, chrom_length]``.
        """
        starts = np.asarray(starts, dtype=np.int64)
        ends = np.asarray(ends, dtype=np.int64)
        if starts.shape != ends.shape or starts.ndim != 1:
            raise ValueError("starts and ends must be 1-D arrays of the same length")
        if counts is None:
            weights = np.ones(starts.shape, dtype=np.float64)
        else:
            weights = np.asarray(counts, dtype=np.float64)
            if weights.shape != starts.shape:
                raise ValueError("counts must have the same length as starts")
        if starts.size == 0:
            return
        bad = (starts < 0) | (ends > self.chrom_length) | (ends <= starts)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"fragment [{starts[i]}, {ends[i]}) is empty or outside the chromosome "
                f"[0, {self.chrom_length})"
            )
        b = self.bin_size
        if self.mode == "cutsites":
            np.add.at(self._buffer, starts // b, weights)
            np.add.at(self._buffer, (ends - 1) // b, weights)
        elif self.mode == "midpoints":
            np.add.at(self._buffer, ((starts + ends) // 2) // b, weights)
        else:
            # bins [start // b, ceil(end / b)) overlap the fragment; ends <= chrom_length keeps
            # the exclusive end index <= n_bins
            np.add.at(self._buffer, starts // b, weights)
            np.add.at(self._buffer, -(-ends // b), -weights)

    def values(self) -> NDArray[np.float64]:
        """The binned signal, shape ``(n_bins,)``, float64 (a new array)."""
        if self.mode == "coverage":
            return np.cumsum(self._buffer[:-1])
        return self._buffer.copy()


def binned_signal(
    starts: ArrayLike,
    ends: ArrayLike,
    counts: ArrayLike | None,
    chrom_length: int,
    bin_size: int,
    mode: Mode,
) -> NDArray[np.float64]:
    """Raw (unnormalised, unsmoothed) binned signal of one chromosome's fragments.

    Parameters
    ----------
    starts, ends, counts
        Fragments ``[start, end)`` and their weights, shape ``(n,)``; ``counts=None`` means 1.
    chrom_length, bin_size, mode
        As :class:`BinnedSignal`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_bins(chrom_length, bin_size),)``, float64.
    """
    acc = BinnedSignal(chrom_length, bin_size, mode)
    acc.add(starts, ends, counts)
    return acc.values()


def smoothing_kernel(
    bin_size: int, smooth: int, kernel: Kernel = "gaussian"
) -> NDArray[np.float64]:
    """The normalised (sum 1), symmetric, odd-length kernel in bins.

    ``gaussian``: standard deviation ``smooth`` bp (``smooth / bin_size`` bins), truncated at
    ``GAUSSIAN_TRUNCATE`` standard deviations, i.e. ``2 * ceil(4 * smooth / bin_size) + 1`` taps.
    ``boxcar``: the mean over ``2h + 1`` bins centred on the bin, ``h = smooth // (2 * bin_size)``
    (a window of about ``smooth`` bp, rounded up to an odd number of bins). ``smooth == 0`` gives
    the identity kernel ``[1.0]``.
    """
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    if smooth == 0:
        return np.ones(1)
    if kernel == "boxcar":
        h = smooth // (2 * bin_size)
        return np.full(2 * h + 1, 1.0 / (2 * h + 1))
    sigma = smooth / bin_size
    h = int(np.ceil(GAUSSIAN_TRUNCATE * sigma))
    x = np.arange(-h, h + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _convolve_same(x: NDArray[np.float64], k: NDArray[np.float64]) -> NDArray[np.float64]:
    """Centred convolution of ``x`` (shape ``(n,)``) with odd-length ``k``, shape ``(n,)``.

    Direct for short kernels, FFT overlap-add for long ones.
    """
    h = k.size // 2
    if k.size <= _DIRECT_MAX_TAPS or x.size <= k.size:
        return np.convolve(x, k, mode="full")[h : h + x.size]
    nfft = 1 << int(np.ceil(np.log2(8 * k.size)))
    step = nfft - k.size + 1  # input samples per block
    kf = np.fft.rfft(k, nfft)
    full = np.zeros(x.size + k.size - 1)
    for s in range(0, x.size, step):
        block = x[s : s + step]
        y = np.fft.irfft(np.fft.rfft(block, nfft) * kf, nfft)[: block.size + k.size - 1]
        full[s : s + y.size] += y
    return full[h : h + x.size]


def smooth_signal(
    signal: ArrayLike, bin_size: int, smooth: int, kernel: Kernel = "gaussian"
) -> NDArray[np.float64]:
    """Smooth a binned signal with :func:`smoothing_kernel`; returns a new array.

    Signal beyond the chromosome ends counts as zero, so interior mass is preserved and edges
    lose the part of the kernel that falls off the chromosome. Bins farther than the kernel's
    half-width from any non-zero bin stay exactly 0 (FFT round-off is removed), and values are
    clipped at 0 for non-negative input.

    Parameters
    ----------
    signal
        Binned signal, shape ``(n_bins,)``.
    bin_size, smooth, kernel
        As :func:`smoothing_kernel`; ``smooth`` in bp.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_bins,)``, float64.
    """
    x = np.asarray(signal, dtype=np.float64)
    k = smoothing_kernel(bin_size, smooth, kernel)
    if k.size == 1 or x.size == 0:
        return x.copy()
    h = k.size // 2
    if kernel == "boxcar":
        # running sum via cumsum: O(n) whatever the window, exact for integer-valued signal
        c = np.concatenate([[0.0], np.cumsum(np.pad(x, (h, h)))])
        y = (c[k.size :] - c[: -k.size]) / k.size
    else:
        y = _convolve_same(x, k)
    # bins with no non-zero bin within the half-width are exactly 0 (no round-off residue)
    nz = np.concatenate([[0], np.cumsum(np.pad(x != 0, (h, h)), dtype=np.int64)])
    y[(nz[k.size :] - nz[: -k.size]) == 0] = 0.0
    if (x >= 0).all():
        np.maximum(y, 0.0, out=y)
    return y


def cpm_signal(
    chroms: ArrayLike,
    starts: ArrayLike,
    ends: ArrayLike,
    counts: ArrayLike | None,
    chrom_lengths: Sequence[int],
    mode: Mode,
    bin_size: int,
    smooth: int = 0,
    kernel: Kernel = "gaussian",
    min_length: int = 0,
    max_length: int | None = None,
) -> tuple[list[NDArray[np.float64]], float]:
    """CPM-normalised binned signal of every chromosome from one table of fragments.

    Parameters
    ----------
    chroms
        Chromosome index of each fragment into ``chrom_lengths``, shape ``(n,)``.
    starts, ends, counts
        Fragments ``[start, end)`` and weights, shape ``(n,)``; ``counts=None`` means 1.
    chrom_lengths
        Length of each chromosome, shape ``(n_chroms,)``.
    mode, bin_size
        See the module docstring.
    smooth, kernel
        Smoothing in bp (0 = none); see :func:`smoothing_kernel`.
    min_length, max_length
        Length filter, inclusive (see :func:`length_mask`); applied before counting and binning.

    Returns
    -------
    signals : list of numpy.ndarray
        One array per chromosome, shape ``(n_bins(chrom_lengths[c], bin_size),)``, float64.
    n_fragments : float
        Total count of the fragments that passed the length filter (the CPM denominator).

    Raises
    ------
    ValueError
        If no fragment passes the filter, or a fragment lies outside its chromosome.
    """
    chroms = np.asarray(chroms, dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    weights = (
        np.ones(starts.shape, dtype=np.float64)
        if counts is None
        else np.asarray(counts, dtype=np.float64)
    )
    if not chroms.shape == starts.shape == ends.shape == weights.shape:
        raise ValueError("chroms, starts, ends and counts must have the same shape")
    if chroms.size and (chroms.min() < 0 or chroms.max() >= len(chrom_lengths)):
        raise ValueError("a chromosome index is outside chrom_lengths")
    keep = length_mask(starts, ends, min_length, max_length)
    n_fragments = float(weights[keep].sum())
    scale = cpm_scale(n_fragments)
    signals = []
    for c, length in enumerate(chrom_lengths):
        on = keep & (chroms == c)
        raw = binned_signal(starts[on], ends[on], weights[on], length, bin_size, mode)
        signals.append(smooth_signal(raw, bin_size, smooth, kernel) * scale)
    return signals, n_fragments
