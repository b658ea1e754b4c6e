# ATAC-seq peaks: MACS3 on Tn5 cut sites per sample, a reproducible summit-centred consensus
# set, and Tn5 insertions per consensus peak and sample as logCPM (AnnData and TSV).


rule peak_cutsites:
    """Tn5 insertions of an ATAC-seq sample as a BED of 1-bp records, for MACS3."""
    input:
        "results/fragments/{sample}.tsv.gz",
    output:
        temp("results/peaks/{sample}/cutsites.bed.gz"),
    log:
        "logs/peaks/cutsites/{sample}.log",
    wildcard_constraints:
        sample=name_choice(samples_of("atac")),
    conda:
        "../../envs/peaks.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    shell:
        "python -m regflow peaks cutsites"
        " --sample {wildcards.sample:q}"
        " --fragments {input:q}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule macs3_callpeak:
    """MACS3 narrow peaks with summits on the cut sites (ENCODE ATAC-seq settings)."""
    input:
        cutsites="results/peaks/{sample}/cutsites.bed.gz",
        chrom_sizes="results/genome/chrom.sizes",
    output:
        peaks="results/peaks/{sample}/macs3/{sample}_peaks.narrowPeak",
        summits="results/peaks/{sample}/macs3/{sample}_summits.bed",
        xls="results/peaks/{sample}/macs3/{sample}_peaks.xls",
    log:
        "logs/peaks/macs3/{sample}.log",
    benchmark:
        "results/benchmarks/peaks/macs3/{sample}.tsv"
    wildcard_constraints:
        sample=name_choice(samples_of("atac")),
    conda:
        "../../envs/peaks.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        outdir=lambda wildcards, output: Path(output.peaks).parent,
        gsize=config["peaks"]["genome_size"],
        mito=" ".join(config["genome"]["mito"]),
        qvalue=config["peaks"]["qvalue"],
        shift=config["peaks"]["shift"],
        extsize=config["peaks"]["extsize"],
        extra=config["peaks"]["macs3_extra"],
    shell:
        "gsize={params.gsize}; "
        'if [ "$gsize" = 0 ]; then'
        " gsize=$(awk -v mito={params.mito:q}"
        ' \'BEGIN {{ n = split(mito, m, " "); for (i = 1; i <= n; i++) skip[m[i]] = 1 }}'
        " !($1 in skip) {{ s += $2 }} END {{ print s }}' {input.chrom_sizes:q}); fi; "
        "macs3 callpeak"
        " -t {input.cutsites:q}"
        " -f BED"
        " -g $gsize"
        " -n {wildcards.sample:q}"
        " --outdir {params.outdir:q}"
        " --nomodel"
        " --shift {params.shift}"
        " --extsize {params.extsize}"
        " --keep-dup all"
        " --call-summits"
        " -q {params.qvalue}"
        " {params.extra}"
        " > {log:q} 2>&1"


rule peak_filter:
    """Peaks of one sample outside the blacklist and within the chromosomes."""
    input:
        peaks="results/peaks/{sample}/macs3/{sample}_peaks.narrowPeak",
        chrom_sizes="results/genome/chrom.sizes",
    output:
        peaks="results/peaks/{sample}.narrowPeak",
        stats="results/qc/{sample}/peaks.json",
    log:
        "logs/peaks/filter/{sample}.log",
    conda:
        "../../envs/peaks.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        blacklist=(
            f"--blacklist {shlex.quote(config['genome']['blacklist'])}"
            if config["genome"]["blacklist"]
            else ""
        ),
    shell:
        "python -m regflow peaks filter"
        " --sample {wildcards.sample:q}"
        " --narrowpeak {input.peaks:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " {params.blacklist}"
        " --output {output.peaks:q}"
        " --output-json {output.stats:q}"
        " > {log:q} 2>&1"


rule consensus_peaks:
    """Summit-centred fixed-width peaks, iterative overlap removal, kept if reproducible."""
    input:
        peaks=expand("results/peaks/{sample}.narrowPeak", sample=samples_of("atac")),
        chrom_sizes="results/genome/chrom.sizes",
    output:
        "results/peaks/consensus.bed",
    log:
        "logs/peaks/consensus.log",
    conda:
        "../../envs/peaks.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        peaks=quoted(f"{s}=results/peaks/{s}.narrowPeak" for s in samples_of("atac")),
        conditions=quoted(f"{s}={SAMPLES.loc[s, 'condition']}" for s in samples_of("atac")),
        width=config["peaks"]["width"],
        min_replicates=config["peaks"]["min_replicates"],
    shell:
        "python -m regflow peaks consensus"
        " --narrowpeak {params.peaks}"
        " --condition {params.conditions}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --width {params.width}"
        " --min-replicates {params.min_replicates}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule peak_counts:
    """Tn5 insertions per consensus peak and sample: AnnData (counts, CPM, logCPM) and TSVs."""
    input:
        consensus="results/peaks/consensus.bed",
        fragments=expand("results/fragments/{sample}.tsv.gz", sample=samples_of("atac")),
    output:
        h5ad="results/peaks/atac.h5ad",
        counts="results/peaks/counts.tsv",
        logcpm="results/peaks/logcpm.tsv",
        pseudobulk="results/peaks/pseudobulk_logcpm.tsv",
        frip=expand("results/qc/frip/{sample}.json", sample=samples_of("atac")),
    log:
        "logs/peaks/counts.log",
    benchmark:
        "results/benchmarks/peaks/counts.tsv"
    conda:
        "../../envs/peaks.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        fragments=quoted(f"{s}=results/fragments/{s}.tsv.gz" for s in samples_of("atac")),
        # the sheet is read for the ATAC samples' metadata only: rerun when that changes,
        # not when another assay's samples are added
        sheet=config["samples"],
        metadata=sheet_rows("atac"),
        frip_dir=lambda wildcards, output: Path(output.frip[0]).parent,
    shell:
        "python -m regflow peaks counts"
        " --consensus {input.consensus:q}"
        " --fragments {params.fragments}"
        " --samples {params.sheet:q}"
        " --output-h5ad {output.h5ad:q}"
        " --output-counts {output.counts:q}"
        " --output-logcpm {output.logcpm:q}"
        " --output-pseudobulk {output.pseudobulk:q}"
        " --frip-dir {params.frip_dir:q}"
        " > {log:q} 2>&1"
