# Reads to fragments: check, trim (fastp), align (bowtie2), filter and de-duplicate (samtools),
# fragments (Tn5-shifted for ATAC), CPM bigWigs and QC gathered into one table.


rule check_genome:
    """The annotation's contigs must all be in the FASTA; chrom.sizes and the keep BED."""
    input:
        fasta=genome_fasta(),
        gtf=genome_gtf(),
    output:
        chrom_sizes="results/genome/chrom.sizes",
        keep="results/genome/keep.bed",
    log:
        "logs/reads/check_genome.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        mito=config["genome"]["mito"],
        blacklist=(
            f"--blacklist {shlex.quote(config['genome']['blacklist'])}"
            if config["genome"]["blacklist"]
            else ""
        ),
    shell:
        "python -m regflow check-genome"
        " --fasta {input.fasta:q}"
        " --gtf {input.gtf:q}"
        " --mito {params.mito:q}"
        " {params.blacklist}"
        " --chrom-sizes {output.chrom_sizes:q}"
        " --keep-bed {output.keep:q}"
        " > {log:q} 2>&1"


rule bowtie2_index:
    """The bowtie2 index of the genome, built once and reused when samples are added."""
    input:
        fasta=genome_fasta(),
        checked="results/genome/chrom.sizes",
    output:
        multiext(
            "results/genome/bowtie2/genome",
            ".1.bt2",
            ".2.bt2",
            ".3.bt2",
            ".4.bt2",
            ".rev.1.bt2",
            ".rev.2.bt2",
        ),
    log:
        "logs/reads/bowtie2_index.log",
    benchmark:
        "results/benchmarks/reads/bowtie2_index.tsv"
    conda:
        "../../envs/align.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        prefix=lambda wildcards, output: output[0].removesuffix(".1.bt2"),
    shell:
        "bowtie2-build --threads {threads} {input.fasta:q} {params.prefix:q} > {log:q} 2>&1"


rule trim_paired:
    """A paired-end sample's FASTQ checked (readable, well-formed, non-empty, mates in step),
    then adapter- and quality-trimmed with fastp; one job, so no FASTQ is read by two jobs."""
    input:
        unpack(raw_fastqs),
    output:
        r1=temp("results/trimmed/{sample}_R1.fastq.gz"),
        r2=temp("results/trimmed/{sample}_R2.fastq.gz"),
        checked="results/qc/{sample}/fastq_check.json",
        json="results/qc/{sample}/fastp.json",
        html="results/qc/{sample}/fastp.html",
    log:
        "logs/reads/trim/{sample}.log",
    benchmark:
        "results/benchmarks/reads/trim/{sample}.tsv"
    wildcard_constraints:
        sample=name_choice(samples_of(paired=True)),
    conda:
        "../../envs/align.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        extra=config["reads"]["trim_extra"],
    shell:
        "python -m regflow check-fastq"
        " --sample {wildcards.sample:q}"
        " --fastq-1 {input.r1:q}"
        " --fastq-2 {input.r2:q}"
        " --output {output.checked:q}"
        " > {log:q} 2>&1"
        " && fastp"
        " --in1 {input.r1:q}"
        " --in2 {input.r2:q}"
        " --out1 {output.r1:q}"
        " --out2 {output.r2:q}"
        " --json {output.json:q}"
        " --html {output.html:q}"
        " --report_title {wildcards.sample:q}"
        " --thread {threads}"
        " {params.extra}"
        " >> {log:q} 2>&1"


rule trim_single:
    """A single-end sample's FASTQ checked (readable, well-formed, non-empty), then adapter-
    and quality-trimmed with fastp."""
    input:
        unpack(raw_fastqs),
    output:
        r1=temp("results/trimmed/{sample}_R1.fastq.gz"),
        checked="results/qc/{sample}/fastq_check.json",
        json="results/qc/{sample}/fastp.json",
        html="results/qc/{sample}/fastp.html",
    log:
        "logs/reads/trim/{sample}.log",
    benchmark:
        "results/benchmarks/reads/trim/{sample}.tsv"
    wildcard_constraints:
        sample=name_choice(samples_of(paired=False)),
    conda:
        "../../envs/align.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        extra=config["reads"]["trim_extra"].replace("--detect_adapter_for_pe", ""),
    shell:
        "python -m regflow check-fastq"
        " --sample {wildcards.sample:q}"
        " --fastq-1 {input.r1:q}"
        " --output {output.checked:q}"
        " > {log:q} 2>&1"
        " && fastp"
        " --in1 {input.r1:q}"
        " --out1 {output.r1:q}"
        " --json {output.json:q}"
        " --html {output.html:q}"
        " --report_title {wildcards.sample:q}"
        " --thread {threads}"
        " {params.extra}"
        " >> {log:q} 2>&1"


rule align:
    """bowtie2 alignment, coordinate-sorted; bowtie2's summary is kept for QC."""
    input:
        unpack(trimmed_fastqs),
        index=rules.bowtie2_index.output,
    output:
        bam=temp("results/bam/{sample}.raw.bam"),
        summary="results/qc/{sample}/bowtie2.txt",
    log:
        "logs/reads/align/{sample}.log",
    benchmark:
        "results/benchmarks/reads/align/{sample}.tsv"
    conda:
        "../../envs/align.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        index=lambda wildcards, input: input.index[0].removesuffix(".1.bt2"),
        reads=lambda wildcards, input: (
            f"-1 {shlex.quote(input.r1)} -2 {shlex.quote(input.r2)}"
            if "r2" in input.keys()
            else f"-U {shlex.quote(input.r1)}"
        ),
        extra=lambda wildcards: config["reads"]["bowtie2_extra"][ASSAY_OF[wildcards.sample]],
    shell:
        "bowtie2"
        " -p {threads}"
        " -x {params.index:q}"
        " {params.reads}"
        " {params.extra}"
        " --rg-id {wildcards.sample:q}"
        " --rg SM:{wildcards.sample:q}"
        " 2> {output.summary:q}"
        " | samtools sort -@ {threads} -T {output.bam:q}.tmp -o {output.bam:q} - 2> {log:q}"


rule filter_bam:
    """MAPQ, proper pairs, chrM and blacklist removed, duplicates removed; counts per step."""
    input:
        bam="results/bam/{sample}.raw.bam",
        keep="results/genome/keep.bed",
    output:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
        stats="results/qc/{sample}/filter.json",
    log:
        "logs/reads/filter/{sample}.log",
    benchmark:
        "results/benchmarks/reads/filter/{sample}.tsv"
    conda:
        "../../envs/align.yaml"
    # samtools runs with one compression thread (-@ 1) either way: about one core in all;
    # more threads pay on large BAMs (set-threads filter_bam=N)
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    params:
        mito=config["genome"]["mito"],
        mapq=config["reads"]["min_mapq"],
        paired=lambda wildcards: "--paired" if is_paired(wildcards.sample) else "",
        dups=lambda wildcards: (
            ""
            if config["reads"]["remove_duplicates"][ASSAY_OF[wildcards.sample]]
            else "--keep-duplicates"
        ),
    shell:
        "python -m regflow filter-bam"
        " --sample {wildcards.sample:q}"
        " --bam {input.bam:q}"
        " --keep-bed {input.keep:q}"
        " --mito {params.mito:q}"
        " --min-mapq {params.mapq}"
        " {params.paired}"
        " {params.dups}"
        " --threads {threads}"
        " --output {output.bam:q}"
        " --stats {output.stats:q}"
        " > {log:q} 2>&1"


rule fragments:
    """fragments.tsv.gz of a paired-end sample: Tn5-shifted for ATAC, as is for MNase."""
    input:
        bam="results/bam/{sample}.bam",
        bai="results/bam/{sample}.bam.bai",
    output:
        frags="results/fragments/{sample}.tsv.gz",
        tbi="results/fragments/{sample}.tsv.gz.tbi",
    log:
        "logs/reads/fragments/{sample}.log",
    wildcard_constraints:
        sample=name_choice(samples_of("atac", "mnase")),
    conda:
        "../../envs/align.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        shift=lambda wildcards: (
            "--shift-plus {} --shift-minus {}".format(*config["reads"]["tn5_shift"])
            if ASSAY_OF[wildcards.sample] == "atac"
            else ""
        ),
    shell:
        "python -m regflow fragments"
        " --sample {wildcards.sample:q}"
        " --bam {input.bam:q}"
        " {params.shift}"
        " --threads {threads}"
        " --output {output.frags:q}"
        " > {log:q} 2>&1"


rule bigwig_sample:
    """CPM-normalised bigWig of one sample."""
    input:
        data=lambda wildcards: track_input(wildcards.sample),
        chrom_sizes="results/genome/chrom.sizes",
    output:
        "results/tracks/{sample}.cpm.bw",
    log:
        "logs/reads/bigwig/{sample}.log",
    benchmark:
        "results/benchmarks/reads/bigwig/{sample}.tsv"
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        flag=lambda wildcards: track_flag([wildcards.sample]),
        mode=lambda wildcards: TRACK_MODE[ASSAY_OF[wildcards.sample]],
        bin_size=config["reads"]["bin_size"],
        smooth=lambda wildcards: (
            config["reads"]["atac_smooth"] if ASSAY_OF[wildcards.sample] == "atac" else 0
        ),
    shell:
        "python -m regflow bigwig"
        " {params.flag} {input.data:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --mode {params.mode}"
        " --bin-size {params.bin_size}"
        " --smooth {params.smooth}"
        " --output {output:q}"
        " > {log:q} 2>&1"


# CPM bigWigs of the fragment-length classes of reads.size_classes: one rule per assay with
# classes (bigwig_size_classes_atac, bigwig_size_classes_mnase), one job per sample writing
# all of that sample's classes.
for _assay in [a for a in ("atac", "mnase") if size_class_names(a)]:

    rule:
        name:
            f"bigwig_size_classes_{_assay}"
        input:
            data="results/fragments/{sample}.tsv.gz",
            chrom_sizes="results/genome/chrom.sizes",
        output:
            size_class_tracks(_assay),
        log:
            "logs/reads/bigwig/{sample}.size_classes.log",
        wildcard_constraints:
            sample=name_choice(samples_of(_assay)),
        conda:
            "../../envs/regflow.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=60,
        params:
            mode=lambda wildcards: CLASS_MODE[ASSAY_OF[wildcards.sample]],
            bin_size=config["reads"]["bin_size"],
            classes=lambda wildcards, output: size_class_args(ASSAY_OF[wildcards.sample], output),
        shell:
            "python -m regflow bigwig"
            " --fragments {input.data:q}"
            " --chrom-sizes {input.chrom_sizes:q}"
            " --mode {params.mode}"
            " --bin-size {params.bin_size}"
            " {params.classes}"
            " > {log:q} 2>&1"


rule bigwig_condition:
    """CPM bigWig of all replicates of one assay and condition, merged."""
    input:
        data=lambda wildcards: [
            track_input(s) for s in samples_in(wildcards.assay, wildcards.condition)
        ],
        chrom_sizes="results/genome/chrom.sizes",
    output:
        "results/tracks/merged/{assay}.{condition}.cpm.bw",
    log:
        "logs/reads/bigwig/merged/{assay}.{condition}.log",
    wildcard_constraints:
        assay="atac|mnase|rna",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        flag=lambda wildcards: track_flag(samples_in(wildcards.assay, wildcards.condition)),
        mode=lambda wildcards: TRACK_MODE[wildcards.assay],
        bin_size=config["reads"]["bin_size"],
    shell:
        "python -m regflow bigwig"
        " {params.flag} {input.data:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --mode {params.mode}"
        " --bin-size {params.bin_size}"
        " --output {output:q}"
        " > {log:q} 2>&1"
