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
