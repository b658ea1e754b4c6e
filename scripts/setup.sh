#!/usr/bin/env bash
# Create (once) the project's virtual environment .venv and install regflow into it, editable,
# with the development tools. Safe to run again: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV=.venv
# Command-line tools the rules call, from Debian's packages (apt-get install <package>).
DEBIAN_TOOLS=(bowtie2:bowtie2 samtools:samtools fastp:fastp tabix:tabix bgzip:tabix
    featureCounts:subread salmon:salmon)
# A single-node SLURM cluster for tests/slurm (a real `snakemake --profile slurm` run). Installed
# with the tools above when root; otherwise only noted, and those tests skip.
DEBIAN_SLURM_TOOLS=(slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client squeue:slurm-client
    scontrol:slurm-client munged:munge)
die() {
    echo "setup.sh: error: $*" >&2
    exit 1
}

if [[ ! -x "$VENV/bin/python" ]]; then
    PYTHON=""
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then
            PYTHON=$candidate
            break
        fi
    done
    [[ -n "$PYTHON" ]] || die "no python3.11 or python3 on PATH (regflow needs Python >= 3.11)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "$PYTHON is $("$PYTHON" --version 2>&1); regflow needs Python >= 3.11"
    echo "setup.sh: creating $VENV with $("$PYTHON" --version 2>&1)" >&2
    rm -rf "$VENV"
    if "$PYTHON" -c 'import ensurepip' >/dev/null 2>&1; then
        "$PYTHON" -m venv "$VENV" || die "could not create $VENV"
    else
        # Debian and Ubuntu ship ensurepip separately (package python3-venv): make the venv
        # without pip, then install pip from PyPI with pip's own wheel.
        echo "setup.sh: no ensurepip (Debian: apt-get install python3-venv); fetching pip" >&2
        "$PYTHON" -m venv --without-pip "$VENV" || die "could not create $VENV"
        "$VENV/bin/python" - <<'PY' || die "could not install pip into $VENV"
import json, subprocess, sys, tempfile, urllib.parse, urllib.request
from pathlib import Path

index = "https://pypi.org/pypi/pip/json"
release = json.load(urllib.request.urlopen(index, timeout=60))
wheel = next(u for u in release["urls"] if u["packagetype"] == "bdist_wheel")
path = Path(tempfile.mkdtemp()) / wheel["filename"]
url = urllib.parse.urljoin(index, wheel["url"])
path.write_bytes(urllib.request.urlopen(url, timeout=120).read())
subprocess.run([sys.executable, f"{path}/pip", "install", "--quiet", str(path)], check=True)
PY
    fi
fi

STAMP="$VENV/.regflow-installed"
if [[ ! -f "$STAMP" || pyproject.toml -nt "$STAMP" ]]; then
    echo "setup.sh: installing regflow and its dependencies into $VENV" >&2
    # PyTorch first and alone, so that the pinned build already present (a local CPU wheel
    # where pip's find-links has one) satisfies the models extra and no newer CUDA build is
    # pulled in. For a CUDA build choose PyTorch's own index (PIP_INDEX_URL) before running.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "torch==2.13.0" ||
        die "pip install torch failed (see above)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --editable ".[dev,models]" || die "pip install failed (see above)"
    # Compile TF-MoDISco's, TOMTOM's and tangermeme's numba kernels into their caches now,
    # once, instead of in the first workflow jobs that use them (about a minute each).
    echo "setup.sh: compiling the numba kernels (about a minute, once)" >&2
    "$VENV/bin/python" -m regflow.interpret.jit_cache >&2 || die "compiling numba kernels failed"
    touch "$STAMP"
fi

missing=()
for entry in "${DEBIAN_TOOLS[@]}"; do
    command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
missing_slurm=()
for entry in "${DEBIAN_SLURM_TOOLS[@]}"; do
    # the daemons live in /usr/sbin, which a user's PATH may lack
    PATH="$PATH:/usr/sbin:/sbin" command -v "${entry%%:*}" >/dev/null 2>&1 ||
        missing_slurm+=("${entry#*:}")
done
if ((${#missing_slurm[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        missing+=("${missing_slurm[@]}")
    else
        slurm_packages=$(printf '%s\n' "${missing_slurm[@]}" | sort -u | tr '\n' ' ')
        echo "setup.sh: note: no SLURM for tests/slurm (they skip); as root: apt-get install $slurm_packages" >&2
    fi
fi
if ((${#missing[@]})); then
    packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "setup.sh: installing Debian packages: $packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq || die "apt-get update failed"
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $packages >/dev/null ||
            die "apt-get install $packages failed"
    else
        die "missing command-line tools; install the Debian packages: $packages (as root: apt-get install $packages), or put the tools on PATH"
    fi
fi
