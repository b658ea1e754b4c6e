"""Time ``regflow mnase images`` (the library call, without the CLI's start-up) on the demo.

Run by hand after the demo (``bash scripts/demo.sh``) has written the MNase fragments::

    .venv/bin/python benchmarks/mnase_images.py [--repeats 5] [--preset classes] [--no-align]

It builds the images of every gene x condition from every MNase sample of the sample sheet
(reading the fragments files, +1 anchors, binning, normalisation, smoothing; not the ``.npz``
writing) ``--repeats`` times and prints each run's wall time (``time.perf_counter``), the median
and the median's fragments per second (fragments = the sum of the files' ``count`` column).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from regflow.mnase.build import build_images
from regflow.mnase.io import read_genes
from regflow.mnase.layout import PRESETS
from regflow.qc.io import read_chrom_sizes
from regflow.samplesheet import read_sample_sheet


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=Path("config/samples.tsv"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="classes")
    parser.add_argument("--no-align", dest="align", action="store_false")
    args = parser.parse_args(argv)

    sheet = read_sample_sheet(args.samples)
    mnase = sheet[sheet["assay"] == "mnase"]
    fragments = {s: args.results / "fragments" / f"{s}.tsv.gz" for s in mnase["sample"]}
    conditions = dict(zip(mnase["sample"], mnase["condition"], strict=True))
    missing = [str(p) for p in fragments.values() if not p.is_file()]
    if not fragments or missing:
        print(f"no MNase fragments to time (missing: {', '.join(missing)})", file=sys.stderr)
        return 1
    genome = args.results / "simulate" / "genome"
    chrom_sizes = read_chrom_sizes(genome / "chrom.sizes")
    genes = read_genes(genome / "genes.gtf", chrom_sizes)
    layout = PRESETS[args.preset]

    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = build_images(fragments, conditions, genes, chrom_sizes, layout, align=args.align)
        times.append(time.perf_counter() - start)
    n_fragments = sum(result.totals.values())
    median = statistics.median(times)
    print(
        f"{len(fragments)} samples, {n_fragments:,} fragments, {len(genes)} genes, "
        f"{args.preset} preset, align={args.align}"
    )
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"median {median:.3f} s, {n_fragments / median:,.0f} fragments/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
