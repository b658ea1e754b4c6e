"""Mean fragment length of an RNA-seq library, for effective gene lengths.

Paired-end: the mean ``|TLEN|`` of read 1 of the first proper pairs in the BAM. Single-end
reads do not show their fragment, so a given mean is *assumed*, as salmon (``--fldMean``) and
RSEM (``--fragment-length-mean``) do for single-end libraries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam

from regflow.errors import RegflowError

#: Proper pairs read to estimate the mean (the BAM's first, in its order).
MAX_PAIRS = 200_000


def template_lengths(bam: Path, max_pairs: int = MAX_PAIRS) -> np.ndarray | None:
    """``|TLEN|`` of up to ``max_pairs`` proper pairs, or ``None`` for a single-end BAM.

    The BAM is paired-end when its first primary mapped read is paired.

    Returns
    -------
    numpy.ndarray or None
        Shape ``(n_pairs,)``, int64, one value per pair (read 1, primary, TLEN != 0).

    Raises
    ------
    RegflowError
        If the BAM is missing or unreadable, has no mapped reads, or is paired-end without
        a proper pair.
    """
    bam = Path(bam)
    if not bam.is_file():
        raise RegflowError(f"BAM {bam} does not exist")
    lengths: list[int] = []
    paired = None
    try:
        with pysam.AlignmentFile(str(bam), "rb") as handle:
            for read in handle.fetch(until_eof=True):
                if read.is_unmapped or read.is_secondary or read.is_supplementary:
                    continue
                if paired is None:
                    paired = read.is_paired
                    if not paired:
                        return None
                if read.is_proper_pair and read.is_read1 and read.template_length != 0:
                    lengths.append(abs(read.template_length))
                    if len(lengths) == max_pairs:
                        break
    except (OSError, ValueError) as err:
        raise RegflowError(f"BAM {bam} cannot be read: {err}") from None
    if paired is None:
        raise RegflowError(f"BAM {bam} has no mapped reads")
    if not lengths:
        raise RegflowError(f"BAM {bam} is paired-end but has no proper pairs")
    return np.asarray(lengths, dtype=np.int64)


def fragment_length(tlens: np.ndarray | None, default: float) -> dict:
    """The mean fragment length and where it comes from.

    Parameters
    ----------
    tlens
        Shape ``(n_pairs,)`` template lengths (:func:`template_lengths`), or ``None`` for a
        single-end library.
    default
        The mean assumed for a single-end library.

    Returns
    -------
    dict
        ``fragment_length_mean`` (float) and ``source``: ``"estimated"`` from the pairs or
        ``"assumed"`` (the default).
    """
    if tlens is None:
        return {"fragment_length_mean": float(default), "source": "assumed"}
    return {"fragment_length_mean": float(np.mean(tlens)), "source": "estimated"}
