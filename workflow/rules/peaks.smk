# ATAC-seq peaks: MACS3 on Tn5 cut sites per sample, a reproducible summit-centred consensus
# set, and Tn5 insertions per consensus peak and sample as logCPM (AnnData and TSV).


rule macs3_callpeak:
    """Peaks of one ATAC-seq sample in one job: its Tn5 insertions as 1-bp BED records (a
    temporary file), MACS3 narrow peaks with summits on them (ENCODE ATAC-seq settings), then
    the peaks outside the blacklist and within the chromosomes."""
    input:
        frags="results/fragments/{sample}.tsv.gz",
        chrom_sizes="results/genome/chrom.sizes",
    output:
        macs3="results/peaks/{sample}/macs3/{sample}_peaks.narrowPeak",
        summits="results/peaks/{sample}/macs3/{sample}_summits.bed",
        xls="results/peaks/{sample}/macs3/{sample}_peaks.xls",
        peaks="results/peaks/{sample}.narrowPeak",
        stats="results/qc/{sample}/peaks.json",
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
        outdir=lambda wildcards, output: Path(output.macs3).parent,
        gsize=config["peaks"]["genome_size"],
        mito=" ".join(config["genome"]["mito"]),
        qvalue=config["peaks"]["qvalue"],
        shift=config["peaks"]["shift"],
        extsize=config["peaks"]["extsize"],
        extra=config["peaks"]["macs3_extra"],
        blacklist=(
            f"--blacklist {shlex.quote(config['genome']['blacklist'])}"
            if config["genome"]["blacklist"]
            else ""
        ),
    shell:
        "tmp=$(mktemp -d {resources.tmpdir:q}/regflow-cutsites.XXXXXX); "
        "trap 'rm -rf \"$tmp\"' EXIT; "
        "python -m regflow peaks cutsites"
        " --sample {wildcards.sample:q}"
        " --fragments {input.frags:q}"
        ' --output "$tmp/cutsites.bed.gz"'
        " > {log:q} 2>&1; "
        "gsize={params.gsize}; "
        'if [ "$gsize" = 0 ]; then'
        " gsize=$(awk -v mito={params.mito:q}"
        ' \'BEGIN {{ n = split(mito, m, " "); for (i = 1; i <= n; i++) skip[m[i]] = 1 }}'
        " !($1 in skip) {{ s += $2 }} END {{ print s }}' {input.chrom_sizes:q}); fi; "
        "macs3 callpeak"
        ' -t "$tmp/cutsites.bed.gz"'
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
        " >> {log:q} 2>&1; "
        "python -m regflow peaks filter"
        " --sample {wildcards.sample:q}"
        " --narrowpeak {output.macs3:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " {params.blacklist}"
        " --output {output.peaks:q}"
        " --output-json {output.stats:q}"
        " >> {log:q} 2>&1"


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
