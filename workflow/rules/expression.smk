# RNA-seq expression: strand-aware gene counts from the alignments (featureCounts, exons of the
# GTF) and TPM from salmon (multi-mapping reads resolved by EM, effective lengths from the
# fragment-length distribution) or, optionally, from the featureCounts counts; tables genes x
# samples and per-condition means.

STRAND_FLAG = {"unstranded": 0, "forward": 1, "reverse": 2}
SALMON_LIBTYPE = {"unstranded": "U", "forward": "SF", "reverse": "SR"}
EXPRESSION_TABLES = [
    "counts",
    "tpm",
    "log2_tpm",
    "log10_tpm",
    "tpm_by_condition",
    "log2_tpm_by_condition",
    "gene_lengths",
]


rule featurecounts:
    """Reads (pairs) per gene of one RNA-seq sample, on the library's strand."""
    input:
        bam="results/bam/{sample}.bam",
        gtf=genome_gtf(),
    output:
        counts="results/expression/{sample}.featureCounts.txt",
        summary="results/expression/{sample}.featureCounts.txt.summary",
    log:
        "logs/expression/featurecounts/{sample}.log",
    benchmark:
        "results/benchmarks/expression/featurecounts/{sample}.tsv"
    wildcard_constraints:
        sample=name_choice(samples_of("rna")),
    conda:
        "../../envs/expression.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        strand=STRAND_FLAG[config["expression"]["strandedness"]],
        pairs=lambda wildcards: "-p --countReadPairs" if is_paired(wildcards.sample) else "",
    shell:
        "featureCounts"
        " -a {input.gtf:q}"
        " -o {output.counts:q}"
        " -t exon"
        " -g gene_id"
        " -s {params.strand}"
        " {params.pairs}"
        " -T {threads}"
        " {input.bam:q}"
        " > {log:q} 2>&1"


rule salmon_transcripts:
    """Spliced transcripts of the GTF with the genome as decoys (salmon's gentrome)."""
    input:
        fasta=genome_fasta(),
        gtf=genome_gtf(),
        checked="results/genome/chrom.sizes",
    output:
        gentrome=temp("results/expression/salmon_index/gentrome.fa"),
        decoys="results/expression/salmon_index/decoys.txt",
        tx2gene="results/expression/salmon_index/tx2gene.tsv",
    log:
        "logs/expression/salmon_transcripts.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "python -m regflow expression transcripts"
        " --fasta {input.fasta:q}"
        " --gtf {input.gtf:q}"
        " --output-gentrome {output.gentrome:q}"
        " --output-decoys {output.decoys:q}"
        " --output-tx2gene {output.tx2gene:q}"
        " > {log:q} 2>&1"


rule salmon_index:
    """The salmon index of the transcripts, with decoys; built once."""
    input:
        gentrome="results/expression/salmon_index/gentrome.fa",
        decoys="results/expression/salmon_index/decoys.txt",
    output:
        directory("results/expression/salmon_index/index"),
    log:
        "logs/expression/salmon_index.log",
    benchmark:
        "results/benchmarks/expression/salmon_index.tsv"
    conda:
        "../../envs/expression.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=120,
    shell:
        "salmon index"
        " -t {input.gentrome:q}"
        " -d {input.decoys:q}"
        " -i {output:q}"
        " -k 23"
        " --keepDuplicates"
        " -p {threads}"
        " > {log:q} 2>&1"


rule salmon_quant:
    """Transcript and gene abundance of one RNA-seq sample from its trimmed reads."""
    input:
        unpack(trimmed_fastqs),
        index="results/expression/salmon_index/index",
        tx2gene="results/expression/salmon_index/tx2gene.tsv",
    output:
        genes="results/expression/salmon/{sample}/quant.genes.sf",
        transcripts="results/expression/salmon/{sample}/quant.sf",
    log:
        "logs/expression/salmon_quant/{sample}.log",
    benchmark:
        "results/benchmarks/expression/salmon_quant/{sample}.tsv"
    wildcard_constraints:
        sample=name_choice(samples_of("rna")),
    conda:
        "../../envs/expression.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        outdir=lambda wildcards, output: Path(output.genes).parent,
        # library type from the config (salmon's -l A decides only after ~50,000 reads);
        # single-end libraries need the mean fragment length salmon cannot estimate
        reads=lambda wildcards, input: (
            f"-l I{SALMON_LIBTYPE[config['expression']['strandedness']]}"
            f" -1 {shlex.quote(input.r1)} -2 {shlex.quote(input.r2)}"
            if "r2" in input.keys()
            else f"-l {SALMON_LIBTYPE[config['expression']['strandedness']]}"
            f" -r {shlex.quote(input.r1)} --fldMean {config['expression']['fragment_length_mean']}"
        ),
    shell:
        "salmon quant"
        " -i {input.index:q}"
        " {params.reads}"
        " --validateMappings"
        " -g {input.tx2gene:q}"
        " -p {threads}"
        " -o {params.outdir:q}"
        " > {log:q} 2>&1"


rule fragment_length:
    """Mean fragment length of an RNA-seq sample (estimated if paired, else assumed)."""
    input:
        bam="results/bam/{sample}.bam",
    output:
        "results/expression/{sample}.fragment_length.json",
    log:
        "logs/expression/fragment_length/{sample}.log",
    wildcard_constraints:
        sample=name_choice(samples_of("rna")),
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        default=config["expression"]["fragment_length_mean"],
    shell:
        "python -m regflow expression fragment-length"
        " --sample {wildcards.sample:q}"
        " --bam {input.bam:q}"
        " --default {params.default}"
        " --output-json {output:q}"
        " > {log:q} 2>&1"


rule expression_tables:
    """Counts, TPM, log2/log10(TPM + 1) genes x samples, and per-condition means."""
    input:
        counts=expand("results/expression/{sample}.featureCounts.txt", sample=samples_of("rna")),
        tpm_source=expand(
            (
                "results/expression/salmon/{sample}/quant.genes.sf"
                if config["expression"]["tpm_from"] == "salmon"
                else "results/expression/{sample}.fragment_length.json"
            ),
            sample=samples_of("rna"),
        ),
    output:
        expand(
            "results/expression/{table}.tsv",
            table=EXPRESSION_TABLES
            + (
                ["salmon_numreads", "effective_lengths"]
                if config["expression"]["tpm_from"] == "salmon"
                else []
            ),
        ),
    log:
        "logs/expression/tables.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        counts=quoted(f"{s}=results/expression/{s}.featureCounts.txt" for s in samples_of("rna")),
        tpm_source=lambda wildcards, input: (
            "--salmon" if config["expression"]["tpm_from"] == "salmon" else "--fragment-length"
        )
        + "".join(
            f" {shlex.quote(f'{s}={path}')}"
            for s, path in zip(samples_of("rna"), input.tpm_source, strict=True)
        ),
        # the sheet is read for the RNA samples' metadata only: rerun when that changes
        sheet=config["samples"],
        metadata=sheet_rows("rna"),
        outdir=lambda wildcards, output: Path(output[0]).parent,
    shell:
        "python -m regflow expression tables"
        " --counts {params.counts}"
        " {params.tpm_source}"
        " --samples {params.sheet:q}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"
