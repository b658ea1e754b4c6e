# Simulated data: how well every stage recovered the truth, in one table.


rule truth_recovery:
    """Every recovery score of the simulated truth (peaks, logCPM, TPM, NDRs, motif sites,
    models, Jacobian, enrichment, TF-MoDISco), with the goal each issue set."""
    input:
        unpack(truth_recovery_inputs),
    output:
        table="results/truth_recovery.tsv",
        summary="results/truth_recovery.json",
    log:
        "logs/evaluate/truth_recovery.log",
    conda:
        "../../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        options=truth_recovery_args,
        truth=f"{SIM_DIR}/truth",
    shell:
        "python -m regflow evaluate truth-recovery"
        " --truth {params.truth:q}"
        " --samples {input.samples:q}"
        "{params.options}"
        " --output {output.table:q}"
        " --summary {output.summary:q}"
        " > {log:q} 2>&1"
