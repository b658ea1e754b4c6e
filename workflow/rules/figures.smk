# The figures stage: each seed paper's key figure or table, regenerated on the run's own data,
# marked for `snakemake --report`; and the run's provenance (resolved config, versions).


rule figure_vit_r2:
    """Chromatin-transformers Figure 2A: test R^2 of every ViT variant and the GP baseline."""
    input:
        metrics=[path for _, path in vit_run_files("metrics.json")],
        baseline="results/train/vit_gp/metrics.json",
    output:
        png=report(
            "results/figures/vit_r2_by_variant.png",
            caption="../report/vit_r2_by_variant.rst",
            category="Chromatin ViT (seed 000)",
            subcategory="Figure 2A",
        ),
        pdf="results/figures/vit_r2_by_variant.pdf",
        tsv="results/figures/vit_r2_by_variant.tsv",
    log:
        "logs/figures/vit_r2_by_variant.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        metrics=named_args("metrics", vit_run_files("metrics.json")),
    shell:
        "python -m regflow figures vit-r2"
        " {params.metrics}"
        " --baseline {input.baseline:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_vit_scatter:
    """Chromatin-transformers Figure 2B: predicted vs true log2 TPM of the best variant."""
    input:
        metrics=[path for _, path in vit_run_files("metrics.json")],
        predictions=[path for _, path in vit_run_files("predictions.tsv")],
    output:
        png=report(
            "results/figures/vit_predicted_vs_true.png",
            caption="../report/vit_predicted_vs_true.rst",
            category="Chromatin ViT (seed 000)",
            subcategory="Figure 2B",
        ),
        pdf="results/figures/vit_predicted_vs_true.pdf",
        tsv="results/figures/vit_predicted_vs_true.tsv",
    log:
        "logs/figures/vit_predicted_vs_true.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        metrics=named_args("metrics", vit_run_files("metrics.json")),
        predictions=named_args("predictions", vit_run_files("predictions.tsv")),
    shell:
        "python -m regflow figures vit-scatter"
        " {params.metrics}"
        " {params.predictions}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_vit_attention:
    """Chromatin-transformers Figure 3: one gene's MNase images, attention rollout and true and
    predicted TPM over time, from the interpret stage's maps."""
    input:
        attention="results/interpret/vit/attention.npz",
        table="results/interpret/vit/attention.tsv",
    output:
        png=report(
            "results/figures/vit_attention.png",
            caption="../report/vit_attention.rst",
            category="Chromatin ViT (seed 000)",
            subcategory="Figure 3",
        ),
        pdf="results/figures/vit_attention.pdf",
        tsv="results/figures/vit_attention.tsv",
    log:
        "logs/figures/vit_attention.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        variant=vit_attention_variant(),
        gene=vit_gene_arg(),
    shell:
        "python -m regflow figures vit-attention"
        " --attention {input.attention:q}"
        " --table {input.table:q}"
        " --variant {params.variant:q}"
        " {params.gene}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_seqtrack_table:
    """1D-Swin Table 1: test Pearson per track group of every sequence model."""
    input:
        "results/train/seqtrack/pearson_by_assay.tsv",
    output:
        png=report(
            "results/figures/seqtrack_pearson.png",
            caption="../report/seqtrack_pearson.rst",
            category="1D-Swin (seed 001)",
            subcategory="Table 1",
        ),
        pdf="results/figures/seqtrack_pearson.pdf",
        tsv="results/figures/seqtrack_pearson.tsv",
    log:
        "logs/figures/seqtrack_pearson.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m regflow figures seqtrack-table"
        " --pearson {input:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_get_heatmap:
    """GET: the gene x motif Jacobian heatmap of the top motifs."""
    input:
        "results/interpret/get/gene_x_motif.tsv",
    output:
        png=report(
            "results/figures/get_gene_x_motif.png",
            caption="../report/get_gene_x_motif.rst",
            category="GET (seed 002)",
            subcategory="Gene x motif",
        ),
        pdf="results/figures/get_gene_x_motif.pdf",
        tsv="results/figures/get_gene_x_motif.tsv",
    log:
        "logs/figures/get_gene_x_motif.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        top=FIGURES["top_motifs"],
    shell:
        "python -m regflow figures get-heatmap"
        " --gene-x-motif {input:q}"
        " --top-motifs {params.top:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_get_enrichment:
    """GET: the gene-set enrichment dot plot of the most enriched motifs."""
    input:
        "results/enrich/offline/enrichment.tsv",
    output:
        png=report(
            "results/figures/get_enrichment.png",
            caption="../report/get_enrichment.rst",
            category="GET (seed 002)",
            subcategory="Enrichment",
        ),
        pdf="results/figures/get_enrichment.pdf",
        tsv="results/figures/get_enrichment.tsv",
    log:
        "logs/figures/get_enrichment.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        motifs=FIGURES["enrichment_motifs"],
        terms=FIGURES["enrichment_terms"],
    shell:
        "python -m regflow figures get-enrichment"
        " --enrichment {input:q}"
        " --top-motifs {params.motifs:q}"
        " --top-terms {params.terms:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_get_vs_forest:
    """GET: held-out Pearson of GET and its random-forest baseline per split."""
    input:
        model="results/train/get/metrics.json",
        forest="results/train/get_forest/metrics.json",
    output:
        png=report(
            "results/figures/get_vs_forest.png",
            caption="../report/get_vs_forest.rst",
            category="GET (seed 002)",
            subcategory="GET vs random forest",
        ),
        pdf="results/figures/get_vs_forest.pdf",
        tsv="results/figures/get_vs_forest.tsv",
    log:
        "logs/figures/get_vs_forest.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m regflow figures get-vs-forest"
        " --get {input.model:q}"
        " --forest {input.forest:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_chrombpnet_locus:
    """ChromBPNet at the test-chromosome peak with most insertions: observed vs predicted
    profiles (bias-corrected, uncorrected) and the contribution scores of each head."""
    input:
        predictions="results/train/chrombpnet/fold_0/predictions.tsv",
        profiles="results/train/chrombpnet/fold_0/profiles.npz",
        observed="results/tracks/cutsites/chrombpnet.bw",
        contributions=[path for _, path in chrombpnet_locus_contributions()],
    output:
        png=report(
            "results/figures/chrombpnet_locus.png",
            caption="../report/chrombpnet_locus.rst",
            category="ChromBPNet (seed 003)",
            subcategory="Locus",
        ),
        pdf="results/figures/chrombpnet_locus.pdf",
        tsv="results/figures/chrombpnet_locus.tsv",
    log:
        "logs/figures/chrombpnet_locus.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        contributions=named_args("contributions", chrombpnet_locus_contributions()),
        zoom=FIGURES["logo_width"],
    shell:
        "python -m regflow figures chrombpnet-locus"
        " --predictions {input.predictions:q}"
        " --profiles {input.profiles:q}"
        " --observed {input.observed:q}"
        " {params.contributions}"
        " --zoom {params.zoom:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_chrombpnet_motifs:
    """ChromBPNet: the top TF-MoDISco patterns of each model and head, with their matches."""
    input:
        [path for _, path in modisco_pattern_files()],
    output:
        png=report(
            "results/figures/chrombpnet_motifs.png",
            caption="../report/chrombpnet_motifs.rst",
            category="ChromBPNet (seed 003)",
            subcategory="Motifs",
        ),
        pdf="results/figures/chrombpnet_motifs.pdf",
        tsv="results/figures/chrombpnet_motifs.tsv",
    log:
        "logs/figures/chrombpnet_motifs.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        patterns=named_args("patterns", modisco_pattern_files()),
        rows=FIGURES["modisco_rows"],
    shell:
        "python -m regflow figures chrombpnet-motifs"
        " {params.patterns}"
        " --rows {params.rows:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_qc:
    """QC panels: fragment-size distributions, TSS enrichment and FRiP per sample."""
    input:
        table="results/qc/qc_table.tsv",
        hists=[path for _, path in qc_figure_files()[0]],
        tss=[path for _, path in qc_figure_files()[1]],
    output:
        png=report(
            "results/figures/qc_panels.png",
            caption="../report/qc_panels.rst",
            category="QC",
            subcategory="Panels",
        ),
        pdf="results/figures/qc_panels.pdf",
        tsv="results/figures/qc_panels.tsv",
    log:
        "logs/figures/qc_panels.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        samples=qc_figure_args(),
    shell:
        "python -m regflow figures qc"
        " --qc-table {input.table:q}"
        " {params.samples}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule figure_truth_recovery:
    """Simulated data: the truth-recovery table rendered, goals met and missed."""
    input:
        "results/truth_recovery.tsv",
    output:
        png=report(
            "results/figures/truth_recovery.png",
            caption="../report/truth_recovery.rst",
            category="Truth recovery",
        ),
        pdf="results/figures/truth_recovery.pdf",
        tsv=report(
            "results/figures/truth_recovery.tsv",
            caption="../report/truth_recovery_table.rst",
            category="Truth recovery",
        ),
    log:
        "logs/figures/truth_recovery.log",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m regflow figures truth-recovery"
        " --table {input:q}"
        " --png {output.png:q}"
        " --pdf {output.pdf:q}"
        " --tsv {output.tsv:q}"
        " > {log:q} 2>&1"


rule provenance:
    """The exact resolved configuration and the versions of Python, Snakemake, the Python
    packages and the command-line tools, for the report."""
    output:
        config=report(
            "results/provenance/config.yaml",
            caption="../report/provenance_config.rst",
            category="Provenance",
        ),
        versions=report(
            "results/provenance/versions.tsv",
            caption="../report/provenance_versions.rst",
            category="Provenance",
        ),
    log:
        "logs/figures/provenance.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=json_arg(config),
        snakemake=SNAKEMAKE_VERSION,
    shell:
        "python -m regflow figures provenance"
        " --config-json {params.config}"
        " --snakemake-version {params.snakemake:q}"
        " --output-config {output.config:q}"
        " --output-versions {output.versions:q}"
        " > {log:q} 2>&1"
