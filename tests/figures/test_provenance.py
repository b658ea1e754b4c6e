"""Provenance: package and tool versions, and what is recorded when one is missing."""

from __future__ import annotations

import sys

from regflow.figures import provenance


def test_versions_of_installed_and_missing_packages():
    assert provenance.package_version("numpy")[0].isdigit()
    assert provenance.package_version("no-such-package-regflow") == "not installed"


def test_tool_version_prints_the_first_line_or_why_not():
    assert provenance.tool_version(sys.executable, "--version").startswith("Python 3")
    assert provenance.tool_version("no-such-tool-regflow", "--version") == "not found"
    assert "exited with status" in provenance.tool_version(sys.executable, "--no-such-flag")


def test_versions_table_names_python_snakemake_and_the_tools():
    table = provenance.versions_table("9.1.0")
    names = set(table["name"])
    assert {"python", "snakemake", "regflow", "numpy", "bowtie2", "salmon"} <= names
    assert table.set_index("name").loc["snakemake", "version"] == "9.1.0"
