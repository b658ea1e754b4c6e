# Gene-set enrichment of each motif's top genes in GET's gene x motif matrix: offline on GMT
# files, and g:Profiler (cached per query) when enabled.


rule enrich_offline:
    """Hypergeometric enrichment of each motif's top genes in the GMT gene sets (no network)."""
    input:
        matrix="results/interpret/get/gene_x_motif.tsv",
        gmt=enrich_gmt_files(),
    output:
        table="results/enrich/offline/enrichment.tsv",
        plot="results/enrich/offline/dotplot.png",
    log:
        "logs/enrich/offline.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        options=enrich_options(),
        correction=config["enrich"]["correction"],
    shell:
        "python -m regflow enrich offline"
        " --matrix {input.matrix:q}"
        " --gmt {input.gmt:q}"
        " {params.options}"
        " --correction {params.correction}"
        " --table {output.table:q}"
        " --plot {output.plot:q}"
        " > {log:q} 2>&1"


rule enrich_recovery:
    """Simulated data: whether each planted TF's target set is enriched in its motif's genes."""
    input:
        table="results/enrich/offline/enrichment.tsv",
        planted="results/interpret/get/recovery.tsv",
    output:
        "results/enrich/offline/recovery.json",
    log:
        "logs/enrich/recovery.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m regflow enrich recovery"
        " --table {input.table:q}"
        " --planted {input.planted:q}"
        " --output {output:q}"
        " > {log:q} 2>&1"


rule enrich_gprofiler:
    """g:Profiler enrichment of each motif's top genes; answers cached, so reruns are offline."""
    input:
        matrix="results/interpret/get/gene_x_motif.tsv",
    output:
        table="results/enrich/gprofiler/enrichment.tsv",
        plot="results/enrich/gprofiler/dotplot.png",
    log:
        "logs/enrich/gprofiler.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        options=enrich_options(),
        online=gprofiler_options(),
    shell:
        "python -m regflow enrich gprofiler"
        " --matrix {input.matrix:q}"
        " {params.options}"
        " {params.online}"
        " --table {output.table:q}"
        " --plot {output.plot:q}"
        " > {log:q} 2>&1"
