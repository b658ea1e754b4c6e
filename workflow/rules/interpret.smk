# Interpretation of the trained models: attention maps, GET's gene x motif Jacobian,
# contribution scores and motif discovery. On simulated data every step also scores itself
# against the planted truth.


rule interpret_get_jacobian:
    """GET's gene x motif matrices: gradient x input at each gene's TSS, per condition."""
    input:
        unpack(get_jacobian_inputs),
        npz="results/datasets/get/dataset.npz",
        tss="results/datasets/get/tss.tsv",
        splits="results/datasets/get/splits.tsv",
        weights="results/train/get/model.safetensors",
        settings="results/train/get/config.yaml",
    output:
        expand("results/interpret/get/{file}", file=jacobian_files()),
    log:
        "logs/interpret/get_jacobian.log",
    benchmark:
        "results/benchmarks/interpret/get_jacobian.tsv"
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
    params:
        truth=get_jacobian_truth_args,
        batch_size=config["interpret"]["get"]["batch_size"],
        run=lambda wildcards, input: os.path.dirname(input.weights),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret get-jacobian"
        " --run {params.run:q}"
        " --dataset {params.dataset:q}"
        " --batch-size {params.batch_size}"
        " --threads {threads}"
        " {params.truth}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule interpret_vit_attention:
    """Attention rollout of a ViT variant for chosen genes (chromatin-transformers Figure 3)."""
    input:
        npz="results/datasets/vit/dataset.npz",
        examples="results/datasets/vit/examples.tsv",
        weights=f"results/train/vit/{vit_attention_variant()}/model.safetensors",
        settings=f"results/train/vit/{vit_attention_variant()}/config.yaml",
        predictions=f"results/train/vit/{vit_attention_variant()}/predictions.tsv",
    output:
        expand("results/interpret/vit/{file}", file=vit_attention_files()),
    log:
        "logs/interpret/vit_attention.log",
    benchmark:
        "results/benchmarks/interpret/vit_attention.tsv"
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=60,
    params:
        genes=vit_attention_genes(),
        discard_ratio=config["interpret"]["vit"]["discard_ratio"],
        tss_band=config["interpret"]["vit"]["tss_band"],
        run=lambda wildcards, input: os.path.dirname(input.weights),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret vit-attention"
        " --run {params.run:q}"
        " --dataset {params.dataset:q}"
        " {params.genes}"
        " --discard-ratio {params.discard_ratio}"
        " --tss-band {params.tss_band}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule interpret_swin_attention:
    """1D-Swin attention per block and head on one test window (the 1D-Swin paper's Figure 4)."""
    input:
        npz="results/datasets/seqtrack/dataset.npz",
        windows="results/datasets/seqtrack/windows.tsv",
        weights="results/train/seqtrack/swin/model.safetensors",
        settings="results/train/seqtrack/swin/config.yaml",
    output:
        expand(
            "results/interpret/seqtrack/swin/{file}",
            file=["attention.npz", "attention.tsv", "figure4.png"],
        ),
    log:
        "logs/interpret/swin_attention.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=30,
    params:
        window=swin_window_arg(),
        run=lambda wildcards, input: os.path.dirname(input.weights),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret swin-attention"
        " --run {params.run:q}"
        " --dataset {params.dataset:q}"
        " {params.window}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule interpret_chrombpnet_contributions:
    """DeepLIFT/SHAP contributions of ChromBPNet's counts and profile heads at the peaks,
    averaged over the folds (bias-corrected model, or the bias model as a control)."""
    input:
        unpack(chrombpnet_contribution_runs),
        npz="results/datasets/chrombpnet/dataset.npz",
        regions="results/datasets/chrombpnet/regions.tsv",
        genome=genome_fasta(),
    output:
        expand(
            "results/interpret/chrombpnet/{{cmodel}}/{file}",
            file=chrombpnet_contribution_files(),
        ),
    log:
        "logs/interpret/chrombpnet_{cmodel}.contributions.log",
    benchmark:
        "results/benchmarks/interpret/chrombpnet_{cmodel}.contributions.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        runs=lambda wildcards, input: quoted(os.path.dirname(w) for w in input.weights),
        heads=quoted(config["interpret"]["contributions"]["heads"]),
        options=contribution_options(),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret contributions"
        " --kind chrombpnet"
        " --run {params.runs}"
        " --model {wildcards.cmodel:q}"
        " --heads {params.heads}"
        " --dataset {params.dataset:q}"
        " --genome {input.genome:q}"
        " --regions peaks"
        " {params.options}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule interpret_seqtrack_contributions:
    """DeepLIFT/SHAP contributions of a sequence-to-track model (all tracks summed)."""
    input:
        npz="results/datasets/seqtrack/dataset.npz",
        windows="results/datasets/seqtrack/windows.tsv",
        weights="results/train/seqtrack/{seqmodel}/model.safetensors",
        settings="results/train/seqtrack/{seqmodel}/config.yaml",
        genome=genome_fasta(),
    output:
        expand(
            "results/interpret/seqtrack/{{seqmodel}}/contributions/{file}",
            file=["tracks.npz", "tracks.bw", "contributions.json"],
        ),
    log:
        "logs/interpret/seqtrack_{seqmodel}.contributions.log",
    benchmark:
        "results/benchmarks/interpret/seqtrack_{seqmodel}.contributions.tsv"
    conda:
        "../../envs/models.yaml"
    threads: config["train"]["threads"]
    resources:
        gpu=1,
        mem_mb=config["train"]["mem_mb"],
        runtime=config["train"]["runtime"],
    params:
        options=contribution_options(seqtrack=True),
        run=lambda wildcards, input: os.path.dirname(input.weights),
        dataset=lambda wildcards, input: os.path.dirname(input.npz),
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret contributions"
        " --kind seqtrack"
        " --run {params.run:q}"
        " --dataset {params.dataset:q}"
        " --genome {input.genome:q}"
        " {params.options}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"


rule interpret_modisco:
    """TF-MoDISco patterns in ChromBPNet contributions, matched to the motif collection (and,
    on simulated data, scored against the planted motifs and the Tn5 bias)."""
    input:
        unpack(modisco_truth_inputs),
        contributions="results/interpret/chrombpnet/{cmodel}/{head}.npz",
        motifs="results/motifs/motifs.jaspar",
        clusters="results/motifs/clusters.tsv",
    output:
        expand(
            "results/interpret/modisco/{{cmodel}}_{{head}}/{file}",
            file=modisco_files(),
        ),
    log:
        "logs/interpret/modisco_{cmodel}_{head}.log",
    benchmark:
        "results/benchmarks/interpret/modisco_{cmodel}_{head}.tsv"
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        truth=modisco_truth_args,
        max_seqlets=config["interpret"]["modisco"]["max_seqlets"],
        window=config["interpret"]["modisco"]["window"],
        qvalue=config["interpret"]["modisco"]["match_qvalue"],
        outdir=lambda wildcards, output: os.path.dirname(output[0]),
    shell:
        "python -m regflow interpret modisco"
        " --contributions {input.contributions:q}"
        " --motifs {input.motifs:q}"
        " --clusters {input.clusters:q}"
        " {params.truth}"
        " --max-seqlets {params.max_seqlets}"
        " --window {params.window}"
        " --match-qvalue {params.qvalue}"
        " --threads {threads}"
        " --outdir {params.outdir:q}"
        " > {log:q} 2>&1"
