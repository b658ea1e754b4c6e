"""Gather per-sample QC metrics into one table (TSV and MultiQC custom content).

Inputs are flat metric dicts, one per sample and source: the JSON files other steps write
(``{"sample": S, ...}``), a fastp JSON report (:func:`parse_fastp`) and bowtie2's stderr summary
(:func:`parse_bowtie2`). Rows keep the order in which samples first appear; the ``sample``
column comes first and the others are sorted by name, so the layout does not depend on the
order of the inputs. Two sources giving one sample different values for one metric is an error.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from regflow.errors import RegflowError

SAMPLE = "sample"

#: Header of the MultiQC custom-content file (``*_mqc.tsv``; MultiQC docs, "Custom Content").
MQC_HEADER = (
    "# id: 'regflow_qc'",
    "# section_name: 'regflow QC'",
    "# description: 'Per-sample QC metrics gathered by regflow (reads, alignment, fragments, "
    "TSS enrichment).'",
    "# format: 'tsv'",
    "# plot_type: 'table'",
    "# pconfig:",
    "#     id: 'regflow_qc_table'",
    "#     title: 'regflow QC'",
)

Scalar = str | int | float | bool | None


def _get(data: dict, keys: tuple[str, ...], source: str, required: bool = True):
    node = data
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            if required:
                raise RegflowError(f"fastp report {source} lacks {'.'.join(keys)}")
            return None
        node = node[key]
    return node


def _ratio(numerator, denominator) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def parse_fastp(data: dict, source: str = "fastp JSON") -> dict[str, Scalar]:
    """Metrics from a fastp JSON report (layout of fastp 0.23).

    Parameters
    ----------
    data
        The parsed report.
    source
        Its path, for error messages.

    Returns
    -------
    dict
        ``fastp_reads_before`` / ``fastp_reads_after`` (``summary.before_filtering`` /
        ``after_filtering.total_reads``; read 1 and read 2 both counted for paired-end data),
        ``fastp_fraction_passed``, ``fastp_adapter_trimmed_reads``
        (``adapter_cutting.adapter_trimmed_reads``; absent when fastp did not cut adapters) and
        its fraction of the reads before filtering, ``fastp_q30_rate_after``,
        ``fastp_gc_content_after``, ``fastp_duplication_rate`` (``duplication.rate``).
    """
    before = _get(data, ("summary", "before_filtering", "total_reads"), source)
    after = _get(data, ("summary", "after_filtering", "total_reads"), source)
    for name, value in (("before", before), ("after", after)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise RegflowError(
                f"fastp report {source}: summary.{name}_filtering.total_reads is not an integer"
            )
    trimmed = _get(data, ("adapter_cutting", "adapter_trimmed_reads"), source, required=False)
    metrics: dict[str, Scalar] = {
        "fastp_reads_before": before,
        "fastp_reads_after": after,
        "fastp_fraction_passed": _ratio(after, before),
        "fastp_q30_rate_after": _get(
            data, ("summary", "after_filtering", "q30_rate"), source, required=False
        ),
        "fastp_gc_content_after": _get(
            data, ("summary", "after_filtering", "gc_content"), source, required=False
        ),
        "fastp_duplication_rate": _get(data, ("duplication", "rate"), source, required=False),
    }
    if trimmed is not None:
        metrics["fastp_adapter_trimmed_reads"] = trimmed
        metrics["fastp_fraction_adapter_trimmed"] = _ratio(trimmed, before)
    return {k: v for k, v in metrics.items() if v is not None}


_BT2_COUNT = r"^(\d+) \([\d.]+%\) "


def _bowtie2_patterns() -> list[tuple[re.Pattern, str | None, str | None]]:
    """(pattern, key, section entered) for each line of a bowtie2 summary."""
    raw = [
        (r"^(\d+) reads; of these:$", "bowtie2_reads", None),
        (_BT2_COUNT + r"were paired; of these:$", "bowtie2_pairs", "paired"),
        (_BT2_COUNT + r"were unpaired; of these:$", "bowtie2_unpaired", "unpaired"),
        (_BT2_COUNT + r"aligned concordantly 0 times$", "bowtie2_concordant_0_times", None),
        (_BT2_COUNT + r"aligned concordantly exactly 1 time$", "bowtie2_concordant_1_time", None),
        (_BT2_COUNT + r"aligned concordantly >1 times$", "bowtie2_concordant_multi", None),
        (_BT2_COUNT + r"aligned discordantly 1 time$", "bowtie2_discordant_1_time", None),
        (r"^(\d+) pairs aligned concordantly 0 times; of these:$", None, None),
        (r"^(\d+) pairs aligned 0 times concordantly or discordantly; of these:$", None, None),
        (r"^(\d+) mates make up the pairs; of these:$", "bowtie2_mates", "mates"),
        (_BT2_COUNT + r"aligned 0 times$", "aligned_0_times", None),
        (_BT2_COUNT + r"aligned exactly 1 time$", "aligned_1_time", None),
        (_BT2_COUNT + r"aligned >1 times$", "aligned_multi", None),
        (r"^([\d.]+)% overall alignment rate$", "bowtie2_overall_alignment_rate", None),
    ]
    return [(re.compile(p), key, section) for p, key, section in raw]


def parse_bowtie2(text: str, source: str = "bowtie2 log") -> dict[str, Scalar]:
    """Metrics from bowtie2's alignment summary (its stderr), paired- or single-end.

    Lines that are not part of the summary (warnings) are ignored.

    Parameters
    ----------
    text
        The log's text.
    source
        Its path, for error messages.

    Returns
    -------
    dict
        Counts as bowtie2 prints them: ``bowtie2_reads`` (reads, or pairs for paired-end
        input), ``bowtie2_pairs``, ``bowtie2_concordant_{0_times,1_time,multi}``,
        ``bowtie2_discordant_1_time``, ``bowtie2_mates`` and
        ``bowtie2_mates_aligned_{0_times,1_time,multi}`` for the mates of unaligned pairs,
        ``bowtie2_unpaired`` and ``bowtie2_aligned_{0_times,1_time,multi}`` for unpaired reads;
        rates as fractions: ``bowtie2_overall_alignment_rate``,
        ``bowtie2_concordant_1_time_rate`` (of pairs) and ``bowtie2_aligned_1_time_rate`` (of
        unpaired reads). Only the sections present in the log appear.
    """
    patterns = _bowtie2_patterns()
    metrics: dict[str, Scalar] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        for pattern, key, entered in patterns:
            match = pattern.match(line)
            if not match:
                continue
            if entered is not None:
                section = entered
            if key is None:
                break
            if key.startswith("aligned_"):
                if section == "mates":
                    key = f"bowtie2_mates_{key}"
                elif section == "unpaired":
                    key = f"bowtie2_{key}"
                else:
                    raise RegflowError(f"bowtie2 log {source}: unexpected line {line!r}")
            if key in metrics:
                raise RegflowError(
                    f"bowtie2 log {source} holds more than one alignment summary "
                    f"({line!r} seen twice)"
                )
            if key == "bowtie2_overall_alignment_rate":
                metrics[key] = round(float(match.group(1)) / 100, 6)
            else:
                metrics[key] = int(match.group(1))
            break
    for key, line in (
        ("bowtie2_reads", "'N reads; of these:'"),
        ("bowtie2_overall_alignment_rate", "'N% overall alignment rate'"),
    ):
        if key not in metrics:
            raise RegflowError(
                f"bowtie2 log {source} is not a bowtie2 alignment summary (no {line} line)"
            )
    if "bowtie2_pairs" in metrics and "bowtie2_concordant_1_time" in metrics:
        metrics["bowtie2_concordant_1_time_rate"] = _ratio(
            metrics["bowtie2_concordant_1_time"], metrics["bowtie2_pairs"]
        )
    if "bowtie2_unpaired" in metrics and "bowtie2_aligned_1_time" in metrics:
        metrics["bowtie2_aligned_1_time_rate"] = _ratio(
            metrics["bowtie2_aligned_1_time"], metrics["bowtie2_unpaired"]
        )
    return {k: v for k, v in metrics.items() if v is not None}


def check_record(record: dict, source: str) -> tuple[str, dict[str, Scalar]]:
    """Validate a ``{"sample": S, ...flat metrics...}`` dict; return ``(S, metrics)``."""
    sample = record.get(SAMPLE)
    if not isinstance(sample, str) or not sample:
        raise RegflowError(f'{source} has no "sample" name (a non-empty string)')
    metrics = {}
    for key, value in record.items():
        if key == SAMPLE:
            continue
        if not isinstance(value, Scalar):
            raise RegflowError(
                f"{source} (sample {sample}): metric {key!r} is not a number, string, "
                "boolean or null (metrics must be flat)"
            )
        metrics[key] = value
    return sample, metrics


def _same(a: Scalar, b: Scalar) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def merge_metrics(records: list[tuple[str, str, dict[str, Scalar]]]) -> pd.DataFrame:
    """Merge per-sample metrics from several sources into one table.

    Parameters
    ----------
    records
        ``(source, sample, metrics)`` triples; ``source`` names the file for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per sample in order of first appearance; ``sample`` first, then the metrics
        sorted by name. Integer metrics use pandas' nullable ``Int64``; missing values are NA.
    """
    rows: dict[str, dict[str, Scalar]] = {}
    origin: dict[tuple[str, str], str] = {}
    for source, sample, metrics in records:
        row = rows.setdefault(sample, {})
        for key, value in metrics.items():
            if key == SAMPLE:
                raise RegflowError(f"{source}: metric name {SAMPLE!r} is reserved")
            if key in row and not _same(row[key], value):
                raise RegflowError(
                    f"sample {sample}: metric {key!r} is {row[key]!r} in "
                    f"{origin[(sample, key)]} but {value!r} in {source}"
                )
            row[key] = value
            origin.setdefault((sample, key), source)
    if not rows:
        raise RegflowError("no QC metrics given")
    columns = sorted({key for row in rows.values() for key in row})
    data: dict[str, pd.Series] = {SAMPLE: pd.Series(list(rows), dtype=object)}
    for column in columns:
        values = [row.get(column) for row in rows.values()]
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            data[column] = pd.Series(pd.array(values, dtype="Int64"))
        elif present and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in present
        ):
            data[column] = pd.Series(values, dtype="float64")
        else:
            data[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def multiqc_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as MultiQC custom content wants it: the sample column first, named Sample."""
    return table.rename(columns={SAMPLE: "Sample"})
