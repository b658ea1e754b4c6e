#!/usr/bin/env bash
# Run the demo end to end: simulate the dataset described by config/config.yaml and
# config/samples.tsv, then every stage after it. Extra arguments go to snakemake, e.g.
#   bash scripts/demo.sh --cores 4      bash scripts/demo.sh -n
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

snakemake --cores 2 "$@"
