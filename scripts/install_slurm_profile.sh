#!/usr/bin/env bash
# Install regflow's SLURM cluster profile (config/slurm/) as the Snakemake profile `slurm`, in
# ${XDG_CONFIG_HOME:-~/.config}/snakemake/slurm/, where `snakemake --profile slurm` finds it.
# It is installed there, not in the working directory, so that it never shadows a profile of
# your own by accident: an existing profile is left alone unless --force is given.
set -euo pipefail

usage="usage: scripts/install_slurm_profile.sh [--force]"
die() {
    echo "install_slurm_profile.sh: error: $*" >&2
    exit 1
}

force=0
for arg in "$@"; do
    case "$arg" in
    --force) force=1 ;;
    -h | --help)
        echo "$usage"
        echo "Copies config/slurm/config.yaml to \${XDG_CONFIG_HOME:-~/.config}/snakemake/slurm/;"
        echo "--force replaces the config.yaml of a profile already there (other files stay)."
        exit 0
        ;;
    *) die "unknown argument '$arg' ($usage)" ;;
    esac
done

source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/config/slurm"
[[ -f "$source_dir/config.yaml" ]] || die "$source_dir/config.yaml is missing"
config_home="${XDG_CONFIG_HOME:-${HOME:?HOME is not set}/.config}"
target="$config_home/snakemake/slurm"

if [[ -e "$target" ]]; then
    ((force)) || die "a Snakemake profile already exists at $target (compare it with $source_dir/config.yaml, or run with --force to replace its config.yaml)"
    [[ -d "$target" ]] || die "$target exists and is not a folder"
fi
mkdir -p -- "$target" || die "could not create $target"
cp -- "$source_dir/config.yaml" "$target/config.yaml" || die "could not copy to $target"
echo "install_slurm_profile.sh: installed $target/config.yaml; edit its EDIT lines (partition," \
    "account, status command), then run: snakemake --profile slurm" >&2
