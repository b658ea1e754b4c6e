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
        " --dataset {params.dataset}"
        " --settings {params.settings}"
        " --threads {threads}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"


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
        " --dataset {params.dataset}"
        " --first-channel {params.first}"
        " --seed {params.seed}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"


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
        " --dataset {params.dataset}"
        " --settings {params.settings}"
        " --threads {threads}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"


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
        " --dataset {params.dataset}"
        " --seed {params.seed}"
        " --outdir {params.outdir}"
        " > {log} 2>&1"
