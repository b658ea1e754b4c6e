# Model-ready datasets with explicit, recorded splits: the chromatin-ViT examples (a held-out
# time point, validation genes) and the GET peak windows (held-out conditions, validation and
# test chromosomes). Models retrain from these without rebuilding them.


rule dataset_vit:
    """Gene x time-point examples of MNase images with log2(TPM + 1) targets."""
    input:
        "results/mnase/images.npz",
    output:
        npz="results/datasets/vit/dataset.npz",
        examples="results/datasets/vit/examples.tsv",
        record="results/datasets/vit/dataset.json",
    log:
        "logs/datasets/vit.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        train=quoted(config["datasets"]["vit"]["train_conditions"]),
        test=quoted(config["datasets"]["vit"]["test_conditions"]),
        val_fraction=config["datasets"]["vit"]["val_fraction"],
        seed=config["datasets"]["vit"]["seed"],
        outdir=lambda wildcards, output: os.path.dirname(output.npz),
    shell:
        "python -m regflow datasets vit"
        " --images {input:q}"
        " --train-conditions {params.train}"
        " --test-conditions {params.test}"
        " --val-fraction {params.val_fraction}"
        " --seed {params.seed}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule dataset_get:
    """Windows of consecutive peaks: motif clusters + accessibility -> per-strand TSS labels."""
    input:
        peaks="results/peaks/consensus.bed",
        clusters="results/motifs/peaks_clusters.npz",
        logcpm="results/peaks/pseudobulk_logcpm.tsv",
        gtf=genome_gtf(),
        tpm="results/expression/tpm_by_condition.tsv",
    output:
        npz="results/datasets/get/dataset.npz",
        splits="results/datasets/get/splits.tsv",
        tss="results/datasets/get/tss.tsv",
        record="results/datasets/get/dataset.json",
    log:
        "logs/datasets/get.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        window=config["datasets"]["get"]["window"],
        stride=config["datasets"]["get"]["stride"],
        tss_distance=config["datasets"]["get"]["tss_distance"],
        accessibility=config["datasets"]["get"]["accessibility"],
        binary_threshold=config["datasets"]["get"]["binary_threshold"],
        tss_feature="--tss-feature" if config["datasets"]["get"]["tss_feature"] else "",
        heldout=quoted(config["datasets"]["get"]["heldout_conditions"]),
        val=quoted(config["datasets"]["get"]["val_chromosomes"]),
        test=quoted(config["datasets"]["get"]["test_chromosomes"]),
        outdir=lambda wildcards, output: os.path.dirname(output.npz),
    shell:
        "python -m regflow datasets get"
        " --peaks {input.peaks:q}"
        " --clusters {input.clusters:q}"
        " --logcpm {input.logcpm:q}"
        " --gtf {input.gtf:q}"
        " --tpm {input.tpm:q}"
        " --window {params.window}"
        " --stride {params.stride}"
        " --tss-distance {params.tss_distance}"
        " --accessibility {params.accessibility}"
        " --binary-threshold {params.binary_threshold}"
        " {params.tss_feature}"
        " --heldout-conditions {params.heldout}"
        " --val-chromosomes {params.val}"
        " --test-chromosomes {params.test}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule chrombpnet_cutsites:
    """Tn5 insertions per base (raw counts) of the ATAC-seq samples ChromBPNet models, pooled."""
    input:
        data=lambda wildcards: [f"results/fragments/{s}.tsv.gz" for s in chrombpnet_samples()],
        chrom_sizes="results/genome/chrom.sizes",
    output:
        "results/tracks/cutsites/chrombpnet.bw",
    log:
        "logs/datasets/chrombpnet_cutsites.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    shell:
        "python -m regflow bigwig"
        " --fragments {input.data:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --mode cutsites"
        " --bin-size 1"
        " --normalise none"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule dataset_chrombpnet:
    """Summit-centred peaks and GC-matched non-peaks: sequences, insertions per base, folds."""
    input:
        genome=genome_fasta(),
        chrom_sizes="results/genome/chrom.sizes",
        cutsites="results/tracks/cutsites/chrombpnet.bw",
        peaks="results/peaks/consensus.bed",
        blacklist=[CHROMBPNET["blacklist"]] if CHROMBPNET["blacklist"] else [],
    output:
        npz="results/datasets/chrombpnet/dataset.npz",
        regions="results/datasets/chrombpnet/regions.tsv",
        record="results/datasets/chrombpnet/dataset.json",
    log:
        "logs/datasets/chrombpnet.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        blacklist=lambda wildcards, input: (
            f"--blacklist {shlex.quote(input.blacklist[0])}" if input.blacklist else ""
        ),
        settings=chrombpnet_dataset_settings(),
        outdir=lambda wildcards, output: os.path.dirname(output.npz),
    shell:
        "python -m regflow datasets chrombpnet"
        " --genome {input.genome:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --cutsites {input.cutsites:q}"
        " --peaks {input.peaks:q}"
        " {params.blacklist}"
        " --settings {params.settings}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule dataset_seqtrack:
    """DNA windows with binned targets from every merged condition track, split by chromosome."""
    input:
        genome=genome_fasta(),
        chrom_sizes="results/genome/chrom.sizes",
        tracks=[path for _, _, path in seqtrack_tracks()],
    output:
        npz="results/datasets/seqtrack/dataset.npz",
        windows="results/datasets/seqtrack/windows.tsv",
        tracks="results/datasets/seqtrack/tracks.tsv",
        record="results/datasets/seqtrack/dataset.json",
    log:
        "logs/datasets/seqtrack.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        tracks=" ".join(f"--track {quoted(track)}" for track in seqtrack_tracks()),
        settings=seqtrack_dataset_settings(),
        outdir=lambda wildcards, output: os.path.dirname(output.npz),
    shell:
        "python -m regflow datasets seqtrack"
        " --genome {input.genome:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " {params.tracks}"
        " --settings {params.settings}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"
