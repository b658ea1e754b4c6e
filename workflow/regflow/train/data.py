"""PyTorch datasets over the arrays of ``regflow datasets``: examples in, tensors out."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


class ImagePairs(Dataset):
    """Chromatin-ViT examples: the first-channel image (optional) and the time-point image.

    Parameters
    ----------
    images : (n_genes, n_conditions, H, W) float32, already normalised.
    gene_index, condition_index : (n,) int, the example's gene and time point.
    targets : (n,) float32, the (z-scored) target of each example.
    first_condition : index of the first channel's condition, or None for one channel.
    """

    def __init__(
        self,
        images: np.ndarray,
        gene_index: np.ndarray,
        condition_index: np.ndarray,
        targets: np.ndarray,
        first_condition: int | None,
    ) -> None:
        self.images = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))
        self.gene = torch.from_numpy(np.asarray(gene_index, dtype=np.int64))
        self.condition = torch.from_numpy(np.asarray(condition_index, dtype=np.int64))
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.float32))
        self.first = first_condition

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        g, c = self.gene[i], self.condition[i]
        if self.first is None:
            x = self.images[g, c][None]  # (1, H, W)
        else:
            x = torch.stack([self.images[g, self.first], self.images[g, c]])  # (2, H, W)
        return x, self.targets[i]


class PeakWindows(Dataset):
    """GET examples: one window of consecutive peaks in one condition.

    Parameters
    ----------
    features : (n_conditions, n_peaks, F) float32.
    labels : (n_conditions, n_peaks, 2) float32.
    windows : (n_windows, S) int peak indices, -1 for padding.
    conditions : (n_windows,) int condition of each window.

    Items are ``x`` (S, F), ``y`` (S, 2) and ``valid`` (S,) bool; padded regions are zeros.
    """

    def __init__(
        self, features: np.ndarray, labels: np.ndarray, windows: np.ndarray, conditions: np.ndarray
    ) -> None:
        pad_x = np.zeros((features.shape[0], 1, features.shape[2]), dtype=np.float32)
        pad_y = np.zeros((labels.shape[0], 1, 2), dtype=np.float32)
        # one zero region appended per condition, which index -1 picks
        self.features = torch.from_numpy(np.concatenate([features, pad_x], axis=1))
        self.labels = torch.from_numpy(np.concatenate([labels, pad_y], axis=1))
        self.windows = torch.from_numpy(np.asarray(windows, dtype=np.int64))
        self.conditions = torch.from_numpy(np.asarray(conditions, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx, c = self.windows[i], self.conditions[i]
        return self.features[c, idx], self.labels[c, idx], idx >= 0


def _reverse_complement(onehot: torch.Tensor) -> torch.Tensor:
    """``(L, 4)`` ACGT one-hot -> its reverse complement (flip positions and A<->T, C<->G)."""
    return onehot.flip(0).flip(1)


class JitteredRegions(Dataset):
    """ChromBPNet examples: a sequence ``(in_len, 4)`` and its per-base counts ``(out_len,)``.

    The arrays hold ``jitter`` extra bases on each side. With ``augment`` each draw shifts the
    window by a uniform offset in ``[-jitter, jitter]`` and reverse-complements half the
    examples (profile reversed with it), as ChromBPNet trains; without, the window is centred.
    Draws use torch's global generator, which Lightning seeds.

    Parameters
    ----------
    sequences : (N, in_len + 2 * jitter, 4) uint8 one-hot.
    counts : (N, out_len + 2 * jitter) float32 Tn5 insertions per base.
    """

    def __init__(
        self,
        sequences: np.ndarray,
        counts: np.ndarray,
        in_len: int,
        out_len: int,
        jitter: int,
        augment: bool,
    ) -> None:
        if sequences.shape[1] != in_len + 2 * jitter or counts.shape[1] != out_len + 2 * jitter:
            raise ValueError(
                f"arrays of width {sequences.shape[1]} / {counts.shape[1]} do not hold "
                f"in_len {in_len} / out_len {out_len} with jitter {jitter}"
            )
        self.sequences = torch.from_numpy(np.ascontiguousarray(sequences))
        self.counts = torch.from_numpy(np.ascontiguousarray(counts, dtype=np.float32))
        self.in_len, self.out_len, self.jitter = in_len, out_len, jitter
        self.augment = augment

    def __len__(self) -> int:
        return len(self.counts)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        offset = self.jitter
        if self.augment and self.jitter:
            offset += int(torch.randint(-self.jitter, self.jitter + 1, ()))
        x = self.sequences[i, offset : offset + self.in_len].float()  # (in_len, 4)
        y = self.counts[i, offset : offset + self.out_len]  # (out_len,)
        if self.augment and bool(torch.rand(()) < 0.5):
            x, y = _reverse_complement(x), y.flip(0)
        return x, y


class ShiftedWindows(Dataset):
    """Sequence-to-track examples: a sequence ``(seq_len, 4)`` and binned targets ``(bins, T)``.

    The sequences hold ``max_shift`` extra bases on each side. With ``augment`` the input is
    shifted by up to ``max_shift`` bases (targets unchanged: the shift is below a bin) and half
    the examples are reverse-complemented with their targets reversed along the bins.

    Parameters
    ----------
    sequences : (W, seq_len + 2 * max_shift, 4) uint8 one-hot.
    targets : (W, bins, T) float32.
    """

    def __init__(
        self,
        sequences: np.ndarray,
        targets: np.ndarray,
        seq_len: int,
        max_shift: int,
        augment: bool,
    ) -> None:
        if sequences.shape[1] != seq_len + 2 * max_shift:
            raise ValueError(
                f"sequences of width {sequences.shape[1]} do not hold seq_len {seq_len} "
                f"with shifts of {max_shift}"
            )
        self.sequences = torch.from_numpy(np.ascontiguousarray(sequences))
        self.targets = torch.from_numpy(np.ascontiguousarray(targets, dtype=np.float32))
        self.seq_len, self.max_shift, self.augment = seq_len, max_shift, augment

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        offset = self.max_shift
        if self.augment and self.max_shift:
            offset += int(torch.randint(-self.max_shift, self.max_shift + 1, ()))
        x = self.sequences[i, offset : offset + self.seq_len].float()  # (seq_len, 4)
        y = self.targets[i]  # (bins, T)
        if self.augment and bool(torch.rand(()) < 0.5):
            x, y = _reverse_complement(x), y.flip(0)
        return x, y
