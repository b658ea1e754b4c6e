"""Marginal footprinting: what a sequence-to-profile model predicts for a motif on its own.

A motif's consensus is inserted at the centre of many background sequences and the model's
predictions with and without it are compared. Averaged over backgrounds, the difference is
the motif's marginal effect on the predicted profile and counts; ChromBPNet uses it to check
that a bias model learned the enzyme's preference (strong Tn5 footprints) and no TF motifs,
and that the bias-corrected model shows TF footprints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from torch import nn

from regflow.evaluate.profile import softmax_profile

Predictor = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def consensus(matrix: np.ndarray) -> np.ndarray:
    """One-hot consensus ``(w, 4)`` of a motif matrix ``(w, 4)`` (counts, frequencies or
    weights in ACGT order): the highest-scoring base per position, the first on ties."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[1] != 4 or m.shape[0] == 0:
        raise ValueError(f"expected a motif matrix of shape (w, 4), got {m.shape}")
    return np.eye(4, dtype=np.float32)[m.argmax(axis=1)]  # (w, 4)


def insert_motif(sequences: np.ndarray, motif_onehot: np.ndarray, position: int) -> np.ndarray:
    """Copy of ``sequences`` ``(N, L, 4)`` with ``motif_onehot`` ``(w, 4)`` written over
    positions ``[position, position + w)`` of every sequence; the input is not modified."""
    seqs = np.asarray(sequences)
    motif = np.asarray(motif_onehot)
    if seqs.ndim != 3 or seqs.shape[-1] != 4:
        raise ValueError(f"expected sequences of shape (N, L, 4), got {seqs.shape}")
    if motif.ndim != 2 or motif.shape[1] != 4:
        raise ValueError(f"expected a one-hot motif of shape (w, 4), got {motif.shape}")
    if position < 0 or position + motif.shape[0] > seqs.shape[1]:
        raise ValueError(
            f"a motif of width {motif.shape[0]} at position {position} does not fit in "
            f"sequences of length {seqs.shape[1]}"
        )
    out = seqs.copy()
    out[:, position : position + motif.shape[0]] = motif
    return out


def _predict_checked(
    predict: Predictor, sequences: np.ndarray, out_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """Profile probabilities ``(N, out_len)`` and log counts ``(N,)`` of ``sequences``, with
    the predictor's output shapes checked."""
    logits, log_counts = predict(sequences)
    logits, log_counts = np.asarray(logits), np.asarray(log_counts)
    n = sequences.shape[0]
    if logits.shape != (n, out_len) or log_counts.shape != (n,):
        raise ValueError(
            f"predict must return logits ({n}, {out_len}) and log counts ({n},), got "
            f"{logits.shape} and {log_counts.shape}"
        )
    return softmax_profile(logits), log_counts.astype(np.float64)


def marginal_footprint(
    predict: Predictor,
    sequences: np.ndarray,
    motif_matrix: np.ndarray,
    out_len: int,
    flank: int = 10,
    both_strands: bool = False,
) -> dict[str, np.ndarray | float]:
    """Mean effect on the prediction of a motif's consensus inserted at the sequence centre.

    Parameters
    ----------
    predict
        Maps one-hot sequences ``(N, L, 4)`` to ``(profile logits (N, out_len),
        log counts (N,))``, e.g. :func:`torch_predictor`.
    sequences
        ``(N, L, 4)`` background sequences (e.g. shuffled or non-peak regions).
    motif_matrix
        ``(w, 4)`` motif matrix in ACGT order; its consensus is inserted at
        ``(L - w) // 2``.
    out_len
        Length of the predicted profile.
    flank
        Half-width of the window around the output centre scored by ``footprint_score``.
    both_strands
        Also insert the reverse complement of the consensus and average the predictions
        with insertion (probabilities and log counts) over the two orientations.

    Returns
    -------
    dict
        ``profile``: ``(out_len,)`` mean predicted probability with the motif minus without;
        ``count_effect``: mean difference of the predicted log counts; ``footprint_score``:
        ``log2`` of the mean probability within ``flank`` bases of the output centre with the
        motif over that without (> 0: the motif draws signal to itself, as the enzyme's
        preferred sites do in a bias model; < 0: a protected footprint).
    """
    seqs = np.asarray(sequences)
    if seqs.ndim != 3 or seqs.shape[-1] != 4:
        raise ValueError(f"expected sequences of shape (N, L, 4), got {seqs.shape}")
    if not 0 <= flank <= out_len // 2:
        raise ValueError(f"flank must be in [0, {out_len // 2}] for out_len {out_len}, got {flank}")
    motif = consensus(motif_matrix)  # (w, 4)
    position = (seqs.shape[1] - motif.shape[0]) // 2
    orientations = [motif, motif[::-1, ::-1]] if both_strands else [motif]

    probs_without, lc_without = _predict_checked(predict, seqs, out_len)  # (N, out_len), (N,)
    with_preds = [
        _predict_checked(predict, insert_motif(seqs, m, position), out_len) for m in orientations
    ]
    probs_with = np.mean([p for p, _ in with_preds], axis=0)  # (N, out_len)
    lc_with = np.mean([lc for _, lc in with_preds], axis=0)  # (N,)

    centre = out_len // 2
    window = slice(centre - flank, centre + flank + 1)
    score = np.log2(probs_with[:, window].mean() / probs_without[:, window].mean())
    return {
        "profile": (probs_with - probs_without).mean(axis=0),
        "count_effect": float((lc_with - lc_without).mean()),
        "footprint_score": float(score),
    }


def torch_predictor(
    model: nn.Module,
    batch_size: int = 256,
    device: str | torch.device = "cpu",
    method: str | Callable | None = None,
) -> Predictor:
    """Wrap a torch model into the numpy predictor :func:`marginal_footprint` takes.

    The predictor runs the model in eval mode without gradients, in float32 batches on
    ``device`` (where the model must already be), and restores every submodule's training
    flag afterwards, also on error.

    Parameters
    ----------
    model
        A module returning ``(profile logits (B, out_len), log counts (B,))`` for one-hot
        ``(B, L, 4)``.
    batch_size
        Sequences per forward pass.
    device
        Device the inputs are moved to.
    method
        What to call instead of ``model(x)``: the name of a method (``"forward_corrected"``),
        a method bound to ``model`` (``model.forward_corrected``) or a function taking
        ``(model, x)`` (``ChromBPNet.forward_corrected``).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if method is None:
        call = model
    elif isinstance(method, str):
        call = getattr(model, method)
    elif inspect.ismethod(method):
        call = method
    else:
        call = partial(method, model)

    def predict(sequences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(logits (N, out_len), log counts (N,))`` as float32 for ``(N, L, 4)``."""
        if len(sequences) == 0:
            raise ValueError("no sequences to predict")
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
        logits, log_counts = [], []
        try:
            with torch.no_grad():
                for start in range(0, len(sequences), batch_size):
                    x = torch.as_tensor(
                        np.asarray(sequences[start : start + batch_size], dtype=np.float32),
                        device=device,
                    )  # (b, L, 4)
                    lg, lc = call(x)
                    logits.append(lg.float().cpu().numpy())
                    log_counts.append(lc.float().cpu().numpy())
        finally:
            for m, training in modes:
                m.training = training
        return np.concatenate(logits), np.concatenate(log_counts)

    return predict
