"""A training run's outputs: weights, resolved settings, metrics, predictions, curves."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from regflow.io import write_outputs


def curves_figure(history: pd.DataFrame, title: str):
    """Training and validation loss per epoch (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    for column, style in (("train_loss", "-"), ("val_loss", "--")):
        if column in history and history[column].notna().any():
            rows = history[history[column].notna()]
            ax.plot(rows["epoch"] + 1, rows[column], style, marker="o", ms=3, label=column)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return fig


def write_run(
    outdir: Path,
    state_dict: dict,
    settings: dict,
    metrics: dict,
    predictions: pd.DataFrame,
    history: pd.DataFrame,
    title: str,
    extra: dict[Path, Callable[[Path], None]] | None = None,
) -> None:
    """Write every output of a run together (all or none).

    ``model.safetensors`` (best weights), ``config.yaml`` (resolved settings),
    ``metrics.json``, ``predictions.tsv``, ``history.tsv`` and ``curves.png``, plus any
    ``extra`` outputs (path -> writer of a temporary path) a model adds.
    """
    from safetensors.torch import save_file

    def weights(tmp: Path) -> None:
        save_file({k: v.detach().cpu().contiguous() for k, v in state_dict.items()}, str(tmp))

    def curves(tmp: Path) -> None:
        import matplotlib.pyplot as plt

        fig = curves_figure(history, title)
        fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)

    outdir = Path(outdir)
    write_outputs(
        {
            outdir / "model.safetensors": weights,
            outdir / "config.yaml": lambda tmp: Path(tmp).write_text(
                yaml.safe_dump(settings, sort_keys=False), encoding="utf-8"
            ),
            outdir / "metrics.json": lambda tmp: Path(tmp).write_text(
                json.dumps(metrics, indent=2, default=_json_number) + "\n", encoding="utf-8"
            ),
            outdir / "predictions.tsv": lambda tmp: predictions.to_csv(
                tmp, sep="\t", index=False, float_format="%.6g"
            ),
            outdir / "history.tsv": lambda tmp: history.to_csv(
                tmp, sep="\t", index=False, float_format="%.6g"
            ),
            outdir / "curves.png": curves,
            **(extra or {}),
        }
    )


def _json_number(value):
    """JSON for numpy scalars; NaN stays NaN (Python's json writes it as NaN)."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
