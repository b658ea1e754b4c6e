"""Load a workflow config file outside Snakemake, validated and with the schema's defaults."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "config.schema.yaml"


def merge(base: dict, overrides: dict) -> dict:
    """A copy of ``base`` with ``overrides`` merged in, nested dicts key by key."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(path: Path, overrides: dict | None = None) -> dict:
    """Read ``path``, merge ``overrides``, validate against the schema and fill defaults."""
    from snakemake.utils import validate

    config = merge(yaml.safe_load(Path(path).read_text()) or {}, overrides or {})
    validate(config, str(SCHEMA), set_default=True)
    return config
