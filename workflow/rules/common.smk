# Shared by every stage: the package on the path, config and sample sheet validation,
# wildcard constraints and input functions.

import json  # json and re: also for the stage rule files
import os
import re
import shlex
import sys
from pathlib import Path

import jsonschema
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The regflow package lives in workflow/regflow. Put it on the path of this process (for the
# imports below), of every job (python -m regflow in rule shells, also on cluster nodes, which
# re-read this file) and of shell commands run in conda envs, where Snakemake drops
# PYTHONPATH from the environment unless --conda-not-block-search-path-envvars is given.
REGFLOW_PYTHONPATH = os.path.join(workflow.basedir, "workflow")
if REGFLOW_PYTHONPATH not in sys.path:
    sys.path.insert(0, REGFLOW_PYTHONPATH)
_search_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if REGFLOW_PYTHONPATH not in _search_path:
    os.environ.update(PYTHONPATH=os.pathsep.join([REGFLOW_PYTHONPATH, *_search_path]))
# shell.prefix() replaces Snakemake's default "set -euo pipefail; " and formats its argument
# like a shell command, hence the doubled braces.
shell.prefix(
    "set -euo pipefail; "
    + "export PYTHONPATH="
    + shlex.quote(REGFLOW_PYTHONPATH).replace("{", "{{").replace("}", "}}")
    + "${{PYTHONPATH:+:$PYTHONPATH}}; "
)

from regflow.errors import RegflowError
from regflow.samplesheet import read_sample_sheet, validate_sample_sheet

SIM_DIR = "results/simulate"
SIMULATED_FASTQ_DIR = f"{SIM_DIR}/fastq/"


def load_samples(path):
    """The sample sheet at ``path``, checked, indexed by sample name; stops on any problem."""
    sheet = read_sample_sheet(path)
    if config["simulate"]["enabled"]:
        produced = {
            fastq
            for column in ("fastq_1", "fastq_2")
            if column in sheet.columns
            for fastq in sheet[column]
            if fastq.startswith(SIMULATED_FASTQ_DIR)
        }
    else:
        produced = set()
    samples = validate_sample_sheet(
        sheet,
        path,
        base_dir=".",
        produced=produced,
        condition_required_for=config["sample_sheet"]["condition_required_for"],
    )
    try:
        validate(samples, "../schemas/samples.schema.yaml")
    except WorkflowError as err:
        # Only reached for a check the schema makes and validate_sample_sheet does not.
        row = int(re.search(r"row (\d+)", str(err)).group(1))
        sample = samples["sample"].iloc[row]
        raise RegflowError(
            f"{path} row {row + 1} (sample {sample!r}): {schema_problem(err)}"
        ) from None
    return samples


def schema_problem(err):
    """The gist, in one line, of a schema violation reported by snakemake.utils.validate."""
    cause = err.__context__
    if isinstance(cause, jsonschema.ValidationError):
        where = ".".join(str(part) for part in cause.absolute_path)
        return f"{where}: {cause.message}" if where else cause.message
    return str(err).splitlines()[0]


def stop(message):
    """Stop Snakemake while it reads the workflow: one line on stderr, no traceback."""
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as err:
    stop(f"invalid config: {schema_problem(err)} (see config/README.md)")

try:
    SAMPLES = load_samples(config["samples"])
except RegflowError as err:
    stop(err)


def name_choice(names):
    """A wildcard regex matching exactly these names (one that matches nothing when empty)."""
    return "|".join(re.escape(n) for n in sorted(set(names))) or "(?!)"


wildcard_constraints:
    sample=name_choice(SAMPLES["sample"]),
    condition=name_choice(SAMPLES["condition"][SAMPLES["condition"] != ""]),


def all_fastqs():
    """Every FASTQ named in the sample sheet (read 1, then read 2 where paired-end)."""
    return [
        fastq
        for sample in SAMPLES.itertuples()
        for fastq in (sample.fastq_1, sample.fastq_2)
        if fastq
    ]


# The simulated dataset (simulate.smk).
SIM_CONDITIONS = [c["name"] for c in config["simulate"]["conditions"]]


def simulated_rows():
    """Sample-sheet rows whose FASTQ the simulator writes (none when simulation is off)."""
    if not config["simulate"]["enabled"]:
        return SAMPLES.iloc[0:0]
    return SAMPLES[SAMPLES["fastq_1"].str.startswith(SIMULATED_FASTQ_DIR)]


def simulated_samples(paired):
    """Simulated samples that are paired-end, or single-end."""
    rows = simulated_rows()
    return sorted(rows.index[(rows["fastq_2"] != "") == paired])


for _row, _sample in enumerate(SAMPLES.itertuples(), start=1):
    if _sample.Index in simulated_rows().index and _sample.condition not in SIM_CONDITIONS:
        stop(
            f"{config['samples']} row {_row} (sample {_sample.Index!r}): condition "
            f"{_sample.condition!r} is not simulated; add it under simulate.conditions "
            f"(simulated: {', '.join(SIM_CONDITIONS)})"
        )


def simulated_reads_config(sample):
    """The parts of the simulate config one sample's reads depend on, as JSON."""
    sim = config["simulate"]
    assay = SAMPLES.loc[sample, "assay"]
    return json.dumps(
        {"seed": sim["seed"], "sequencing": sim["sequencing"], assay: sim[assay]},
        sort_keys=True,
    )
