"""Helpers for the workflow tests: run Snakemake on the repository's Snakefile in a scratch
working directory holding a copy of config/, so that nothing is written into the repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A scratch working directory with a copy of the repository's config/."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


@pytest.fixture
def snakemake(workdir: Path):
    """``snakemake(*args)``: run this interpreter's Snakemake on the repository's Snakefile
    in ``workdir``; returns the completed process (exit status, stdout, stderr)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), *args],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
