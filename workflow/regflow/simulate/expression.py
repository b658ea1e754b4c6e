"""Gene expression from regulatory drive: molecules per gene and TPM per condition."""

from __future__ import annotations

import numpy as np


def expression_tpm(drive: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """TPM (n_genes, n_conditions): molecules ``2 ** (drive + noise)`` scaled to sum to 1e6.

    TPM counts transcripts, not bases, so each column is the share of molecules times 1e6.
    """
    molecules = np.exp2(drive + noise)
    return 1e6 * molecules / molecules.sum(axis=0, keepdims=True)
