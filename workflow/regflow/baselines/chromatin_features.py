"""Summary chromatin features per gene from its MNase image, the inputs of the Gaussian-process
baseline: a few numbers (TF-sized and nucleosomal fragment density over the promoter, the TSS,
the +1 nucleosome and the gene body) in place of the full image the networks see.

Windows are in bp relative to the TSS, strand-oriented (gene body downstream, positive). The
image frame is not centred on the TSS: as in ``images.npz``, ``origin`` is the frame origin in
bp from the TSS, so the TSS sits at ``-origin`` in ``position_edges`` coordinates and a column
centred at ``c`` lies at ``c + origin`` bp from the TSS.
"""

from __future__ import annotations

import numpy as np

from regflow.errors import RegflowError

#: Fragment lengths ``[lo, hi)`` of each class; rows are picked by their ``length_edges``.
CLASSES: dict[str, tuple[float, float]] = {"small": (45, 90), "nucleosomal": (140, 201)}

#: ``(feature, class, (lo, hi))``: the class's mean density over columns whose centre lies in
#: ``[lo, hi)`` bp from the TSS. The gene body runs to the end of the window.
FEATURES: tuple[tuple[str, str, tuple[float, float]], ...] = (
    ("small_promoter", "small", (-200, 0)),
    ("nucleosomal_promoter", "nucleosomal", (-200, 0)),
    ("small_tss", "small", (-100, 100)),
    ("nucleosomal_tss", "nucleosomal", (-100, 100)),
    ("nucleosomal_plus1", "nucleosomal", (40, 200)),
    ("small_genebody", "small", (100, np.inf)),
    ("nucleosomal_genebody", "nucleosomal", (100, np.inf)),
)


def summary_features(
    images: np.ndarray,
    length_edges: np.ndarray,
    position_edges: np.ndarray,
    origin: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """Log-density of small and nucleosomal fragments in windows around each gene's TSS.

    A class's density at a column is the sum of its rows (fragments per million in that 8-bp
    bin, all lengths of the class); a feature is ``log1p`` of its mean over the window's
    columns, so genes with little signal are not dominated by their few highest bins.

    Parameters
    ----------
    images
        Shape ``(n_genes, n_rows, n_columns)``: one condition of ``images_raw``.
    length_edges
        Shape ``(n_rows, 2)``, the ``[lo, hi)`` fragment lengths of each row.
    position_edges
        Shape ``(n_columns + 1,)``, column edges in bp from the frame origin.
    origin
        Shape ``(n_genes,)``, the frame origin of each gene in bp from the TSS (``origin`` of
        ``images.npz``; the TSS is at ``-origin`` in frame coordinates).

    Returns
    -------
    features : numpy.ndarray
        Shape ``(n_genes, n_features)``, float64, columns as in :data:`FEATURES`.
    names : list of str
        The ``n_features`` feature names.

    Raises
    ------
    RegflowError
        When the shapes disagree, ``origin`` is not finite, no row lies within a class, or a
        window holds no column for some gene.
    """
    images = np.asarray(images)
    length_edges = np.asarray(length_edges, dtype=np.float64)
    position_edges = np.asarray(position_edges, dtype=np.float64)
    origin = np.asarray(origin, dtype=np.float64)
    if images.ndim != 3:
        raise RegflowError(f"images must be (n_genes, n_rows, n_columns), got {images.shape}")
    n_genes, n_rows, n_columns = images.shape
    if length_edges.shape != (n_rows, 2):
        raise RegflowError(f"length_edges must be ({n_rows}, 2), got {length_edges.shape}")
    if position_edges.shape != (n_columns + 1,):
        raise RegflowError(
            f"position_edges must be ({n_columns + 1},) for {n_columns} columns, "
            f"got {position_edges.shape}"
        )
    if origin.shape != (n_genes,):
        raise RegflowError(f"origin must be ({n_genes},) for {n_genes} genes, got {origin.shape}")
    if not np.isfinite(origin).all():
        raise RegflowError("origin holds NaN/inf values")

    profiles = {}
    for name, (lo, hi) in CLASSES.items():
        rows = (length_edges[:, 0] >= lo) & (length_edges[:, 1] <= hi)
        if not rows.any():
            raise RegflowError(f"no image row holds only {name} fragment lengths [{lo}, {hi})")
        profiles[name] = images[:, rows, :].sum(axis=1, dtype=np.float64)  # (n_genes, n_cols)

    centre = (position_edges[:-1] + position_edges[1:]) / 2  # (n_columns,)
    from_tss = centre[None, :] + origin[:, None]  # (n_genes, n_columns) bp from the TSS
    columns = []
    for name, cls, (lo, hi) in FEATURES:
        inside = (from_tss >= lo) & (from_tss < hi)  # (n_genes, n_columns)
        count = inside.sum(axis=1)
        if (count == 0).any():
            gene = int(np.argmax(count == 0))
            raise RegflowError(
                f"feature {name}: no image column within [{lo}, {hi}) bp of the TSS for gene "
                f"index {gene} (origin {origin[gene]} bp)"
            )
        columns.append(np.log1p(np.where(inside, profiles[cls], 0.0).sum(axis=1) / count))
    return np.column_stack(columns), [name for name, _, _ in FEATURES]
