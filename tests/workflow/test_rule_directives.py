"""Every rule that runs something declares ``log:``, ``threads:``, ``resources:`` and a pinned
``conda:`` env from envs/ (DESIGN.md section 5). The workflow is parsed with Snakemake's API;
the checker is first shown to catch each missing directive on a small synthetic Snakefile."""

from __future__ import annotations

import os
import re
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings
from snakemake.workflow import Workflow

REPO = Path(__file__).resolve().parents[2]

CONDA_PIN = re.compile(r"(?:[\w.-]+::)?[\w.-]+==?[0-9][^\s<>=!,|]*(?:=[\w.*]+)?")
PIP_PIN = re.compile(r"[\w.-]+(?:\[[\w,.-]+\])?==[0-9][^\s<>=!,;]*")


def parse_workflow(snakefile: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch):
    """Parse a Snakefile with Snakemake's API, as Snakemake itself does before building a DAG.

    Returns
    -------
    rules
        The workflow's :class:`snakemake.rules.Rule` objects.
    explicit
        ``{rule name: {"threads": bool, "resources": bool}}``: whether the rule sets the
        directive itself (a parsed rule cannot tell ``threads: 1`` from the default).
    """
    explicit: dict[str, dict[str, bool]] = {}
    original_rule = Workflow.rule

    def recording_rule(self, name=None, lineno=None, snakefile=None, checkpoint=False):
        decorate = original_rule(
            self, name=name, lineno=lineno, snakefile=snakefile, checkpoint=checkpoint
        )

        def record(ruleinfo):
            explicit[ruleinfo.name or name] = {
                "threads": ruleinfo.threads is not None,
                "resources": bool(ruleinfo.resources),
            }
            return decorate(ruleinfo)

        return record

    monkeypatch.setattr(Workflow, "rule", recording_rule)
    # The workflow puts the package on sys.path and PYTHONPATH: undo that after the test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    with SnakemakeApi(OutputSettings()) as api:
        workflow_api = api.workflow(
            resource_settings=ResourceSettings(cores=1), snakefile=snakefile, workdir=workdir
        )
        rules = list(workflow_api._workflow.rules)
    return rules, explicit


def unpinned(env_file: Path) -> list[str]:
    """The dependencies of a conda env file that are not pinned to a version."""
    spec = yaml.safe_load(env_file.read_text()) or {}
    loose = []
    for dependency in spec.get("dependencies") or []:
        if isinstance(dependency, dict):
            loose += [f"pip: {d}" for d in dependency.get("pip", []) if not PIP_PIN.fullmatch(d)]
        elif not CONDA_PIN.fullmatch(str(dependency).replace(" ", "")):
            loose.append(str(dependency))
    if not spec.get("dependencies"):
        loose.append("(no dependencies listed)")
    return loose


def directive_problems(rules, explicit, envs_dir: Path) -> list[str]:
    """One line per missing or bad directive; rules that run nothing (``all``) are exempt."""
    problems = []
    for rule in rules:
        if rule.norun:  # a target-only rule: no shell, run, script, notebook or wrapper
            continue
        where = f"rule {rule.name} ({Path(rule.snakefile).name})"
        if not rule.log:
            problems.append(f"{where}: no log:")
        if not explicit[rule.name]["threads"]:
            problems.append(f"{where}: no threads:")
        if not explicit[rule.name]["resources"]:
            problems.append(f"{where}: no resources:")
        env = rule.conda_env
        if not env:
            problems.append(f"{where}: no conda:")
            continue
        if not isinstance(env, str):
            problems.append(f"{where}: conda: is not a fixed file path: {env!r}")
            continue
        env_file = (Path(rule.snakefile).parent / env).resolve()
        if env_file.parent != envs_dir.resolve():
            problems.append(f"{where}: conda env {env} is not in {envs_dir.name}/")
        elif not env_file.is_file():
            problems.append(f"{where}: conda env {env} not found")
        else:
            problems += [f"{where}: conda env {env} does not pin {d}" for d in unpinned(env_file)]
    return problems


def test_every_rule_has_log_threads_resources_and_pinned_conda(workdir, monkeypatch):
    rules, explicit = parse_workflow(REPO / "Snakefile", workdir, monkeypatch)
    assert {"all", "simulate_truth"} <= {rule.name for rule in rules}
    assert directive_problems(rules, explicit, REPO / "envs") == []


SYNTHETIC = """
rule all:
    input:
        "ok.txt",

rule ok:
    output:
        "ok.txt",
    log:
        "logs/ok.log",
    threads: 1
    resources:
        mem_mb=100,
    conda:
        "envs/pinned.yaml"
    shell:
        "touch {output} 2> {log}"

rule no_log:
    output:
        "no_log.txt",
    threads: 1
    resources:
        mem_mb=100,
    conda:
        "envs/pinned.yaml"
    shell:
        "touch {output}"

rule bare:
    output:
        "bare.txt",
    log:
        "logs/bare.log",
    shell:
        "touch {output} 2> {log}"

rule loose_env:
    output:
        "loose.txt",
    log:
        "logs/loose.log",
    threads: 2
    resources:
        runtime=5,
    conda:
        "envs/loose.yaml"
    shell:
        "touch {output} 2> {log}"

rule stray_env:
    output:
        "stray.txt",
    log:
        "logs/stray.log",
    threads: 1
    resources:
        mem_mb=100,
    conda:
        "elsewhere.yaml"
    shell:
        "touch {output} 2> {log}"
"""


def test_checker_catches_each_missing_directive(tmp_path, monkeypatch):
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "pinned.yaml").write_text(
        "channels: [conda-forge]\n"
        "dependencies:\n  - python=3.11\n  - samtools=1.21\n  - pip:\n      - pyjaspar==4.0.0\n"
    )
    (tmp_path / "envs" / "loose.yaml").write_text(
        "dependencies:\n  - python>=3.11\n  - samtools\n  - pip:\n      - pyjaspar\n"
    )
    (tmp_path / "elsewhere.yaml").write_text("dependencies:\n  - python=3.11\n")
    (tmp_path / "Snakefile").write_text(textwrap.dedent(SYNTHETIC))

    rules, explicit = parse_workflow(tmp_path / "Snakefile", tmp_path, monkeypatch)

    assert directive_problems(rules, explicit, tmp_path / "envs") == [
        "rule no_log (Snakefile): no log:",
        "rule bare (Snakefile): no threads:",
        "rule bare (Snakefile): no resources:",
        "rule bare (Snakefile): no conda:",
        "rule loose_env (Snakefile): conda env envs/loose.yaml does not pin python>=3.11",
        "rule loose_env (Snakefile): conda env envs/loose.yaml does not pin samtools",
        "rule loose_env (Snakefile): conda env envs/loose.yaml does not pin pip: pyjaspar",
        "rule stray_env (Snakefile): conda env elsewhere.yaml is not in envs/",
    ]
