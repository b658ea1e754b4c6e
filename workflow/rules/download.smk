# Remote inputs: FASTQ files the sample sheet gives as http(s)/ftp URLs, and genome files the
# config gives as URLs, fetched once under download.dir (checked, retried, all or nothing) so
# every other rule reads a local copy. Local rules: cluster compute nodes often have no
# internet, the submitting host does.


localrules:
    download_fastq,
    download_reference,


rule download_fastq:
    """One read file of a sample from its sheet URL: gzip checked, MD5 when the sheet gives it."""
    output:
        f"{DOWNLOAD_DIR}/fastq/{{sample}}_R{{read}}.fastq.gz",
    log:
        "logs/download/fastq/{sample}_R{read}.log",
    wildcard_constraints:
        sample=name_choice(downloaded_samples()),
        read="1|2",
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=240,
    params:
        url=lambda wildcards: SAMPLES.loc[wildcards.sample, f"fastq_{wildcards.read}"],
        label=lambda wildcards: f"sample {wildcards.sample!r} fastq_{wildcards.read}",
        md5=lambda wildcards: (
            f"--md5 {md5}"
            if (md5 := SAMPLES.loc[wildcards.sample].get(f"md5_{wildcards.read}", ""))
            else ""
        ),
        options=download_options(),
    shell:
        "python -m regflow download"
        " --url {params.url:q}"
        " --output {output:q}"
        " --label {params.label:q}"
        " --format gzip"
        " {params.md5}"
        " {params.options}"
        " > {log:q} 2>&1"


rule download_reference:
    """A genome FASTA or GTF from its configured URL, unpacked when gzipped."""
    output:
        f"{DOWNLOAD_DIR}/genome/{{name}}",
    log:
        "logs/download/genome/{name}.log",
    wildcard_constraints:
        name=name_choice(reference_urls()),
    conda:
        "../../envs/regflow.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=240,
    params:
        url=lambda wildcards: reference_urls()[wildcards.name],
        label=lambda wildcards: f"reference {wildcards.name}",
        format=lambda wildcards: (
            "gunzip" if remote_name(reference_urls()[wildcards.name]).endswith(".gz") else "any"
        ),
        options=download_options(),
    shell:
        "python -m regflow download"
        " --url {params.url:q}"
        " --output {output:q}"
        " --label {params.label:q}"
        " --format {params.format}"
        " {params.options}"
        " > {log:q} 2>&1"
