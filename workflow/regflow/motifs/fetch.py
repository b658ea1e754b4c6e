"""Matrices from pyjaspar's bundled JASPAR databases (SQLite files shipped with the package,
so nothing is downloaded)."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence

import numpy as np

from regflow.errors import RegflowError
from regflow.motifs.matrices import BASES, Motif


def _open(release: str):
    from pyjaspar import jaspardb

    with contextlib.redirect_stdout(io.StringIO()):  # pyjaspar prints unknown releases
        releases = jaspardb().get_releases()
    if release not in releases:
        raise RegflowError(
            f"JASPAR release {release!r} is not bundled with pyjaspar "
            f"(available: {', '.join(releases)})"
        )
    return jaspardb(release=release)


def _to_motif(found) -> Motif:
    counts = np.array([found.counts[b] for b in BASES], float).T  # (length, 4)
    return Motif(found.matrix_id, found.name, counts)


def fetch_jaspar(
    release: str,
    collection: str | None = None,
    tax_groups: Sequence[str] = (),
    matrix_ids: Sequence[str] = (),
) -> list[Motif]:
    """Motifs of a JASPAR collection (latest version of each matrix) plus matrices by ID.

    Parameters
    ----------
    release
        A release bundled with pyjaspar, e.g. ``JASPAR2024``.
    collection
        ``CORE``, ``UNVALIDATED``, ...; None takes only ``matrix_ids``.
    tax_groups
        Taxonomic groups of the collection (``vertebrates``, ``fungi``, ...); empty: all.
    matrix_ids
        Versioned IDs (``MA0139.2``) or base IDs (``MA0139``, latest version), appended after
        the collection unless already in it.

    Returns
    -------
    list of Motif
        The collection sorted by matrix ID, then the extra IDs in the order given.
    """
    db = _open(release)
    motifs: list[Motif] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyjaspar warns instead of returning nothing quietly
        if collection is not None:
            found = db.fetch_motifs(collection=collection, tax_group=list(tax_groups) or None)
            if not found:
                raise RegflowError(
                    f"{release} has no motifs in collection {collection!r}"
                    + (f" for taxon {', '.join(tax_groups)}" if tax_groups else "")
                )
            motifs = sorted((_to_motif(m) for m in found), key=lambda m: m.matrix_id)
        seen = {m.matrix_id for m in motifs}
        for matrix_id in matrix_ids:
            found = db.fetch_motif_by_id(matrix_id)
            if found is None:
                raise RegflowError(f"JASPAR matrix {matrix_id} is not in {release}")
            if found.matrix_id not in seen:
                motifs.append(_to_motif(found))
                seen.add(found.matrix_id)
    return motifs
