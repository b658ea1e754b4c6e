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
        " --images {input}"
        " --train-conditions {params.train}"
        " --test-conditions {params.test}"
        " --val-fraction {params.val_fraction}"
        " --seed {params.seed}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"


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
        " --peaks {input.peaks}"
        " --clusters {input.clusters}"
        " --logcpm {input.logcpm}"
        " --gtf {input.gtf}"
        " --tpm {input.tpm}"
        " --window {params.window}"
        " --stride {params.stride}"
        " --tss-distance {params.tss_distance}"
        " --accessibility {params.accessibility}"
        " --binary-threshold {params.binary_threshold}"
        " {params.tss_feature}"
        " --heldout-conditions {params.heldout}"
        " --val-chromosomes {params.val}"
        " --test-chromosomes {params.test}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"
