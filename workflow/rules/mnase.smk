# MNase-seq window images: per gene x condition, fragment midpoints (relative to the TSS or the
# +1 nucleosome, strand-flipped) against fragment length, the chromatin-transformers input.


rule mnase_images:
    """The image dataset of every gene x MNase condition, with expression targets."""
    input:
        fragments=expand("results/fragments/{sample}.tsv.gz", sample=samples_of("mnase")),
        gtf=genome_gtf(),
        chrom_sizes="results/genome/chrom.sizes",
        targets=mnase_targets(),
    output:
        "results/mnase/images.npz",
    log:
        "logs/mnase/images.log",
    benchmark:
        "results/benchmarks/mnase/images.tsv"
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        fragments=quoted(f"{s}=results/fragments/{s}.tsv.gz" for s in samples_of("mnase")),
        conditions=quoted(f"{s}={SAMPLES.loc[s, 'condition']}" for s in samples_of("mnase")),
        targets=lambda wildcards, input: (
            f"--targets {shlex.quote(input.targets[0])}" if input.targets else ""
        ),
        preset=config["mnase"]["preset"],
        align="" if config["mnase"]["align_plus1"] else "--no-align",
        sigma=config["mnase"]["sigma"],
    shell:
        "python -m regflow mnase images"
        " --fragments {params.fragments}"
        " --condition {params.conditions}"
        " --gtf {input.gtf:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " {params.targets}"
        " --preset {params.preset}"
        " {params.align}"
        " --sigma {params.sigma}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule mnase_typhoon:
    """Typhoon panels (raw and smoothed images over conditions) of the most variable genes."""
    input:
        "results/mnase/images.npz",
    output:
        report(
            "results/mnase/typhoon.png", category="MNase images", caption="../report/typhoon.rst"
        ),
    log:
        "logs/mnase/typhoon.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        n=config["mnase"]["typhoon_genes"],
    shell:
        "python -m regflow mnase typhoon"
        " --images {input:q}"
        " --most-variable {params.n}"
        " --output {output:q}"
        " > {log:q} 2>&1"
