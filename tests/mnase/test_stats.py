"""Image statistics: NDR width from nucleosome peaks, footprint enrichment at sites."""

from __future__ import annotations

import numpy as np

from regflow.mnase.layout import PRESETS
from regflow.mnase.stats import CORE, footprint_enrichment, ndr_width, site_columns

LAYOUT = PRESETS["classes"]
EDGES = LAYOUT.length_edges()
POSITIONS = LAYOUT.position_edges()


def _column(x: float) -> int:
    return int((x + 512) // 8)


def _image(peaks: dict[float, float]) -> np.ndarray:
    """A classes image with nucleosomal (row 18) mass ``height`` at each position ``x``."""
    image = np.zeros((24, 128))
    for x, height in peaks.items():
        image[18, _column(x)] += height
    return image


def test_ndr_width_from_plus1_and_minus1_peaks():
    # column centres: +1 at 36 (column of 32), -1 at 36 - 352 = -316 -> width 352 - 147
    image = _image({32: 10, -320: 6, -320 - 168: 5, 200: 7})
    assert ndr_width(image, EDGES, POSITIONS) == 352 - CORE


def test_ndr_width_prefers_the_nearest_supported_peak_over_a_higher_minus2():
    narrow = _image({32: 10, -200: 4, -368: 7})  # -2 higher than -1
    assert ndr_width(narrow, EDGES, POSITIONS) == 232 - CORE
    weak = _image({32: 10, -200: 1, -368: 7})  # below half of the highest: not the -1
    assert ndr_width(weak, EDGES, POSITIONS) == 400 - CORE


def test_ndr_width_vectorised_and_nan_without_signal():
    images = np.stack([_image({32: 10, -320: 6}), np.zeros((24, 128)), _image({32: 3})])
    widths = ndr_width(images[None], EDGES, POSITIONS)  # (1, 3)
    assert widths.shape == (1, 3)
    assert widths[0, 0] == 352 - CORE and np.isnan(widths[0, 1:]).all()


def test_ndr_width_ignores_other_length_classes():
    image = _image({32: 10, -320: 6})
    image[2, _column(-200)] = 100  # sub-nucleosomal mass is not a nucleosome
    assert ndr_width(image, EDGES, POSITIONS) == 352 - CORE


def test_site_columns():
    columns = site_columns(
        np.array([-100.0, -100.0, 600.0, -512.0]), np.array([0.0, 40.0, 0.0, 0.0]), POSITIONS
    )
    np.testing.assert_array_equal(columns, [_column(-100), _column(-140), -1, 0])


def test_footprint_enrichment():
    images = np.zeros((2, 2, 24, 128))
    images[..., 0:8, :] = 1.0  # flat sub-nucleosomal background, 8 per column
    images[0, 1, 3, 40] += 24.0  # a footprint: 32 at the site vs 8 elsewhere
    images[1, 0, 5, 90] += 24.0
    gene, condition, column = np.array([0, 1, 1]), np.array([1, 0, 0]), np.array([40, 90, -1])
    assert footprint_enrichment(images, EDGES, gene, condition, column) == 4.0
    assert np.isnan(footprint_enrichment(images, EDGES, gene[:0], condition[:0], column[:0]))
