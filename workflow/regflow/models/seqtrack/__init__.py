"""Sequence-to-track models behind one interface: one-hot DNA ``(B, L, 4)`` -> non-negative
tracks ``(B, L // bin_size - 2 * crop_bins, n_tracks)``.

The five models of the 1D-Swin paper's comparison (seed 001): ``maxpool_cnn``,
``attnpool_cnn``, ``dilated_cnn``, ``enformer`` and ``swin``. Each is a trunk to bin
resolution, a crop and a pointwise Softplus head, built from the shared length fields plus the
model's own parameters (a YAML section; ``PRESETS`` in each module has the tiny and paper sizes).
"""

from __future__ import annotations

from typing import Any

from regflow.models.seqtrack.cnn import (
    AttnPoolCNN,
    CNNConfig,
    DilatedCNN,
    DilatedCNNConfig,
    MaxPoolCNN,
)
from regflow.models.seqtrack.common import SeqTrackConfig, SeqTrackModel, output_bins
from regflow.models.seqtrack.enformer import Enformer, EnformerConfig
from regflow.models.seqtrack.swin import Swin1D, SwinConfig

MODEL_NAMES = ("maxpool_cnn", "attnpool_cnn", "dilated_cnn", "enformer", "swin")

_MODELS: dict[str, tuple[type[SeqTrackConfig], type[SeqTrackModel]]] = {
    "maxpool_cnn": (CNNConfig, MaxPoolCNN),
    "attnpool_cnn": (CNNConfig, AttnPoolCNN),
    "dilated_cnn": (DilatedCNNConfig, DilatedCNN),
    "enformer": (EnformerConfig, Enformer),
    "swin": (SwinConfig, Swin1D),
}

_SHARED = ("seq_len", "bin_size", "crop_bins", "n_tracks")


def build_config(
    name: str, params: dict[str, Any], *, seq_len: int, bin_size: int, crop_bins: int, n_tracks: int
) -> SeqTrackConfig:
    """The validated config of model ``name`` from its parameters and the shared lengths.

    Raises ``ValueError`` for an unknown name (listing the known ones), for unknown or
    missing parameters, for a parameter that repeats a shared length field, and for lengths
    the model cannot produce.
    """
    if name not in _MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of: {', '.join(MODEL_NAMES)}")
    repeated = sorted(set(params) & set(_SHARED))
    if repeated:
        raise ValueError(
            f"model parameters of {name!r} must not set {', '.join(repeated)}; the lengths and "
            "track count come from the dataset"
        )
    config_cls = _MODELS[name][0]
    shared = {"seq_len": seq_len, "bin_size": bin_size, "crop_bins": crop_bins}
    return config_cls.from_dict({**params, **shared, "n_tracks": n_tracks})


def build_model(
    name: str, params: dict[str, Any], *, seq_len: int, bin_size: int, crop_bins: int, n_tracks: int
) -> SeqTrackModel:
    """Model ``name`` (one of :data:`MODEL_NAMES`) with its parameters ``params``.

    The model maps ``(B, seq_len, 4)`` to ``(B, output_bins(seq_len, bin_size, crop_bins),
    n_tracks)``; errors as in :func:`build_config`.
    """
    config = build_config(
        name, params, seq_len=seq_len, bin_size=bin_size, crop_bins=crop_bins, n_tracks=n_tracks
    )
    return _MODELS[name][1](config)


def model_from_settings(
    settings: dict[str, Any], lengths: dict[str, int], n_tracks: int
) -> SeqTrackModel:
    """The model a training run's ``settings`` (``name``, ``model``) describe, sized for a
    dataset's ``lengths`` (``seq_len``, ``bin_size``, ``crop_bins``); errors as in
    :func:`build_config` (a missing key raises ``KeyError``)."""
    return build_model(
        settings["name"],
        settings["model"],
        seq_len=lengths["seq_len"],
        bin_size=lengths["bin_size"],
        crop_bins=lengths["crop_bins"],
        n_tracks=n_tracks,
    )


__all__ = [
    "MODEL_NAMES",
    "AttnPoolCNN",
    "CNNConfig",
    "DilatedCNN",
    "DilatedCNNConfig",
    "Enformer",
    "EnformerConfig",
    "MaxPoolCNN",
    "SeqTrackConfig",
    "SeqTrackModel",
    "Swin1D",
    "SwinConfig",
    "build_config",
    "build_model",
    "model_from_settings",
    "output_bins",
]
