"""Provenance of a run: the resolved configuration and the versions of the software it used."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

import pandas as pd

#: Python distributions whose versions are recorded (the regflow package's dependencies).
PACKAGES = ("regflow", "numpy", "pandas", "scipy", "pysam", "pyBigWig", "MACS3", "anndata")
PACKAGES += ("matplotlib", "pyjaspar", "torch", "lightning", "scikit-learn", "tangermeme")
PACKAGES += ("modisco-lite", "memelite", "gprofiler-official")

#: Command-line tools and the argument that prints their version.
TOOLS = {
    "bowtie2": "--version",
    "samtools": "--version",
    "fastp": "--version",
    "tabix": "--version",
    "featureCounts": "-v",
    "salmon": "--version",
    "macs3": "--version",
}


def package_version(name: str) -> str:
    """The installed version of a Python distribution, or ``not installed``."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def tool_version(tool: str, flag: str) -> str:
    """The first non-empty line a tool prints for its version flag (stdout, else stderr), or why
    there is none."""
    try:
        done = subprocess.run(
            [tool, flag], capture_output=True, text=True, errors="replace", timeout=60, check=True
        )
    except FileNotFoundError:
        return "not found"
    except subprocess.CalledProcessError as err:
        return f"{flag} exited with status {err.returncode}"
    except subprocess.TimeoutExpired:
        return f"{flag} timed out"
    lines = [line.strip() for line in (done.stdout + "\n" + done.stderr).splitlines()]
    return next((line for line in lines if line), "no output")


def versions_table(snakemake_version: str) -> pd.DataFrame:
    """One row per component (kind, name, version): Python, Snakemake (as the workflow ran it),
    the Python packages of :data:`PACKAGES` and the tools of :data:`TOOLS`."""
    rows = [("interpreter", "python", platform.python_version())]
    rows.append(("workflow engine", "snakemake", snakemake_version))
    rows += [("python package", name, package_version(name)) for name in PACKAGES]
    rows += [("command-line tool", tool, tool_version(tool, flag)) for tool, flag in TOOLS.items()]
    return pd.DataFrame(rows, columns=["kind", "name", "version"])
