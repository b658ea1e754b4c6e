"""TPM from gene counts and effective lengths.

A fragment of length ``f`` can start at ``L - f + 1`` positions of a transcript of length
``L``: that is the gene's *effective length* (floored at 1 so that genes shorter than the
mean fragment keep a finite rate), the form RSEM and salmon use when no fragment-length
distribution is modelled. salmon, which models the distribution, reports its own effective
lengths. TPM is the rate (count per effective base) scaled to sum to one million over the
genes of each sample.
"""

from __future__ import annotations

import numpy as np

#: Relative tolerance between a recomputed TPM and salmon's, beyond salmon's rounding.
TPM_RTOL = 1e-4
#: Genes with salmon TPM at most this are not compared.
TPM_COMPARED_ABOVE = 1e-3
#: salmon writes NumReads and EffectiveLength to 3 decimals (half a unit of rounding).
SALMON_ROUNDING = 5e-4


def effective_length(lengths: np.ndarray, fragment_length: np.ndarray) -> np.ndarray:
    """Effective gene lengths ``max(length - fragment_length + 1, 1)`` per sample.

    Parameters
    ----------
    lengths
        Shape ``(n_genes,)``: gene lengths in bases (union of exon bases).
    fragment_length
        Shape ``(n_samples,)``: each sample's mean fragment length.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes, n_samples)``, float64.
    """
    lengths = np.asarray(lengths, dtype=np.float64)[:, None]  # (n_genes, 1)
    fragment = np.asarray(fragment_length, dtype=np.float64)[None, :]  # (1, n_samples)
    return np.maximum(lengths - fragment + 1.0, 1.0)


def tpm_from_effective_lengths(counts: np.ndarray, effective_lengths: np.ndarray) -> np.ndarray:
    """Transcripts per million: ``1e6 * rate / sum(rate)`` with ``rate = count / eff. length``.

    Parameters
    ----------
    counts
        Shape ``(n_genes, n_samples)`` or ``(n_genes,)``: reads (or pairs, or salmon's
        estimated reads) per gene; every sample needs some, otherwise its TPM is undefined.
    effective_lengths
        Same shape: positive effective lengths.

    Returns
    -------
    numpy.ndarray
        Same shape, float64; every column sums to 1e6.
    """
    rate = np.asarray(counts, dtype=np.float64) / np.asarray(effective_lengths, dtype=np.float64)
    return 1e6 * rate / rate.sum(axis=0, keepdims=True)


def tpm(counts: np.ndarray, lengths: np.ndarray, fragment_length: np.ndarray) -> np.ndarray:
    """TPM with the effective lengths of :func:`effective_length`.

    Parameters
    ----------
    counts
        Shape ``(n_genes, n_samples)``: reads (or pairs) per gene.
    lengths
        Shape ``(n_genes,)``: gene lengths in bases.
    fragment_length
        Shape ``(n_samples,)``: each sample's mean fragment length.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes, n_samples)``, float64; every column sums to 1e6.
    """
    return tpm_from_effective_lengths(counts, effective_length(lengths, fragment_length))


def tpm_disagrees(
    counts: np.ndarray, effective_lengths: np.ndarray, reported: np.ndarray
) -> np.ndarray:
    """Genes whose TPM recomputed from salmon's NumReads and EffectiveLength differs from
    salmon's TPM beyond tolerance.

    salmon computes its TPM before rounding NumReads and EffectiveLength to 3 decimals, so the
    tolerance is :data:`TPM_RTOL` of the TPM plus what that rounding can change, ``scale *
    5e-4 * (1 + count / length) / length`` with ``scale = 1e6 / sum(count / length)``. Only
    genes with a reported TPM above :data:`TPM_COMPARED_ABOVE` are compared.

    Parameters
    ----------
    counts, effective_lengths, reported
        Shape ``(n_genes, n_samples)`` or ``(n_genes,)``: NumReads, EffectiveLength and TPM.

    Returns
    -------
    numpy.ndarray
        Boolean, same shape: ``True`` where they disagree.
    """
    reported = np.asarray(reported, dtype=np.float64)
    lengths = np.asarray(effective_lengths, dtype=np.float64)
    rate = np.asarray(counts, dtype=np.float64) / lengths
    scale = 1e6 / rate.sum(axis=0, keepdims=True)
    rounding = scale * SALMON_ROUNDING * (1.0 + rate) / lengths
    difference = np.abs(tpm_from_effective_lengths(counts, lengths) - reported)
    return (reported > TPM_COMPARED_ABOVE) & (difference > TPM_RTOL * reported + rounding)
