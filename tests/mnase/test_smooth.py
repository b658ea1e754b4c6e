"""Smoothing per class block: mass stays in its class and in the window."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.mnase.layout import PRESETS
from regflow.mnase.smooth import smooth_images


def test_mass_stays_within_class_block(rng):
    layout = PRESETS["classes"]
    images = np.zeros((2, 3, 24, 128))
    images[0, 0, 7, 0] = 10.0  # top row of class 0, at the window's left edge
    images[1, 2, 8, 64] = 4.0  # bottom row of class 1
    images[1, 1, 16:, :] = rng.random((8, 128))
    smoothed = smooth_images(images, layout, 1.5)
    blocks = smoothed.reshape(2, 3, 3, 8, 128).sum(axis=(-2, -1))
    np.testing.assert_allclose(blocks, images.reshape(2, 3, 3, 8, 128).sum(axis=(-2, -1)))
    assert smoothed[0, 0, 8:].max() == 0  # nothing bled into classes 1 and 2
    assert smoothed[1, 2, :8].max() == 0 and smoothed[1, 2, 16:].max() == 0
    assert smoothed[0, 0, 7, 1] > 0  # but it did spread within class 0


def test_zero_sigma_is_identity_and_negative_rejected():
    layout = PRESETS["readme"]
    images = np.arange(2 * 32 * 128, dtype=float).reshape(2, 32, 128)
    np.testing.assert_array_equal(smooth_images(images, layout, 0.0), images)
    with pytest.raises(ValueError):
        smooth_images(images, layout, -1.0)
