"""Motif scanners compared on the same motifs, sequences and score thresholds; accuracy on the demo.

Usage (from the repository root, with the main venv's python):

    python benchmarks/motif_scanners.py speed [--repeats 3] [--threads 2] [--venv DIR]
    python benchmarks/motif_scanners.py accuracy [--pvalue 1e-4]

``speed`` scans the demo's consensus peaks and promoter windows (-1000/+500 bp) with a motif
set (default: JASPAR 2024 CORE vertebrates + the four planted yeast motifs, fetched offline)
using

- regflow's scanner (numpy: one float32 matrix product per motif width, exact integer scores);
- memelite 0.5.0 (numba FIMO), given PWMs whose log-odds equal regflow's;
- MOODS-python 1.9.4.1, given regflow's score matrices, with ``Scanner(w)``, w <= the
  shortest motif (MOODS misses the last window of a sequence otherwise);

and reports throughput (bp x motifs / s, both strands) and hit agreement at identical score
thresholds (regflow's, from its p-value; memelite is run at a looser p-value and its hits are
filtered at those thresholds, as its p-values assume uniform bases). It also counts the hits
MOODS reports with its own ``threshold_from_p`` at the same nominal p-value. memelite and
MOODS run in their own venv (created with pip on first use, default
``/tmp/regflow-venv-scanners``), in a worker process that needs only numpy and the tool.

``accuracy`` runs ``regflow motifs scan`` logic on the demo and reports, per planted matrix,
the fraction of planted sites (``truth/motif_sites.bed``) inside the scanned regions found as
a hit of that matrix at the same start and strand; and the hits on dinucleotide-shuffled
copies of the peaks against the expected number (sum over windows of P(score >= threshold),
and the nominal p x windows x 2 strands).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CANDIDATES = ("memelite==0.5.0", "MOODS-python==1.9.4.1")
PLANTED_EXTRA = ("MA0363.3", "MA0265.3", "MA0359.3", "MA0281.3")


# --------------------------------------------------------------------------- worker side
# Runs in the candidates' venv: numpy and the tool only.


def _worker(tool: str, workdir: Path, repeats: int, threads: int) -> None:
    data = np.load(workdir / "inputs.npz")
    lengths, flat = data["lengths"], data["matrices"]  # matrices: (sum of lengths, 4) bits
    cuts = np.concatenate([[0], np.cumsum(lengths)])
    matrices = [flat[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    # (motifs,) bits: a hit is score >= threshold; scores are multiples of 1 / resolution bit,
    # so half a step below the threshold is a cut-off immune to float rounding
    thresholds = data["thresholds"] - 0.5 / float(data["resolution"])
    background = data["background"]
    sequences = (workdir / "sequences.txt").read_text().split("\n")
    pvalue = float(data["pvalue"])
    report: dict = {"tool": tool}
    if tool == "memelite":
        report.update(_run_memelite(workdir, matrices, thresholds, repeats, pvalue))
    else:
        report.update(
            _run_moods(workdir, sequences, matrices, thresholds, background, repeats, pvalue)
        )
    report["threads"] = threads
    (workdir / f"{tool}.json").write_text(json.dumps(report))


def _save_hits(path: Path, rows: list[tuple[int, int, int, int, float]]) -> None:
    array = np.array(rows, float).reshape(-1, 5)  # region, motif, offset, strand, score
    np.save(path, array)


def _run_memelite(workdir, matrices, thresholds, repeats, pvalue) -> dict:
    import memelite

    eps = 1e-4  # memelite scores log2(pwm + eps) - log2(0.25): invert that for our log-odds
    pwms = {f"m{i}": (0.25 * 2.0**m - eps).T.copy() for i, m in enumerate(matrices)}
    fasta = str(workdir / "sequences.fa")
    started = time.perf_counter()
    memelite.fimo(pwms, fasta, threshold=pvalue, eps=eps)
    first = time.perf_counter() - started  # includes numba compilation / cache load
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        hits = memelite.fimo(pwms, fasta, threshold=pvalue, eps=eps)
        times.append(time.perf_counter() - started)
    own = int(sum(len(h) for h in hits))
    # agreement: a looser p-value, then regflow's score thresholds
    loose = memelite.fimo(pwms, fasta, threshold=1e-2, eps=eps)
    rows = []
    for i, frame in enumerate(loose):
        keep = frame["score"].to_numpy() >= thresholds[i]
        for seq, start, strand, score in zip(
            frame["sequence_name"].to_numpy()[keep],
            frame["start"].to_numpy()[keep],
            frame["strand"].to_numpy()[keep],
            frame["score"].to_numpy()[keep],
            strict=True,
        ):
            rows.append((int(str(seq)[1:]), i, int(start), 1 if strand == "+" else -1, score))
    _save_hits(workdir / "memelite_hits.npy", rows)
    return {"first_call_s": first, "times_s": times, "hits_own_thresholds": own}


def _run_moods(workdir, sequences, matrices, thresholds, background, repeats, pvalue) -> dict:
    import MOODS.scan
    import MOODS.tools

    bg = [float(b) for b in background]
    forward = [[list(map(float, m[:, b])) for b in range(4)] for m in matrices]
    both = forward + [MOODS.tools.reverse_complement(m) for m in forward]
    cut = [float(t) for t in thresholds] * 2
    window = min(7, min(m.shape[0] for m in matrices))  # <= shortest motif: last-window bug

    def scan(cutoffs):
        scanner = MOODS.scan.Scanner(window)
        scanner.set_motifs(both, bg, cutoffs)
        return [scanner.scan(seq) for seq in sequences]

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        results = scan(cut)
        times.append(time.perf_counter() - started)
    n = len(matrices)
    rows = []
    for r, per_motif in enumerate(results):
        for j, matches in enumerate(per_motif):
            for match in matches:
                rows.append((r, j % n, match.pos, 1 if j < n else -1, match.score))
    _save_hits(workdir / "moods_hits.npy", rows)
    own = [MOODS.tools.threshold_from_p(m, bg, pvalue) for m in both]
    own_hits = sum(len(m) for per in scan(own) for m in per)
    return {"first_call_s": None, "times_s": times, "hits_own_thresholds": own_hits}


# --------------------------------------------------------------------------- main side


def _ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with {', '.join(CANDIDATES)}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "numpy", *CANDIDATES], check=True
        )
    return python


def _demo_inputs(args):
    """Regions (peaks first, then promoters), their codes, motifs, background, regflow's
    scoring matrices, and the number of peaks."""
    sys.path.insert(0, str(REPO / "workflow"))
    import pandas as pd

    from regflow.motifs.fetch import fetch_jaspar
    from regflow.motifs.io import fasta_sizes, read_motifs, read_region_codes, read_regions_bed
    from regflow.motifs.regions import check_regions, promoter_windows, symmetric_background
    from regflow.motifs.scan import scoring_matrices
    from regflow.qc.io import read_tss_gtf

    if args.motifs is not None:
        motifs = read_motifs(args.motifs)
    else:
        motifs = fetch_jaspar("JASPAR2024", "CORE", ["vertebrates"], PLANTED_EXTRA)
    sizes = fasta_sizes(args.genome)
    peaks = read_regions_bed(args.peaks)
    promoters, _ = promoter_windows(read_tss_gtf(args.gtf), 1000, 500, sizes)
    regions = pd.concat([peaks, promoters], ignore_index=True)
    check_regions(regions, sizes, "benchmark regions")
    codes, bounds, base_counts = read_region_codes(args.genome, regions)
    background = symmetric_background(base_counts)
    matrices = scoring_matrices(motifs, background, args.pvalue)
    return regions, codes, bounds, motifs, background, matrices, len(peaks)


def _hit_set(rows: np.ndarray) -> dict[tuple[int, int, int, int], float]:
    return {(int(r), int(m), int(o), int(s)): float(x) for r, m, o, s, x in rows}


def _agreement(reference: dict, other: dict) -> dict:
    common = reference.keys() & other.keys()
    diff = max((abs(reference[k] - other[k]) for k in common), default=0.0)
    return {
        "regflow_hits": len(reference),
        "tool_hits": len(other),
        "common": len(common),
        "only_regflow": len(reference.keys() - other.keys()),
        "only_tool": len(other.keys() - reference.keys()),
        "max_abs_score_diff": diff,
    }


def run_speed(args) -> None:
    from regflow.motifs.scan import scan_sequences

    regions, codes, bounds, motifs, background, matrices, _ = _demo_inputs(args)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="motif-scanners-"))
    work.mkdir(parents=True, exist_ok=True)
    bp, n_motifs = codes.size, len(motifs)
    print(f"{len(regions)} regions, {bp:,} bp, {n_motifs} motifs, both strands", file=sys.stderr)

    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = scan_sequences(codes, bounds, matrices)
        times.append(time.perf_counter() - started)
    h = result.hits
    reference = _hit_set(
        np.column_stack(
            [h["region"], h["motif"], h["offset"], h["strand"], h["score"] / matrices.resolution]
        )
    )
    rows = [("regflow (numpy)", None, times, len(reference))]

    # inputs for the workers: identical matrices (bits), thresholds (bits) and sequences
    letters = np.frombuffer(b"ACGTN", np.uint8)
    sequences = [
        letters[codes[a:b]].tobytes().decode() for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    (work / "sequences.txt").write_text("\n".join(sequences))
    (work / "sequences.fa").write_text("".join(f">r{i}\n{s}\n" for i, s in enumerate(sequences)))
    np.savez(
        work / "inputs.npz",
        lengths=np.array([m.length for m in motifs]),
        matrices=np.concatenate(matrices.scores) / matrices.resolution,
        thresholds=matrices.threshold / matrices.resolution,
        resolution=np.int64(matrices.resolution),
        background=background,
        pvalue=np.float64(args.pvalue),
    )
    python = _ensure_venv(args.venv)
    env = {**os.environ, "NUMBA_NUM_THREADS": str(args.threads)}
    if args.cold_jit:  # drop numba's on-disk cache so the first call compiles
        site = subprocess.run(
            [str(python), "-c", "import memelite, os; print(os.path.dirname(memelite.__file__))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for cached in Path(site, "__pycache__").glob("*.nb[ic]"):
            cached.unlink()
    agreements = {}
    for tool in ("memelite", "moods"):
        subprocess.run(
            [
                str(python),
                __file__,
                "worker",
                tool,
                str(work),
                str(args.repeats),
                str(args.threads),
            ],
            check=True,
            env=env,
        )
        report = json.loads((work / f"{tool}.json").read_text())
        other = _hit_set(np.load(work / f"{tool}_hits.npy"))
        agreements[tool] = _agreement(reference, other)
        rows.append(
            (tool, report["first_call_s"], report["times_s"], report["hits_own_thresholds"])
        )

    print(f"\nthroughput, {args.threads} threads (memelite, BLAS), MOODS single-threaded")
    print("| scanner | median s | M bp x motif / s | first call s | hits at own p-threshold |")
    print("|---|---|---|---|---|")
    for name, first, t, own in rows:
        med = statistics.median(t)
        print(
            f"| {name} | {med:.2f} | {bp * n_motifs / med / 1e6:.0f} | "
            f"{'' if first is None else f'{first:.1f}'} | {own} |"
        )
    (work / "summary.json").write_text(
        json.dumps({name: statistics.median(t) for name, _, t, _ in rows}, indent=2) + "\n"
    )
    print(f"\nagreement with regflow at regflow's score thresholds (p < {args.pvalue:g})")
    for tool, agreement in agreements.items():
        print(f"  {tool}: {json.dumps(agreement)}")
    print(f"(inputs and summary.json, the median seconds per scanner, kept in {work})")


def _dinucleotide_shuffle(sequence: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Altschul-Erickson shuffle of a code array: same first base and dinucleotide counts."""
    n = sequence.size
    if n < 3:
        return sequence.copy()
    edges: dict[int, list[int]] = {}
    for a, b in zip(sequence[:-1], sequence[1:], strict=True):
        edges.setdefault(int(a), []).append(int(b))
    last = int(sequence[-1])
    while True:  # a random tree of last edges into `last` makes the Euler path exist
        chosen = {}
        for vertex, out in edges.items():
            if vertex != last:
                chosen[vertex] = out[rng.integers(len(out))]
        ok = True
        for vertex in chosen:
            seen, v = set(), vertex
            while v != last and v not in seen:
                seen.add(v)
                v = chosen.get(v, last)
            ok &= v == last
        if ok:
            break
    lists = {}
    for vertex, out in edges.items():
        rest = list(out)
        if vertex in chosen:
            rest.remove(chosen[vertex])
        rng.shuffle(rest)
        lists[vertex] = rest + ([chosen[vertex]] if vertex in chosen else [])
    out, v = [int(sequence[0])], int(sequence[0])
    for _ in range(n - 1):
        v = lists[v].pop(0)
        out.append(v)
    return np.array(out, np.uint8)


def run_accuracy(args) -> None:
    import pandas as pd

    from regflow.motifs.pvalues import score_distribution, survival
    from regflow.motifs.regions import symmetric_background
    from regflow.motifs.scan import hits_table, scan_sequences

    regions, codes, bounds, motifs, background, matrices, n_peaks = _demo_inputs(args)
    started = time.perf_counter()
    result = scan_sequences(codes, bounds, matrices)
    seconds = time.perf_counter() - started
    hits = hits_table(result, matrices, regions, motifs)
    print(
        f"{len(regions)} regions, {codes.size:,} bp x {len(motifs)} motifs: "
        f"{len(hits):,} hits in {seconds:.1f} s",
        file=sys.stderr,
    )
    sites = pd.read_csv(args.sites, sep="\t")
    sites.columns = [c.lstrip("#") for c in sites.columns]
    inside = np.zeros(len(sites), bool)
    for chrom, group in regions.groupby("chrom"):
        on = (sites["chrom"] == chrom).to_numpy()
        s, e = sites.loc[on, "start"].to_numpy(), sites.loc[on, "end"].to_numpy()
        covered = (group["start"].to_numpy()[None, :] <= s[:, None]) & (
            group["end"].to_numpy()[None, :] >= e[:, None]
        )
        inside[on] = covered.any(axis=1)
    keys = set(zip(hits["motif_id"], hits["chrom"], hits["start"], hits["strand"], strict=True))
    sites["found"] = [
        k in keys
        for k in zip(
            sites["matrix_id"], sites["chrom"], sites["start"], sites["strand"], strict=True
        )
    ]
    sites["inside"] = inside
    best_p = {
        m.matrix_id: float(matrices.survival[i][-1]) for i, m in enumerate(motifs)
    }  # p-value of each motif's best score
    print(f"\nrecall of planted sites at p < {args.pvalue:g} (same start and strand)")
    print("| matrix | TF | sites in scanned regions | recall | best possible p-value |")
    print("|---|---|---|---|---|")
    for (matrix_id, name), group in sites.groupby(["matrix_id", "name"]):
        inner = group[group["inside"]]
        print(
            f"| {matrix_id} | {name} | {len(inner)}/{len(group)} | "
            f"{inner['found'].mean():.3f} | {best_p.get(matrix_id, float('nan')):.3g} |"
        )

    peaks = np.arange(n_peaks)
    rng = np.random.default_rng(args.seed)
    shuffled, shuffled_bounds = [], [0]
    for _ in range(args.shuffles):
        for i in peaks:
            shuffled.append(_dinucleotide_shuffle(codes[bounds[i] : bounds[i + 1]], rng))
            shuffled_bounds.append(shuffled_bounds[-1] + shuffled[-1].size)
    shuffled_codes = np.concatenate(shuffled)
    null = scan_sequences(shuffled_codes, np.array(shuffled_bounds), matrices)
    lengths = np.diff(shuffled_bounds)
    windows = np.array([np.clip(lengths - m.length + 1, 0, None).sum() for m in motifs])
    local = symmetric_background(np.bincount(shuffled_codes, minlength=5)[:4])
    expected = {"genome": 0.0, "shuffled": 0.0}  # sum over windows of P(score >= threshold)
    for i, sf in enumerate(matrices.survival):
        k = matrices.threshold[i] - matrices.lowest[i]
        expected["genome"] += 2 * windows[i] * (sf[k] if k < sf.size else 0.0)
        lowest, pmf = score_distribution(matrices.scores[i], local)
        tail = survival(pmf)
        k = matrices.threshold[i] - lowest
        expected["shuffled"] += 2 * windows[i] * (tail[k] if k < tail.size else 0.0)
    nominal = float(2 * windows.sum() * args.pvalue)
    observed = int(null.hits["score"].size)
    # controls: each peak's bases permuted (no dinucleotide structure, same composition per
    # peak), and the same lengths drawn base by base from the scan's background
    permuted = np.concatenate(
        [
            rng.permutation(codes[bounds[i] : bounds[i + 1]])
            for _ in range(args.shuffles)
            for i in peaks
        ]
    )
    mono_hits = scan_sequences(permuted, np.array(shuffled_bounds), matrices).hits["score"].size
    iid = rng.choice(4, size=shuffled_codes.size, p=background).astype(np.uint8)
    iid_hits = int(scan_sequences(iid, np.array(shuffled_bounds), matrices).hits["score"].size)
    composition = " ".join(f"{b}={f:.3f}" for b, f in zip("ACGT", local, strict=True))
    print(
        f"\nshuffled peaks ({args.shuffles} dinucleotide shuffles of {peaks.size} peaks, "
        f"{shuffled_codes.size:,} bp, {composition}): {observed:,} hits\n"
        f"  expected with the genome's base composition (the scan's background): "
        f"{expected['genome']:,.0f} (observed / expected {observed / expected['genome']:.3f})\n"
        f"  expected with the shuffled sequences' own composition: {expected['shuffled']:,.0f} "
        f"(observed / expected {observed / expected['shuffled']:.3f})\n"
        f"  control, each peak's bases permuted: {mono_hits:,} hits (observed / expected "
        f"{mono_hits / expected['genome']:.3f})\n"
        f"  control, the same lengths drawn base by base from the background: {iid_hits:,} "
        f"hits (observed / expected {iid_hits / expected['genome']:.3f})\n"
        f"  nominal p x windows x 2 strands: {nominal:,.0f} (observed / nominal "
        f"{observed / nominal:.3f}; below 1 because a discrete score distribution puts "
        "P(score >= threshold) under p)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        tool, workdir, repeats, threads = sys.argv[2:6]
        _worker(tool, Path(workdir), int(repeats), int(threads))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    results = REPO / "results"
    for mode in ("speed", "accuracy"):
        p = sub.add_parser(mode)
        p.add_argument("--genome", type=Path, default=results / "simulate/genome/genome.fa")
        p.add_argument("--peaks", type=Path, default=results / "peaks/consensus.bed")
        p.add_argument("--gtf", type=Path, default=results / "simulate/genome/genes.gtf")
        p.add_argument("--motifs", type=Path, help="motif file (default: JASPAR, see above)")
        p.add_argument("--pvalue", type=float, default=1e-4)
    speed = sub.choices["speed"]
    speed.add_argument("--repeats", type=int, default=3)
    speed.add_argument("--threads", type=int, default=2)
    speed.add_argument("--venv", type=Path, default=Path("/tmp/regflow-venv-scanners"))
    speed.add_argument("--cold-jit", action="store_true", help="clear numba's cache first")
    speed.add_argument("--workdir", type=Path, help="inputs and summary.json (default: a temp dir)")
    accuracy = sub.choices["accuracy"]
    accuracy.add_argument("--sites", type=Path, default=results / "simulate/truth/motif_sites.bed")
    accuracy.add_argument("--shuffles", type=int, default=3)
    accuracy.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "speed":
        run_speed(args)
    else:
        run_accuracy(args)


if __name__ == "__main__":
    main()
