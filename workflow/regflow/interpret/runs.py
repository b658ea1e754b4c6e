"""A training run's directory as interpretation reads it: settings and weights, with errors
that name the file."""

from __future__ import annotations

from pathlib import Path

from regflow.errors import RegflowError


def read_run_settings(run_dir: Path, sections: tuple[str, ...]) -> dict:
    """A run's ``config.yaml`` (its resolved settings), which must hold ``sections``."""
    import yaml

    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise RegflowError(f"run config {path} does not exist")
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise RegflowError(f"run config {path} is not valid YAML: {err}") from None
    if not isinstance(settings, dict):
        raise RegflowError(f"run config {path} must hold a mapping of settings")
    missing = [s for s in sections if s not in settings]
    if missing:
        raise RegflowError(f"run config {path} lacks {', '.join(missing)}")
    return settings


def read_run_weights(run_dir: Path) -> dict:
    """A run's ``model.safetensors`` as a state dict; errors name the file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(run_dir) / "model.safetensors"
    if not path.is_file():
        raise RegflowError(f"model weights {path} do not exist")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise RegflowError(f"model weights {path} cannot be read: {err}") from None


def fit_weights(model, state: dict, run_dir: Path) -> None:
    """Load ``state`` (from :func:`read_run_weights`) into ``model``, in place."""
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        raise RegflowError(
            f"model weights {Path(run_dir) / 'model.safetensors'} do not fit the model of "
            f"{Path(run_dir) / 'config.yaml'}: {lines[-1]}"
        ) from None
