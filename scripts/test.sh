#!/usr/bin/env bash
# All checks, in order: lint and format (Python and Snakemake), Snakemake's own linter,
# then the unit and workflow tests. Stops at the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

step() { printf '\n==> %s\n' "$*" >&2; }

step "ruff check"
ruff check .
step "ruff format --check"
ruff format --check .
step "snakefmt --check"
snakefmt --check Snakefile workflow/rules
step "snakemake --lint"
snakemake --lint
step "pytest"
pytest -q tests
