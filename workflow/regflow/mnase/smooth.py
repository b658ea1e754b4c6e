"""2-D Gaussian smoothing of images, one length class at a time so classes do not bleed."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from regflow.mnase.layout import ImageLayout


def smooth_images(images: np.ndarray, layout: ImageLayout, sigma: float) -> np.ndarray:
    """Smooth every class block of every image with ``scipy.ndimage.gaussian_filter``.

    Each class block (``rows_per_class x columns``) is filtered on its own with ``mode="reflect"``,
    which keeps each block's total: no mass moves between classes or out of the window.

    Parameters
    ----------
    images
        Shape ``(..., layout.n_rows, layout.columns)``.
    layout
        The layout the images follow.
    sigma
        Standard deviation in bins (rows and columns); 0 returns a copy.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``images``.
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    lead = images.shape[:-2]
    blocks = images.reshape(*lead, len(layout.classes), layout.rows_per_class, layout.columns)
    # blocks: (..., n_classes, rows_per_class, columns)
    smoothed = gaussian_filter(blocks, sigma, axes=(-2, -1), mode="reflect")
    return smoothed.reshape(images.shape)
