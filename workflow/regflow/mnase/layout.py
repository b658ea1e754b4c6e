"""The geometry of an MNase image: which fragment lengths go to which row, which positions to
which column.

An image is ``n_rows x n_columns``. Columns tile the window ``[-window/2, window/2)`` bp around
the frame origin (the TSS, or the aligned +1 nucleosome, see :mod:`regflow.mnase.anchor`) in
``window / n_columns`` bp bins, downstream to the right. Rows are stacked length classes: class
``k`` (lengths ``[lo_k, hi_k)``) owns rows ``k * rows_per_class ... (k + 1) * rows_per_class - 1``,
each row an equal sub-range of the class, shortest lengths in row 0.

Presets:

``classes`` (the paper's reference code)
    classes ``[45, 90)``, ``[90, 140)``, ``[140, 201)`` x 8 rows each (24 rows), 1024 bp in 128
    columns of 8 bp. Rows of one class cover ``(hi - lo) / 8`` bp each (5.625, 6.25, 7.625 bp).
``readme`` (the paper's README)
    lengths ``[0, 256)`` in 32 rows of 8 bp, 1024 bp in 128 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ImageLayout:
    """Length classes, rows per class, window and columns of an image.

    Attributes
    ----------
    classes
        ``((lo, hi), ...)`` fragment-length classes, half-open, ascending, not overlapping.
    rows_per_class
        Rows each class is binned into (equal length sub-ranges).
    window
        Window width in bp, centred on the frame origin.
    columns
        Position bins across the window; ``window`` must be a multiple of it.
    """

    classes: tuple[tuple[int, int], ...]
    rows_per_class: int
    window: int = 1024
    columns: int = 128

    def __post_init__(self) -> None:
        if not self.classes or self.rows_per_class < 1 or self.columns < 1:
            raise ValueError("a layout needs at least one class, one row and one column")
        if self.window % self.columns or self.window % 2:
            raise ValueError("window must be even and a multiple of columns")
        previous = 0
        for lo, hi in self.classes:
            if not previous <= lo < hi:
                raise ValueError(f"length classes must be ascending and disjoint: {self.classes}")
            previous = hi

    @property
    def n_rows(self) -> int:
        """Rows of the stacked image."""
        return len(self.classes) * self.rows_per_class

    @property
    def bin_bp(self) -> int:
        """Width of one column in bp."""
        return self.window // self.columns

    def row_lookup(self) -> np.ndarray:
        """Row of every fragment length.

        Returns
        -------
        numpy.ndarray
            Shape ``(max_hi,)``, int64: ``lookup[length]`` is the row of ``length``, -1 for
            lengths outside every class (lengths ``>= max_hi`` are outside too).
        """
        lookup = np.full(self.classes[-1][1], -1, dtype=np.int64)
        for k, (lo, hi) in enumerate(self.classes):
            length = np.arange(lo, hi)
            lookup[lo:hi] = k * self.rows_per_class + (length - lo) * self.rows_per_class // (
                hi - lo
            )
        return lookup

    def length_edges(self) -> np.ndarray:
        """Lower and upper length of every row.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_rows, 2)``, float64: row ``r`` holds lengths ``[edges[r, 0], edges[r, 1])``
            (fractional edges where a class is not a multiple of ``rows_per_class`` bp wide).
        """
        rows = []
        for lo, hi in self.classes:
            cuts = np.linspace(lo, hi, self.rows_per_class + 1)  # (rows_per_class + 1,)
            rows.append(np.column_stack([cuts[:-1], cuts[1:]]))
        return np.vstack(rows)

    def position_edges(self) -> np.ndarray:
        """Column edges in bp relative to the frame origin.

        Returns
        -------
        numpy.ndarray
            Shape ``(columns + 1,)``, int64: column ``j`` holds midpoints in
            ``[edges[j], edges[j + 1])``.
        """
        half = self.window // 2
        return np.arange(-half, half + 1, self.bin_bp, dtype=np.int64)

    def as_dict(self) -> dict:
        """JSON-ready description."""
        return {
            "classes": [list(c) for c in self.classes],
            "rows_per_class": self.rows_per_class,
            "window": self.window,
            "columns": self.columns,
            "bin_bp": self.bin_bp,
        }


#: Named layouts for ``regflow mnase images --preset``.
PRESETS: dict[str, ImageLayout] = {
    "classes": ImageLayout(classes=((45, 90), (90, 140), (140, 201)), rows_per_class=8),
    "readme": ImageLayout(classes=((0, 256),), rows_per_class=32),
}
