"""Sequence -> track datasets (Enformer-style, 1D-Swin, CNN baselines): genome windows as
one-hot sequences with the mean of each bigWig track per bin as targets.

Windows tile the genome at a stride, fully inside each chromosome, and are split into
train/val/test by chromosome. A window's sequence is widened by ``max_shift`` on both sides
(zero beyond a chromosome end), so training can shift it by up to that much; its targets are
the per-bin means over the window itself with ``crop_bins`` dropped at each end, as Enformer
predicts only the central bins.
"""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.datasets.sequence import (
    bigwig_values,
    bin_means,
    check_settings,
    fetch_onehot,
    open_bigwig,
)
from regflow.errors import RegflowError

#: The settings of :func:`build_seqtrack_dataset` and their types (all required).
SETTINGS: dict[str, type] = {
    "seq_len": int,
    "bin_size": int,
    "crop_bins": int,
    "stride": int,
    "max_shift": int,
    "val_chromosomes": list[str],
    "test_chromosomes": list[str],
    "exclude_chromosomes": list[str],
}


def tile_windows(
    chrom_sizes: dict[str, int], seq_len: int, stride: int, exclude: set[str]
) -> pd.DataFrame:
    """Windows of ``seq_len`` bp starting at 0, ``stride``, ... fully inside each chromosome
    not in ``exclude``.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``start``, ``end`` (int64, 0-based half-open), in chromosome then
        position order.
    """
    chroms, starts = [], []
    for chrom, size in chrom_sizes.items():
        if chrom in exclude or size < seq_len:
            continue
        start = np.arange(0, size - seq_len + 1, stride, dtype=np.int64)
        chroms.append(np.full(start.size, chrom, dtype=object))
        starts.append(start)
    if not chroms:
        empty = np.zeros(0, dtype=np.int64)
        return pd.DataFrame({"chrom": pd.Series(dtype=object), "start": empty, "end": empty})
    start = np.concatenate(starts)
    return pd.DataFrame({"chrom": np.concatenate(chroms), "start": start, "end": start + seq_len})


def chromosome_split(
    chroms: np.ndarray, val: list[str], test: list[str], all_chroms: list[str]
) -> np.ndarray:
    """The split of each window by its chromosome: (N,) object, ``train``/``val``/``test``.

    Raises
    ------
    RegflowError
        If a val or test chromosome is not in the genome, or is both val and test.
    """
    known = set(all_chroms)
    for chrom in [*val, *test]:
        if chrom not in known:
            raise RegflowError(f"held-out chromosome {chrom} is not in the genome")
    both = sorted(set(val) & set(test))
    if both:
        raise RegflowError(f"chromosome {both[0]} is named both a val and a test chromosome")
    chroms = np.asarray(chroms).astype(str)
    split = np.full(chroms.size, "train", dtype=object)
    split[np.isin(chroms, val)] = "val"
    split[np.isin(chroms, test)] = "test"
    return split


def build_seqtrack_dataset(
    genome: Path,
    tracks: list[tuple[str, str, Path]],
    chrom_sizes: Path,
    settings: dict,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame, dict]:
    """Genome windows with one-hot sequences and binned track targets.

    Parameters
    ----------
    genome : indexed (or indexable) genome FASTA.
    tracks : ``(name, assay, bigWig path)`` of each target track.
    chrom_sizes : ``chrom<TAB>size`` of the genome.
    settings : the keys of :data:`SETTINGS`: ``seq_len`` (window, bp), ``bin_size`` (bp),
        ``crop_bins`` (dropped at each end), ``stride`` (bp between window starts),
        ``max_shift`` (bp of sequence added at each end), ``val_chromosomes``,
        ``test_chromosomes``, ``exclude_chromosomes`` (no windows).

    Returns
    -------
    arrays : ``sequences`` (W, seq_len + 2 max_shift, 4) uint8; ``targets``
        (W, seq_len // bin_size - 2 crop_bins, T) float32 mean track value per bin;
        ``track_names`` (T,) str; ``assays`` (T,) str.
    windows : ``chrom``, ``start``, ``end`` (the window the targets cover), ``split``.
    tracks_table : ``name``, ``assay``, ``path``.
    record : inputs, settings, shapes, split sizes and the mean target of each track.

    Raises
    ------
    RegflowError
        For bad settings or tracks, no window, or a FASTA or bigWig lacking a chromosome.
    """
    from regflow.expression.io import open_genome
    from regflow.qc.io import read_chrom_sizes

    settings = _checked(settings)
    seq_len, bin_size, crop = settings["seq_len"], settings["bin_size"], settings["crop_bins"]
    shift = settings["max_shift"]
    n_bins = seq_len // bin_size - 2 * crop
    tracks_table = _tracks_table(tracks)
    sizes = read_chrom_sizes(chrom_sizes)
    windows = tile_windows(sizes, seq_len, settings["stride"], set(settings["exclude_chromosomes"]))
    if windows.empty:
        raise RegflowError(
            f"no {seq_len}-bp window fits on the chromosomes of {chrom_sizes} "
            f"(excluding {', '.join(settings['exclude_chromosomes']) or 'none'})"
        )
    windows["split"] = chromosome_split(
        windows["chrom"].to_numpy(),
        settings["val_chromosomes"],
        settings["test_chromosomes"],
        list(sizes),
    )
    by_chrom = windows.groupby("chrom", sort=False).indices  # chrom -> (w,) row indices
    for name, path in zip(tracks_table["name"], tracks_table["path"], strict=True):
        with closing(open_bigwig(path, f"bigWig of track {name}")) as bw:
            missing = [chrom for chrom in by_chrom if chrom not in bw.chroms()]
        if missing:
            raise RegflowError(f"bigWig {path} of track {name} has no chromosome {missing[0]}")

    starts = windows["start"].to_numpy(dtype=np.int64)
    width = seq_len + 2 * shift
    sequences = np.zeros((len(windows), width, 4), dtype=np.uint8)
    with closing(open_genome(genome)) as fasta:
        for i, (chrom, start) in enumerate(zip(windows["chrom"], starts, strict=True)):
            sequences[i] = fetch_onehot(
                fasta, chrom, int(start) - shift, int(start) - shift + width
            )

    targets = np.zeros((len(windows), n_bins, len(tracks_table)), dtype=np.float32)
    for t, (name, path) in enumerate(zip(tracks_table["name"], tracks_table["path"], strict=True)):
        with closing(open_bigwig(path, f"bigWig of track {name}")) as bw:
            for chrom, rows in by_chrom.items():
                values = bigwig_values(bw, chrom, 0, sizes[chrom], path)  # (chrom length,)
                for row in rows:
                    window = values[starts[row] : starts[row] + seq_len]  # (seq_len,)
                    targets[row, :, t] = bin_means(window, bin_size)[crop : crop + n_bins]

    arrays = {
        "sequences": sequences,
        "targets": targets,
        "track_names": tracks_table["name"].to_numpy().astype(str),
        "assays": tracks_table["assay"].to_numpy().astype(str),
    }
    record = {
        "inputs": {
            "genome": str(genome),
            "chrom_sizes": str(chrom_sizes),
            "tracks": tracks_table.to_dict(orient="records"),
        },
        "settings": settings,
        "input_length": width,
        "output_bins": n_bins,
        "output_length": n_bins * bin_size,
        "n_windows": int(len(windows)),
        "n_tracks": int(len(tracks_table)),
        "splits": {
            split: int((windows["split"] == split).sum()) for split in ("train", "val", "test")
        },
        "track_means": {
            name: float(targets[:, :, t].mean()) for t, name in enumerate(tracks_table["name"])
        },
    }
    return arrays, windows, tracks_table, record


def _checked(settings: dict) -> dict:
    """The settings, checked for keys, types and ranges."""
    settings = check_settings(settings, SETTINGS, "sequence-to-track")
    for key in ("seq_len", "bin_size", "stride"):
        if settings[key] < 1:
            raise RegflowError(
                f"sequence-to-track setting {key!r} must be >= 1, got {settings[key]}"
            )
    for key in ("crop_bins", "max_shift"):
        if settings[key] < 0:
            raise RegflowError(
                f"sequence-to-track setting {key!r} must be >= 0, got {settings[key]}"
            )
    seq_len, bin_size = settings["seq_len"], settings["bin_size"]
    if seq_len % bin_size:
        raise RegflowError(
            f"sequence-to-track setting 'seq_len' ({seq_len}) is not a multiple of "
            f"'bin_size' ({bin_size})"
        )
    if seq_len // bin_size - 2 * settings["crop_bins"] < 1:
        raise RegflowError(
            f"sequence-to-track settings leave no output bin: {seq_len // bin_size} bins less "
            f"2 x crop_bins {settings['crop_bins']}"
        )
    return settings


def _tracks_table(tracks: list[tuple[str, str, Path]]) -> pd.DataFrame:
    """The tracks as a table ``name``, ``assay``, ``path``; names must be unique."""
    if not tracks:
        raise RegflowError("a sequence-to-track dataset needs at least one track")
    table = pd.DataFrame(
        [(str(name), str(assay), str(path)) for name, assay, path in tracks],
        columns=["name", "assay", "path"],
    )
    duplicated = table["name"][table["name"].duplicated()]
    if not duplicated.empty:
        raise RegflowError(f"track name {duplicated.iloc[0]} is given twice")
    return table
