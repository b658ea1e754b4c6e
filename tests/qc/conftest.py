"""Helpers for the QC tests: tiny fragments files written to ``tmp_path``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pytest


def write_fragments(path: Path, chrom, start, end, count=None) -> Path:
    """Write, bgzip and tabix-index a fragments file; return the ``.tsv.gz`` path.

    ``chrom`` is one name or one per fragment; rows are sorted as tabix needs.
    """
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    count = np.ones_like(start) if count is None else np.asarray(count, dtype=np.int64)
    chroms = np.broadcast_to(np.asarray(chrom, dtype=object), start.shape)
    order = np.lexsort((end, start, chroms.astype(str)))
    plain = Path(path).with_suffix("")  # fragments.tsv.gz -> fragments.tsv
    with open(plain, "w") as handle:
        for i in order:
            handle.write(f"{chroms[i]}\t{start[i]}\t{end[i]}\t.\t{count[i]}\n")
    gz = Path(f"{plain}.gz")
    pysam.tabix_compress(str(plain), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="bed", force=True)
    plain.unlink()
    return gz


@pytest.fixture
def fragments_writer(tmp_path):
    """``fragments_writer(name, chrom, start, end, count=None)`` -> path under ``tmp_path``."""

    def write(name, chrom, start, end, count=None):
        return write_fragments(tmp_path / f"{name}.tsv.gz", chrom, start, end, count)

    return write
