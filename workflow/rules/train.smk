# Training jobs (PyTorch Lightning). Each declares one GPU (`gpu`, which the SLURM executor
# turns into --gpus) and runs on the CPU where there is none, saying which device it used in its
# log and metrics.json. A killed job leaves checkpoints under its output directory; rerunning
# the rule resumes from the last one. Baselines (the papers' own) share the datasets and splits.


rule train_vit:
    """One variant of the dual-channel chromatin ViT (MNase images -> log2(TPM + 1))."""
    input:
        npz="results/datasets/vit/dataset.npz",
        examples="results/datasets/vit/examples.tsv",
    output:
        expand("results/train/vit/{{variant}}/{file}", file=RUN_FILES),
    log:
        "logs/train/vit/{variant}.log",
    benchmark:
        "results/benchmarks/train/vit/{variant}.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        settings=lambda wildcards: vit_settings(wildcards.variant),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train vit"
        " --dataset {params.dataset:q}"
        " --settings {params.settings}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule train_vit_gp:
    """The chromatin-transformers baseline: a Gaussian process on summary chromatin features."""
    input:
        npz="results/datasets/vit/dataset.npz",
        examples="results/datasets/vit/examples.tsv",
    output:
        expand("results/train/vit_gp/{file}", file=BASELINE_FILES),
    log:
        "logs/train/vit_gp.log",
    benchmark:
        "results/benchmarks/train/vit_gp.tsv"
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        first=shlex.quote(config["vit"]["baseline_first_channel"]),
        seed=config["train"]["seed"],
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train vit-gp"
        " --dataset {params.dataset:q}"
        " --first-channel {params.first}"
        " --seed {params.seed}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule train_get:
    """The GET-style regulatory-element transformer (peak windows -> per-strand expression)."""
    input:
        npz="results/datasets/get/dataset.npz",
        splits="results/datasets/get/splits.tsv",
    output:
        expand("results/train/get/{file}", file=RUN_FILES),
    log:
        "logs/train/get.log",
    benchmark:
        "results/benchmarks/train/get.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        settings=get_settings(),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train get"
        " --dataset {params.dataset:q}"
        " --settings {params.settings}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule train_get_forest:
    """The GET paper's random-forest baseline on each peak's own features."""
    input:
        npz="results/datasets/get/dataset.npz",
        splits="results/datasets/get/splits.tsv",
    output:
        expand("results/train/get_forest/{file}", file=BASELINE_FILES),
    log:
        "logs/train/get_forest.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        seed=config["train"]["seed"],
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train get-forest"
        " --dataset {params.dataset:q}"
        " --seed {params.seed}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule train_chrombpnet_bias:
    """ChromBPNet's bias model on low-count non-peaks of one fold; stops if its QC fails."""
    input:
        npz="results/datasets/chrombpnet/dataset.npz",
        regions="results/datasets/chrombpnet/regions.tsv",
        tn5_motif=tn5_motif(),
    output:
        expand("results/train/chrombpnet/fold_{{fold}}/bias/{file}", file=RUN_FILES),
    log:
        "logs/train/chrombpnet/fold_{fold}.bias.log",
    benchmark:
        "results/benchmarks/train/chrombpnet/fold_{fold}.bias.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        settings=lambda wildcards: chrombpnet_settings(wildcards.fold),
        motif=lambda wildcards, input: (
            f"--tn5-motif {shlex.quote(input.tn5_motif[0])}" if input.tn5_motif else ""
        ),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train chrombpnet-bias"
        " --dataset {params.dataset:q}"
        " --settings {params.settings}"
        " {params.motif}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule train_chrombpnet:
    """ChromBPNet's accessibility model of one fold, trained with its bias model frozen."""
    input:
        npz="results/datasets/chrombpnet/dataset.npz",
        regions="results/datasets/chrombpnet/regions.tsv",
        bias="results/train/chrombpnet/fold_{fold}/bias/model.safetensors",
        tn5_motif=tn5_motif(),
    output:
        expand("results/train/chrombpnet/fold_{{fold}}/{file}", file=RUN_FILES + ["profiles.npz"]),
    log:
        "logs/train/chrombpnet/fold_{fold}.log",
    benchmark:
        "results/benchmarks/train/chrombpnet/fold_{fold}.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        settings=lambda wildcards: chrombpnet_settings(wildcards.fold),
        motif=lambda wildcards, input: (
            f"--tn5-motif {shlex.quote(input.tn5_motif[0])}" if input.tn5_motif else ""
        ),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        bias=lambda wildcards, input: os.path.dirname(input.bias),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train chrombpnet"
        " --dataset {params.dataset:q}"
        " --settings {params.settings}"
        " --bias {params.bias:q}"
        " {params.motif}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule chrombpnet_bigwig:
    """Predicted Tn5 insertions per base at the peaks, bias-corrected or not, mean over folds."""
    input:
        profiles=expand("results/train/chrombpnet/fold_{fold}/profiles.npz", fold=CHROMBPNET_FOLDS),
        chrom_sizes="results/genome/chrom.sizes",
    output:
        "results/train/chrombpnet/{kind}.bw",
    log:
        "logs/train/chrombpnet/{kind}.bigwig.log",
    wildcard_constraints:
        kind="corrected|uncorrected",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "python -m regflow profile-bigwig"
        " --profiles {input.profiles:q}"
        " --key {wildcards.kind:q}"
        " --chrom-sizes {input.chrom_sizes:q}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule train_seqtrack:
    """One sequence-to-track model (CNN baseline, Enformer-style or 1D-Swin) on the windows."""
    input:
        npz="results/datasets/seqtrack/dataset.npz",
        windows="results/datasets/seqtrack/windows.tsv",
    output:
        expand("results/train/seqtrack/{{seqmodel}}/{file}", file=RUN_FILES),
    log:
        "logs/train/seqtrack/{seqmodel}.log",
    benchmark:
        "results/benchmarks/train/seqtrack/{seqmodel}.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        settings=lambda wildcards: seqtrack_settings(wildcards.seqmodel),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow train seqtrack"
        " --dataset {params.dataset:q}"
        " --settings {params.settings}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule seqtrack_table:
    """The 1D-Swin paper's Table 1 on the demo: test Pearson per assay for every model."""
    input:
        expand("results/train/seqtrack/{seqmodel}/metrics.json", seqmodel=SEQ_MODELS),
    output:
        "results/train/seqtrack/pearson_by_assay.tsv",
    log:
        "logs/train/seqtrack/table.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m regflow train seqtrack-table"
        " --metrics {input:q}"
        " --output {output:q}"
        " > {log:q} 2>&1"
