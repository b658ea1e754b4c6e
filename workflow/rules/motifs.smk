# Motif scanning: JASPAR motifs (offline, pyjaspar) scanned in the consensus peaks and promoter
# windows -> region x motif matrices (max score, sum of hit scores, hit count), and region x
# archetype-cluster matrices (GET's features).


rule motifs_fetch:
    """The motif set: a JASPAR collection and taxon plus extra IDs, or the user's file."""
    output:
        "results/motifs/motifs.jaspar",
    log:
        "logs/motifs/fetch.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        source=(
            f"--from-file {shlex.quote(config['motifs']['file'])}"
            if config["motifs"]["file"]
            else (
                f"--release {shlex.quote(config['motifs']['release'])}"
                f" --collection {shlex.quote(config['motifs']['collection'])}"
                f" --taxon {shlex.quote(config['motifs']['taxon'])}"
                + (
                    f" --ids {quoted(config['motifs']['extra_ids'])}"
                    if config["motifs"]["extra_ids"]
                    else ""
                )
            )
        ),
    shell:
        "python -m regflow motifs fetch" " {params.source}" " --output {output:q}" " > {log:q} 2>&1"


rule motif_clusters:
    """Archetype clusters of redundant motifs (aligned-PWM similarity, average linkage)."""
    input:
        "results/motifs/motifs.jaspar",
    output:
        "results/motifs/clusters.tsv",
    log:
        "logs/motifs/clusters.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        distance=config["motifs"]["cluster_distance"],
    shell:
        "python -m regflow motifs clusters"
        " --motifs {input:q}"
        " --threshold {params.distance}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule motif_scan_peaks:
    """Region x motif matrices of the consensus peaks, rows in the AnnData's peak order."""
    input:
        genome=genome_fasta(),
        regions="results/peaks/consensus.bed",
        motifs="results/motifs/motifs.jaspar",
    output:
        npz="results/motifs/peaks.npz",
        hits="results/motifs/peaks.hits.tsv.gz",
    log:
        "logs/motifs/scan_peaks.log",
    benchmark:
        "results/benchmarks/motifs/scan_peaks.tsv"
    conda:
        "../../envs/regflow.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        prefix=lambda wildcards, output: output.npz.removesuffix(".npz"),
        pvalue=config["motifs"]["pvalue"],
    shell:
        "OPENBLAS_NUM_THREADS={threads} python -m regflow motifs scan"
        " --genome {input.genome:q}"
        " --regions {input.regions:q}"
        " --motifs {input.motifs:q}"
        " --pvalue {params.pvalue}"
        " --output-prefix {params.prefix:q}"
        " > {log:q} 2>&1"


rule motif_scan_promoters:
    """Region x motif matrices of every gene's promoter window, rows in GTF gene order."""
    input:
        genome=genome_fasta(),
        gtf=genome_gtf(),
        motifs="results/motifs/motifs.jaspar",
    output:
        npz="results/motifs/promoters.npz",
        hits="results/motifs/promoters.hits.tsv.gz",
    log:
        "logs/motifs/scan_promoters.log",
    benchmark:
        "results/benchmarks/motifs/scan_promoters.tsv"
    conda:
        "../../envs/regflow.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        prefix=lambda wildcards, output: output.npz.removesuffix(".npz"),
        pvalue=config["motifs"]["pvalue"],
        upstream=config["motifs"]["promoter_upstream"],
        downstream=config["motifs"]["promoter_downstream"],
    shell:
        "OPENBLAS_NUM_THREADS={threads} python -m regflow motifs scan"
        " --genome {input.genome:q}"
        " --promoters {input.gtf:q}"
        " --upstream {params.upstream}"
        " --downstream {params.downstream}"
        " --motifs {input.motifs:q}"
        " --pvalue {params.pvalue}"
        " --output-prefix {params.prefix:q}"
        " > {log:q} 2>&1"


rule motif_cluster_matrix:
    """Region x cluster: member scores summed, each column scaled to its max, clipped at 1."""
    input:
        scores="results/motifs/{regions}.npz",
        clusters="results/motifs/clusters.tsv",
    output:
        npz="results/motifs/{regions}_clusters.npz",
        tsv="results/motifs/{regions}_clusters.tsv",
    log:
        "logs/motifs/cluster_matrix_{regions}.log",
    wildcard_constraints:
        regions="peaks|promoters",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    shell:
        "python -m regflow motifs aggregate"
        " --scores {input.scores:q}"
        " --clusters {input.clusters:q}"
        " --output {output.npz:q}"
        " --output-tsv {output.tsv:q}"
        " > {log:q} 2>&1"
