"""Image layouts: rows of fragment lengths, column edges, the two presets."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.mnase.layout import PRESETS, ImageLayout


def test_classes_preset_rows():
    layout = PRESETS["classes"]
    lookup = layout.row_lookup()
    assert layout.n_rows == 24 and layout.columns == 128 and layout.bin_bp == 8
    assert lookup[44] == -1 and lookup.size == 201  # 201 and longer fall outside
    assert lookup[45] == 0 and lookup[89] == 7
    assert lookup[90] == 8 and lookup[139] == 15
    assert lookup[140] == 16 and lookup[200] == 23
    # rows are equal sub-ranges of a class: [45, 90) is 45 bp -> 5.625 bp per row
    assert lookup[50] == 0 and lookup[51] == 1
    assert np.all(np.diff(lookup[45:]) >= 0)
    assert np.bincount(lookup[lookup >= 0], minlength=24).min() >= 5


def test_length_edges_match_lookup():
    for layout in PRESETS.values():
        edges = layout.length_edges()
        lookup = layout.row_lookup()
        assert edges.shape == (layout.n_rows, 2)
        for length in range(lookup.size):
            row = lookup[length]
            if row >= 0:
                assert edges[row, 0] <= length < edges[row, 1]


def test_readme_preset():
    layout = PRESETS["readme"]
    lookup = layout.row_lookup()
    assert layout.n_rows == 32 and layout.columns == 128
    assert lookup[0] == 0 and lookup[7] == 0 and lookup[8] == 1 and lookup[255] == 31
    np.testing.assert_array_equal(layout.length_edges()[:, 0], np.arange(0, 256, 8))


def test_position_edges():
    edges = PRESETS["classes"].position_edges()
    assert edges.shape == (129,) and edges[0] == -512 and edges[-1] == 512
    assert set(np.diff(edges)) == {8}


def test_bad_layouts_rejected():
    with pytest.raises(ValueError):
        ImageLayout(classes=((90, 140), (45, 90)), rows_per_class=8)
    with pytest.raises(ValueError):
        ImageLayout(classes=((45, 90),), rows_per_class=8, window=1000, columns=128)
