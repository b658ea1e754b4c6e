"""Summary chromatin features: the right rows and columns feed each feature, origin shifts the
windows, bad shapes raise."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.baselines.chromatin_features import summary_features
from regflow.errors import RegflowError
from regflow.mnase.layout import PRESETS

LAYOUT = PRESETS["classes"]
LENGTHS = LAYOUT.length_edges()  # (24, 2): rows 0-7 small, 8-15 middle, 16-23 nucleosomal
POSITIONS = LAYOUT.position_edges()  # (129,): -512..512 in 8-bp columns
NAMES = [
    "small_promoter",
    "nucleosomal_promoter",
    "small_tss",
    "nucleosomal_tss",
    "nucleosomal_plus1",
    "small_genebody",
    "nucleosomal_genebody",
]


def column(frame_bp: float) -> int:
    """Column whose 8-bp bin holds ``frame_bp`` (frame coordinates)."""
    return int((frame_bp + 512) // 8)


def lit(features: np.ndarray, names: list[str]) -> set[str]:
    return {name for name, value in zip(names, features, strict=True) if value > 0}


def one_gene(row: int, frame_bp: float, value: float = 8.0) -> np.ndarray:
    image = np.zeros((1, 24, 128), dtype=np.float32)
    image[0, row, column(frame_bp)] = value
    return image


def test_names_and_empty_image():
    features, names = summary_features(np.zeros((2, 24, 128)), LENGTHS, POSITIONS, np.zeros(2))
    assert names == NAMES
    assert features.shape == (2, 7)
    assert (features == 0).all()


# origin 60: the TSS sits at frame -60, so frame x is x + 60 bp from the TSS
@pytest.mark.parametrize(
    ("row", "from_tss", "expected"),
    [
        (3, -150, {"small_promoter"}),  # small, upstream only
        (3, -50, {"small_promoter", "small_tss"}),
        (3, 60, {"small_tss"}),  # downstream of TSS but not yet gene body
        (3, 300, {"small_genebody"}),
        (20, -150, {"nucleosomal_promoter"}),
        (20, 60, {"nucleosomal_tss", "nucleosomal_plus1"}),
        (20, 150, {"nucleosomal_plus1", "nucleosomal_genebody"}),
        (20, 400, {"nucleosomal_genebody"}),
        (12, 60, set()),  # [90, 140) fragments feed no feature
        (3, -300, set()),  # upstream of the promoter
    ],
)
def test_density_lights_up_the_right_features(row, from_tss, expected):
    origin = 60.0
    features, names = summary_features(
        one_gene(row, from_tss - origin), LENGTHS, POSITIONS, np.array([origin])
    )
    assert lit(features[0], names) == expected


def test_value_is_log1p_of_class_mean_over_window_columns():
    origin = 60.0
    image = np.zeros((1, 24, 128))
    c = column(-150 - origin)  # promoter: 200 bp = 25 columns
    image[0, 0, c] = 10.0
    image[0, 7, c] = 15.0  # two rows of the same class add up
    features, names = summary_features(image, LENGTHS, POSITIONS, np.array([origin]))
    assert features[0, names.index("small_promoter")] == pytest.approx(np.log1p(25.0 / 25))


def test_origin_moves_the_windows_per_gene():
    # the same frame column is promoter for one gene and gene body for another
    image = np.zeros((2, 24, 128))
    image[:, 20, column(0)] = 5.0
    features, names = summary_features(image, LENGTHS, POSITIONS, np.array([-150.0, 300.0]))
    assert lit(features[0], names) == {"nucleosomal_promoter"}
    assert lit(features[1], names) == {"nucleosomal_genebody"}


def test_bin_counts_by_its_centre():
    # column [-8, 0) has centre -4: with origin 0, in the promoter [-200, 0), not the gene body
    image = np.zeros((1, 24, 128))
    image[0, 20, column(-8)] = 1.0
    features, names = summary_features(image, LENGTHS, POSITIONS, np.zeros(1))
    assert lit(features[0], names) == {"nucleosomal_promoter", "nucleosomal_tss"}


def test_rows_are_chosen_by_length_edges_not_position():
    # reversed rows: the small class now sits in the last rows
    image = one_gene(23, -150 - 60.0)  # row 23 of the flipped layout is a small row
    features, names = summary_features(image, LENGTHS[::-1], POSITIONS, np.array([60.0]))
    assert lit(features[0], names) == {"small_promoter"}


def test_inputs_not_mutated():
    image = one_gene(3, 0.0)
    origin = np.array([60.0])
    copy = image.copy()
    summary_features(image, LENGTHS, POSITIONS, origin)
    np.testing.assert_array_equal(image, copy)
    assert origin[0] == 60.0


@pytest.mark.parametrize(
    ("images", "lengths", "positions", "origin", "match"),
    [
        (np.zeros((24, 128)), LENGTHS, POSITIONS, np.zeros(1), "images must be"),
        (np.zeros((1, 24, 128)), LENGTHS[:20], POSITIONS, np.zeros(1), "length_edges"),
        (np.zeros((1, 24, 128)), LENGTHS, POSITIONS[:-1], np.zeros(1), "position_edges"),
        (np.zeros((1, 24, 128)), LENGTHS, POSITIONS, np.zeros(2), "origin must be"),
        (np.zeros((1, 24, 128)), LENGTHS, POSITIONS, np.array([np.nan]), "origin holds"),
        (np.zeros((1, 24, 128)), LENGTHS + 100, POSITIONS, np.zeros(1), "small"),
        (np.zeros((1, 24, 128)), LENGTHS, POSITIONS, np.array([-5000.0]), "small_promoter"),
    ],
)
def test_bad_inputs_raise(images, lengths, positions, origin, match):
    with pytest.raises(RegflowError, match=match):
        summary_features(images, lengths, positions, origin)
