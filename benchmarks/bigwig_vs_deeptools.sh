#!/usr/bin/env bash
# regflow bigwig vs deeptools bamCoverage: time, peak memory and agreement on one paired-end BAM.
#
# Usage: bash benchmarks/bigwig_vs_deeptools.sh BAM CHROM_SIZES [REPEATS]
#
#   BAM          coordinate-sorted, indexed, paired-end BAM (e.g. `samtools view -b -f 2 -q 30`)
#   CHROM_SIZES  chrom<TAB>length of the genome the BAM was aligned to
#   REPEATS      timed runs of each tool (default 5; one extra warm-up run each)
#
# Environment (all optional):
#   REGFLOW         regflow executable            (default: <repo>/.venv/bin/regflow)
#   PYTHON          python with numpy + pyBigWig  (default: <repo>/.venv/bin/python)
#   DEEPTOOLS_VENV  venv holding deeptools 3.5.6  (default: <repo>/benchmarks/.venv-deeptools;
#                   created with `python3 -m venv` + pip on first use, outside the main venv)
#   THREADS         -p for bamCoverage, --threads for regflow (default 2)
#   OUTDIR          where the bigWigs and timings go (default: a new temporary folder)
#   EXACT_CHECK     1 (default) also compares both tools with the fragment-length cap of
#                   deeptools lifted (see below); 0 skips it
#   MAX_FRAGMENT    the cap used by that check (default 10000 bp)
#   TIMER           hyperfine (default when installed) or python (a subprocess timing loop)
#
# Timed commands, same BAM, bin size 10, CPM:
#   bamCoverage --bam BAM --binSize 10 --normalizeUsing CPM --extendReads -p 2 -o deeptools.bw
#   regflow bigwig --bam BAM --chrom-sizes CHROM_SIZES --mode coverage --bin-size 10 \
#       --threads 2 --output regflow.bw
# Times are medians over REPEATS runs (hyperfine if installed, else a Python loop); peak memory
# is GNU `/usr/bin/time -v` "Maximum resident set size" of one more run (for bamCoverage that is
# its largest single process; its -p workers are separate processes).
#
# Agreement: max |deeptools - regflow| over every bin of every chromosome (bins missing from a
# file count as 0). Both count, per 10-bp bin, the fragments overlapping it, per million
# fragments. deeptools, however, treats a pair whose |TLEN| exceeds 4 x the median fragment
# length it estimates as two unpaired reads, each extended by that median from its 5' end, so
# with plain --extendReads long fragments differ. The exactness check lifts that cap
# (bamCoverage --maxFragmentLength MAX_FRAGMENT, regflow --max-length MAX_FRAGMENT); the two
# should then agree to deeptools' output precision (it writes values with 6 significant digits).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BAM=$(realpath "$1")
SIZES=$(realpath "$2")
REPEATS=${3:-5}
BIN=10
THREADS=${THREADS:-2}
REGFLOW=${REGFLOW:-$ROOT/.venv/bin/regflow}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
DEEPTOOLS_VENV=${DEEPTOOLS_VENV:-$ROOT/benchmarks/.venv-deeptools}
EXACT_CHECK=${EXACT_CHECK:-1}
MAX_FRAGMENT=${MAX_FRAGMENT:-10000}

die() { echo "bigwig_vs_deeptools: $*" >&2; exit 1; }
[[ -f $BAM ]] || die "no BAM at $1"
[[ -f $BAM.bai || -f ${BAM%.bam}.bai || -f $BAM.csi ]] || die "$BAM has no index (samtools index)"
[[ -f $SIZES ]] || die "no chrom sizes at $2"
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || die "REPEATS must be a positive integer, got $REPEATS"
[[ -x $REGFLOW ]] || die "no regflow at $REGFLOW (pip install -e . in the main venv, or set REGFLOW)"
[[ -x $PYTHON ]] || die "no python at $PYTHON (set PYTHON to one with numpy and pyBigWig)"

# --- deeptools in its own venv ---------------------------------------------------------------
BAMCOVERAGE=$DEEPTOOLS_VENV/bin/bamCoverage
if [[ ! -x $BAMCOVERAGE ]]; then
    echo "installing deeptools 3.5.6 into $DEEPTOOLS_VENV ..." >&2
    [[ -x $DEEPTOOLS_VENV/bin/pip ]] || python3 -m venv "$DEEPTOOLS_VENV"
    "$DEEPTOOLS_VENV/bin/pip" install --quiet deeptools==3.5.6
fi
"$BAMCOVERAGE" --version >/dev/null 2>&1 || die "$BAMCOVERAGE does not run"

OUTDIR=${OUTDIR:-$(mktemp -d -t bigwig_vs_deeptools.XXXXXX)}
mkdir -p "$OUTDIR"
DT_BW=$OUTDIR/deeptools.bw
RF_BW=$OUTDIR/regflow.bw

DT_CMD=("$BAMCOVERAGE" --bam "$BAM" --binSize "$BIN" --normalizeUsing CPM --extendReads
    -p "$THREADS" -o "$DT_BW")
RF_CMD=("$REGFLOW" bigwig --bam "$BAM" --chrom-sizes "$SIZES" --mode coverage --bin-size "$BIN"
    --threads "$THREADS" --output "$RF_BW")

echo "BAM: $BAM" >&2
"$PYTHON" - "$BAM" <<'EOF' >&2
import sys

import pysam

with pysam.AlignmentFile(sys.argv[1]) as bam:
    print(f"mapped reads (index): {bam.mapped:,}")
EOF

# --- timing ----------------------------------------------------------------------------------
quote() { printf '%q ' "$@"; }
TIMER=${TIMER:-$(command -v hyperfine >/dev/null && echo hyperfine || echo python)}
if [[ $TIMER == hyperfine ]]; then
    echo "timing with hyperfine, $REPEATS runs each (+1 warm-up) ..." >&2
    hyperfine --style basic --warmup 1 --runs "$REPEATS" --export-json "$OUTDIR/times.json" \
        -n deeptools "$(quote "${DT_CMD[@]}") >/dev/null 2>&1" \
        -n regflow "$(quote "${RF_CMD[@]}") >/dev/null 2>&1" >&2
    read -r DT_T RF_T < <("$PYTHON" -c '
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(r["deeptools"], r["regflow"])' "$OUTDIR/times.json")
else
    echo "timing with a Python loop, $REPEATS runs each (+1 warm-up; hyperfine: apt-get install hyperfine) ..." >&2
    median_time() {
        "$PYTHON" - "$REPEATS" "$@" <<'EOF'
import statistics
import subprocess
import sys
import time

n, cmd = int(sys.argv[1]), sys.argv[2:]
quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
subprocess.run(cmd, **quiet)  # warm-up
times = []
for _ in range(n):
    t0 = time.perf_counter()
    subprocess.run(cmd, **quiet)
    times.append(time.perf_counter() - t0)
print(statistics.median(times))
EOF
    }
    DT_T=$(median_time "${DT_CMD[@]}")
    RF_T=$(median_time "${RF_CMD[@]}")
fi

# --- peak memory -----------------------------------------------------------------------------
max_rss_mb() {
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -v "$@" 2>&1 >/dev/null \
            | awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}'
    else
        "$PYTHON" -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))' "$@"
    fi
}
DT_RSS=$(max_rss_mb "${DT_CMD[@]}")
RF_RSS=$(max_rss_mb "${RF_CMD[@]}")

# --- agreement -------------------------------------------------------------------------------
compare() {  # a.bw b.bw label
    "$PYTHON" - "$1" "$2" "$SIZES" "$BIN" "$3" <<'EOF'
import sys

import numpy as np
import pyBigWig

a_path, b_path, sizes_path, bin_size, label = sys.argv[1:6]
bin_size = int(bin_size)
sizes = [(c, int(n)) for c, n, *_ in (line.split("\t") for line in open(sizes_path) if line.strip())]


def per_bin(bw, chrom, length):
    """Bin values of one chromosome (entries are bin-aligned: both tools write runs of bins)."""
    out = np.zeros(-(-length // bin_size))
    if chrom not in bw.chroms():
        return out
    iv = np.array(bw.intervals(chrom) or [], dtype=np.float64).reshape(-1, 3)
    starts, ends = iv[:, 0].astype(np.int64), iv[:, 1].astype(np.int64)
    aligned = (starts % bin_size == 0) & ((ends % bin_size == 0) | (ends == length))
    if not aligned.all():
        raise SystemExit(f"{chrom}: entries not aligned to {bin_size}-bp bins")
    first, last = starts // bin_size, -(-ends // bin_size)
    lens = last - first
    idx = np.repeat(first - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
    out[idx] = np.repeat(iv[:, 2], lens)
    return out


a, b = pyBigWig.open(a_path), pyBigWig.open(b_path)
worst, worst_at, n_diff, n_bins, top = 0.0, "", 0, 0, 0.0
for chrom, length in sizes:
    x, y = per_bin(a, chrom, length), per_bin(b, chrom, length)
    d = np.abs(x - y)
    n_bins += d.size
    top = max(top, x.max(initial=0), y.max(initial=0))
    # beyond deeptools' 6 significant digits
    n_diff += int((d > 1e-5 * np.maximum(np.abs(x), np.abs(y)) + 1e-6).sum())
    if d.size and d.max() > worst:
        i = int(d.argmax())
        worst = float(d.max())
        worst_at = f" at {chrom}:{i * bin_size}-{(i + 1) * bin_size} ({x[i]:.6g} vs {y[i]:.6g})"
print(f"{label}: max |difference| per bin {worst:.6g} CPM{worst_at}; largest value {top:.6g};")
print(f"{label}: {n_diff:,} of {n_bins:,} bins differ beyond 6 significant digits")
EOF
}

echo
echo "== bamCoverage vs regflow bigwig: bin $BIN, CPM, $THREADS threads, $REPEATS runs =="
printf '%-10s %10s %12s\n' tool "median s" "max RSS MB"
printf '%-10s %10.3f %12s\n' deeptools "$DT_T" "$DT_RSS"
printf '%-10s %10.3f %12s\n' regflow "$RF_T" "$RF_RSS"
"$PYTHON" -c 'import sys; print(f"regflow is {float(sys.argv[1]) / float(sys.argv[2]):.1f}x faster")' \
    "$DT_T" "$RF_T"
printf '{"deeptools_s": %s, "regflow_s": %s, "deeptools_rss_mb": "%s", "regflow_rss_mb": "%s"}\n' \
    "$DT_T" "$RF_T" "$DT_RSS" "$RF_RSS" >"$OUTDIR/summary.json"
echo
compare "$DT_BW" "$RF_BW" "agreement (plain --extendReads)"

if [[ $EXACT_CHECK == 1 ]]; then
    "$BAMCOVERAGE" --bam "$BAM" --binSize "$BIN" --normalizeUsing CPM --extendReads \
        -p "$THREADS" --maxFragmentLength "$MAX_FRAGMENT" -o "$OUTDIR/deeptools.maxfrag.bw" \
        >/dev/null 2>&1
    "$REGFLOW" bigwig --bam "$BAM" --chrom-sizes "$SIZES" --mode coverage --bin-size "$BIN" \
        --threads "$THREADS" --max-length "$MAX_FRAGMENT" --output "$OUTDIR/regflow.maxfrag.bw" \
        2>/dev/null
    compare "$OUTDIR/deeptools.maxfrag.bw" "$OUTDIR/regflow.maxfrag.bw" \
        "agreement (fragment cap $MAX_FRAGMENT bp in both)"
fi
echo "bigWigs and timings in $OUTDIR"
