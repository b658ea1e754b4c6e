"""Genes x samples expression tables: counts, TPM, log2/log10(TPM + 1), per-condition means.

TPM comes either from featureCounts' counts with effective lengths from the mean fragment
length, or from salmon's estimated reads and effective lengths (:func:`salmon_matrix`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.expression.tpm import (
    effective_length,
    tpm,
    tpm_disagrees,
    tpm_from_effective_lengths,
)


def count_matrix(
    per_sample: dict[str, pd.DataFrame], sources: dict[str, Path]
) -> tuple[pd.DataFrame, pd.Series]:
    """Join per-sample featureCounts tables into one genes x samples count table.

    Parameters
    ----------
    per_sample
        Sample -> table indexed by ``gene_id`` with columns ``length`` and ``count``
        (:func:`regflow.expression.io.read_featurecounts`), in the order of the columns wanted.
    sources
        Sample -> the file it was read from, for messages.

    Returns
    -------
    counts : pandas.DataFrame
        Shape ``(n_genes, n_samples)``, int64; genes in the first sample's order.
    lengths : pandas.Series
        Shape ``(n_genes,)``: each gene's length (union of its exon bases).

    Raises
    ------
    RegflowError
        If a sample's genes or gene lengths differ from the first sample's (another GTF), or a
        sample has no assigned reads (its TPM is undefined).
    """
    (first, reference), *others = per_sample.items()
    genes = reference.index
    for sample, table in others:
        where = f"sample {sample}: featureCounts file {sources[sample]}"
        only_here = table.index.difference(genes)
        only_there = genes.difference(table.index)
        if len(only_here) or len(only_there):
            example = only_here[0] if len(only_here) else only_there[0]
            raise RegflowError(
                f"{where} has a different gene set from sample {first}'s "
                f"({sources[first]}): {len(only_here)} genes only here, {len(only_there)} "
                f"only there (e.g. {example}); were both counted with the same GTF?"
            )
        length = table["length"].reindex(genes)
        differs = length != reference["length"]
        if differs.any():
            gene = genes[differs.to_numpy()][0]
            raise RegflowError(
                f"{where} gives gene {gene} length {length[gene]}, sample {first}'s file "
                f"({sources[first]}) {reference['length'][gene]}; were both counted with the "
                "same GTF?"
            )
    counts = pd.DataFrame(
        {sample: table["count"].reindex(genes) for sample, table in per_sample.items()},
        index=genes,
    )
    for sample in counts.columns[counts.sum(axis=0).to_numpy() == 0]:
        raise RegflowError(
            f"sample {sample}: featureCounts file {sources[sample]} has no reads assigned to "
            "genes, so its TPM is undefined (wrong strandedness or GTF?)"
        )
    return counts, reference["length"].rename("length")


def condition_means(values: pd.DataFrame, conditions: pd.Series) -> pd.DataFrame:
    """Mean over each condition's replicates.

    Parameters
    ----------
    values
        Shape ``(n_genes, n_samples)``.
    conditions
        Sample -> condition, for every column of ``values``.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_genes, n_conditions)``, conditions in order of first appearance in
        ``conditions``.
    """
    groups = conditions.reindex(values.columns).to_numpy()
    return values.T.groupby(groups, sort=False).mean().T


def salmon_matrix(
    per_sample: dict[str, pd.DataFrame], sources: dict[str, Path], genes: pd.Index
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join per-sample salmon gene tables, checking each one's TPM against a recomputation.

    Parameters
    ----------
    per_sample
        Sample -> salmon gene table (:func:`regflow.expression.io.read_salmon_genes`), in the
        order of the columns wanted.
    sources
        Sample -> the file it was read from, for messages.
    genes
        The genes wanted, in order (featureCounts' genes: both come from the GTF's exons).

    Returns
    -------
    num_reads : pandas.DataFrame
        Shape ``(n_genes, n_samples)``: salmon's estimated reads.
    effective_lengths : pandas.DataFrame
        Shape ``(n_genes, n_samples)``: salmon's effective lengths.

    Raises
    ------
    RegflowError
        Naming the sample and file: its genes differ from ``genes``, it has no reads, or its
        TPM disagrees with :func:`~regflow.expression.tpm.tpm_from_effective_lengths` of its
        NumReads and EffectiveLength (:func:`~regflow.expression.tpm.tpm_disagrees`).
    """
    for sample, table in per_sample.items():
        where = f"sample {sample}: salmon file {sources[sample]}"
        only_here = table.index.difference(genes)
        only_there = genes.difference(table.index)
        if len(only_here) or len(only_there):
            example = only_here[0] if len(only_here) else only_there[0]
            raise RegflowError(
                f"{where} has a different gene set from the featureCounts tables: "
                f"{len(only_here)} genes only here, {len(only_there)} only there (e.g. "
                f"{example}); same GTF for both, and salmon index --keepDuplicates?"
            )
        if not table["num_reads"].sum() > 0:
            raise RegflowError(f"{where} has no reads assigned to genes, so its TPM is undefined")
        recomputed = tpm_from_effective_lengths(
            table["num_reads"].to_numpy(), table["effective_length"].to_numpy()
        )  # (n_genes,)
        disagree = tpm_disagrees(table["num_reads"], table["effective_length"], table["tpm"])
        if disagree.any():
            i = int(np.flatnonzero(disagree)[0])
            raise RegflowError(
                f"{where}: TPM disagrees with NumReads / EffectiveLength for {disagree.sum()} "
                f"gene(s), e.g. {table.index[i]}: TPM {table['tpm'].iloc[i]:g}, recomputed "
                f"{recomputed[i]:g}"
            )

    def matrix(column: str) -> pd.DataFrame:
        return pd.DataFrame(
            {sample: table[column].reindex(genes) for sample, table in per_sample.items()},
            index=genes,
        )

    return matrix("num_reads"), matrix("effective_length")


def tpm_tables(tpm_table: pd.DataFrame, conditions: pd.Series) -> dict[str, pd.DataFrame]:
    """TPM, log2/log10(TPM + 1) and the per-condition means of TPM and log2(TPM + 1)."""
    log2_tpm = np.log2(tpm_table + 1.0)
    return {
        "tpm": tpm_table,
        "log2_tpm": log2_tpm,
        "log10_tpm": np.log10(tpm_table + 1.0),
        "tpm_by_condition": condition_means(tpm_table, conditions),
        "log2_tpm_by_condition": condition_means(log2_tpm, conditions),
    }


def expression_tables(
    counts: pd.DataFrame,
    lengths: pd.Series,
    fragment_length: pd.Series,
    conditions: pd.Series,
) -> dict[str, pd.DataFrame]:
    """Every table of ``regflow expression tables``, keyed by file stem.

    Parameters
    ----------
    counts
        Shape ``(n_genes, n_samples)``, indexed by ``gene_id`` (:func:`count_matrix`).
    lengths
        Shape ``(n_genes,)``: gene lengths.
    fragment_length
        Sample -> mean fragment length.
    conditions
        Sample -> condition.

    Returns
    -------
    dict
        ``counts``, ``tpm``, ``log2_tpm`` (log2(TPM + 1)), ``log10_tpm`` (log10(TPM + 1)):
        genes x samples; ``tpm_by_condition``, ``log2_tpm_by_condition``: genes x conditions,
        means over replicates; ``gene_lengths``: ``length`` then the effective length in each
        sample.
    """
    fragments = fragment_length.reindex(counts.columns).to_numpy()  # (n_samples,)
    lengths = lengths.to_numpy()  # (n_genes,)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=counts.index, columns=counts.columns)

    gene_lengths = frame(effective_length(lengths, fragments))
    gene_lengths.insert(0, "length", lengths)
    return {
        "counts": counts,
        **tpm_tables(frame(tpm(counts.to_numpy(), lengths, fragments)), conditions),
        "gene_lengths": gene_lengths,
    }


def salmon_expression_tables(
    counts: pd.DataFrame,
    lengths: pd.Series,
    num_reads: pd.DataFrame,
    effective_lengths: pd.DataFrame,
    conditions: pd.Series,
) -> dict[str, pd.DataFrame]:
    """Every table of ``regflow expression tables --salmon``, keyed by file stem.

    Parameters
    ----------
    counts
        Shape ``(n_genes, n_samples)``: featureCounts' counts (:func:`count_matrix`).
    lengths
        Shape ``(n_genes,)``: featureCounts' gene lengths.
    num_reads, effective_lengths
        Shape ``(n_genes, n_samples)``, same genes and samples: salmon's (:func:`salmon_matrix`).
    conditions
        Sample -> condition.

    Returns
    -------
    dict
        ``counts`` (featureCounts); ``tpm`` (from salmon's reads and effective lengths),
        ``log2_tpm``, ``log10_tpm``, ``tpm_by_condition``, ``log2_tpm_by_condition`` as in
        :func:`expression_tables`; ``salmon_numreads`` and ``effective_lengths`` (salmon's);
        ``gene_lengths``: the ``length`` column (featureCounts).
    """
    tpm_table = pd.DataFrame(
        tpm_from_effective_lengths(num_reads.to_numpy(), effective_lengths.to_numpy()),
        index=num_reads.index,
        columns=num_reads.columns,
    )
    return {
        "counts": counts,
        **tpm_tables(tpm_table, conditions),
        "salmon_numreads": num_reads,
        "effective_lengths": effective_lengths,
        "gene_lengths": lengths.to_frame("length"),
    }
