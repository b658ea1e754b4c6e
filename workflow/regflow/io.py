"""Small I/O helpers shared by the stages."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``, renamed to ``path`` only if the block succeeds.

    A failed step leaves no partial output behind. The temporary name keeps the file's
    extensions, so tools that infer the format from the name still work.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp.{os.getpid()}.{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_outputs(writers: dict[Path, Callable[[Path], None]]) -> None:
    """Write several outputs all or none: each writer writes its own temporary path, and the
    files are renamed into place only once every writer has succeeded."""
    with contextlib.ExitStack() as stack:
        for final, write in writers.items():
            write(stack.enter_context(atomic_output(final)))


def read_json_object(path: Path, what: str = "metrics JSON") -> dict:
    """Read a JSON file that must hold one object; errors name ``what`` and the path."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RegflowError(f"{what} {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict):
        raise RegflowError(f"{what} {path} must hold a JSON object")
    return data


def npz_writer(arrays: dict[str, np.ndarray]) -> Callable[[Path], None]:
    """A writer for :func:`write_outputs`: ``arrays`` as a compressed ``.npz`` (written through a
    handle, so numpy appends no second ``.npz`` to the temporary name)."""

    def write(path: Path) -> None:
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **arrays)

    return write


def read_npz(path: Path, keys: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """Arrays ``keys`` of an ``.npz``; errors name ``what``, the file and any missing array."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in keys if key not in data.files]
            if missing:
                raise RegflowError(f"{what} {path} lacks arrays: {', '.join(missing)}")
            return {key: data[key] for key in keys}
    except (OSError, ValueError) as err:
        raise RegflowError(f"{what} {path} is not a readable .npz file: {err}") from None


def json_object(text: str, option: str) -> dict:
    """A JSON object given on the command line as ``option``; anything else is a named error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise RegflowError(f"{option} is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise RegflowError(f"{option} must be a JSON object, got {type(value).__name__}")
    return value
