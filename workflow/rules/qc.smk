# Quality control of the reads stage: fragment lengths, TSS enrichment, one table for all samples.


rule qc_fragment_lengths:
    """Fragment-length histogram and nucleosome-ladder metrics of a paired-end sample."""
    input:
        "results/fragments/{sample}.tsv.gz",
    output:
        hist="results/qc/{sample}/fragment_lengths.tsv",
        json="results/qc/{sample}/fragment_lengths.json",
    log:
        "logs/qc/fragment_lengths/{sample}.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        "python -m regflow qc fragment-lengths"
        " --sample {wildcards.sample:q}"
        " --fragments {input:q}"
        " --output-hist {output.hist:q}"
        " --output-json {output.json:q}"
        " > {log:q} 2>&1"


rule qc_tss_enrichment:
    """ENCODE TSS enrichment of an ATAC-seq sample, with a shuffled-position control."""
    input:
        frags="results/fragments/{sample}.tsv.gz",
        gtf=genome_gtf(),
        chrom_sizes="results/genome/chrom.sizes",
    output:
        profile="results/qc/{sample}/tss_profile.tsv",
        json="results/qc/{sample}/tss_enrichment.json",
    log:
        "logs/qc/tss_enrichment/{sample}.log",
    wildcard_constraints:
        sample=name_choice(samples_of("atac")),
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "python -m regflow qc tss-enrichment"
        " --sample {wildcards.sample:q}"
        " --fragments {input.frags:q}"
        " --gtf {input.gtf:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --output-profile {output.profile:q}"
        " --output-json {output.json:q}"
        " > {log:q} 2>&1"


rule qc_table:
    """One QC table for all samples (TSV, and MultiQC custom content)."""
    input:
        jsons=qc_jsons(),
        fastp=expand("results/qc/{sample}/fastp.json", sample=samples_of()),
        bowtie2=expand("results/qc/{sample}/bowtie2.txt", sample=samples_of()),
    output:
        table=report("results/qc/qc_table.tsv", category="QC", caption="../report/qc_table.rst"),
        mqc="results/qc/qc_mqc.tsv",
    log:
        "logs/qc/table.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        fastp=" ".join(
            f"--fastp {shlex.quote(f'{s}=results/qc/{s}/fastp.json')}" for s in samples_of()
        ),
        bowtie2=" ".join(
            f"--bowtie2 {shlex.quote(f'{s}=results/qc/{s}/bowtie2.txt')}" for s in samples_of()
        ),
    shell:
        "python -m regflow qc table"
        " --json {input.jsons:q}"
        " {params.fastp}"
        " {params.bowtie2}"
        " --output {output.table:q}"
        " --output-mqc {output.mqc:q}"
        " > {log:q} 2>&1"


rule qc_plot_fragment_lengths:
    """Fragment-length histograms of all paired-end samples."""
    input:
        expand("results/qc/{sample}/fragment_lengths.tsv", sample=samples_of("atac", "mnase")),
    output:
        report(
            "results/qc/fragment_lengths.png",
            category="QC",
            caption="../report/fragment_lengths.rst",
        ),
    log:
        "logs/qc/plot_fragment_lengths.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        hists=quoted(
            f"{s}=results/qc/{s}/fragment_lengths.tsv" for s in samples_of("atac", "mnase")
        ),
    shell:
        "python -m regflow qc plot-fragment-lengths"
        " --hist {params.hists}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule qc_plot_tss:
    """TSS enrichment profiles of all ATAC-seq samples."""
    input:
        expand("results/qc/{sample}/tss_profile.tsv", sample=samples_of("atac")),
    output:
        report(
            "results/qc/tss_enrichment.png", category="QC", caption="../report/tss_enrichment.rst"
        ),
    log:
        "logs/qc/plot_tss.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        profiles=quoted(f"{s}=results/qc/{s}/tss_profile.tsv" for s in samples_of("atac")),
    shell:
        "python -m regflow qc plot-tss"
        " --profile {params.profiles}"
        " --output {output:q}"
        " > {log:q} 2>&1"
