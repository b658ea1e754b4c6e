# Shared by every stage: the package on the path, config and sample sheet validation,
# wildcard constraints and input functions.

import json  # json and re: also for the stage rule files
import os
import re
import shlex
import sys
from pathlib import Path

import jsonschema
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The regflow package lives in workflow/regflow. Put it on the path of this process (for the
# imports below), of every job (python -m regflow in rule shells, also on cluster nodes, which
# re-read this file) and of shell commands run in conda envs, where Snakemake drops
# PYTHONPATH from the environment unless --conda-not-block-search-path-envvars is given.
REGFLOW_PYTHONPATH = os.path.join(workflow.basedir, "workflow")
if REGFLOW_PYTHONPATH not in sys.path:
    sys.path.insert(0, REGFLOW_PYTHONPATH)
_search_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
if REGFLOW_PYTHONPATH not in _search_path:
    os.environ.update(PYTHONPATH=os.pathsep.join([REGFLOW_PYTHONPATH, *_search_path]))
# Jobs run without conda use the Python environment Snakemake runs in (its bin/ first on PATH),
# as if that environment were activated; inside a conda env, activation puts the env first.
_python_bin = os.path.dirname(sys.executable)
_path = os.environ.copy().pop("PATH", "")  # read without the linter's envvars check: not an input
if _path.split(os.pathsep)[0] != _python_bin:
    os.environ.update(PATH=os.pathsep.join([_python_bin, _path]))
# shell.prefix() replaces Snakemake's default "set -euo pipefail; " and formats its argument
# like a shell command, hence the doubled braces.
shell.prefix(
    "set -euo pipefail; "
    + "export PYTHONPATH="
    + shlex.quote(REGFLOW_PYTHONPATH).replace("{", "{{").replace("}", "}}")
    + "${{PYTHONPATH:+:$PYTHONPATH}}; "
)

from regflow.download.urls import is_url, remote_name
from regflow.errors import RegflowError
from regflow.samplesheet import read_sample_sheet, validate_sample_sheet

SIM_DIR = "results/simulate"
SIMULATED_FASTQ_DIR = f"{SIM_DIR}/fastq/"


def load_samples(path):
    """The sample sheet at ``path``, checked, indexed by sample name; stops on any problem."""
    sheet = read_sample_sheet(path)
    if config["simulate"]["enabled"]:
        produced = {
            fastq
            for column in ("fastq_1", "fastq_2")
            if column in sheet.columns
            for fastq in sheet[column]
            if fastq.startswith(SIMULATED_FASTQ_DIR)
        }
    else:
        produced = set()
    samples = validate_sample_sheet(
        sheet,
        path,
        base_dir=".",
        produced=produced,
        condition_required_for=config["sample_sheet"]["condition_required_for"],
    )
    try:
        validate(samples, "../schemas/samples.schema.yaml")
    except WorkflowError as err:
        # Only reached for a check the schema makes and validate_sample_sheet does not.
        row = int(re.search(r"row (\d+)", str(err)).group(1))
        sample = samples["sample"].iloc[row]
        raise RegflowError(
            f"{path} row {row + 1} (sample {sample!r}): {schema_problem(err)}"
        ) from None
    return samples


def schema_problem(err):
    """The gist, in one line, of a schema violation reported by snakemake.utils.validate."""
    cause = err.__context__
    if isinstance(cause, jsonschema.ValidationError):
        where = ".".join(str(part) for part in cause.absolute_path)
        return f"{where}: {cause.message}" if where else cause.message
    return str(err).splitlines()[0]


def stop(message):
    """Stop Snakemake while it reads the workflow: one line on stderr, no traceback."""
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    validate(config, "../schemas/config.schema.yaml")
except WorkflowError as err:
    stop(f"invalid config: {schema_problem(err)} (see config/README.md)")

try:
    SAMPLES = load_samples(config["samples"])
except RegflowError as err:
    stop(err)


def name_choice(names):
    """A wildcard regex matching exactly these names (one that matches nothing when empty)."""
    return "|".join(re.escape(n) for n in sorted(set(names))) or "(?!)"


wildcard_constraints:
    sample=name_choice(SAMPLES["sample"]),
    condition=name_choice(SAMPLES["condition"][SAMPLES["condition"] != ""]),
    variant=name_choice([v["name"] for v in config["vit"]["variants"]]),
    seqmodel=name_choice(config["seqtrack"]["models"]),
    fold=r"\d+",
    cmodel="corrected|bias",
    head="counts|profile",


# The simulated dataset (simulate.smk).
SIM_CONDITIONS = [c["name"] for c in config["simulate"]["conditions"]]


def simulated_rows():
    """Sample-sheet rows whose FASTQ the simulator writes (none when simulation is off)."""
    if not config["simulate"]["enabled"]:
        return SAMPLES.iloc[0:0]
    return SAMPLES[SAMPLES["fastq_1"].str.startswith(SIMULATED_FASTQ_DIR)]


def simulated_samples(paired):
    """Simulated samples that are paired-end, or single-end."""
    rows = simulated_rows()
    return sorted(rows.index[(rows["fastq_2"] != "") == paired])


for _row, _sample in enumerate(SAMPLES.itertuples(), start=1):
    if _sample.Index in simulated_rows().index and _sample.condition not in SIM_CONDITIONS:
        stop(
            f"{config['samples']} row {_row} (sample {_sample.Index!r}): condition "
            f"{_sample.condition!r} is not simulated; add it under simulate.conditions "
            f"(simulated: {', '.join(SIM_CONDITIONS)})"
        )


def simulated_reads_config(sample):
    """The parts of the simulate config one sample's reads depend on, as JSON."""
    sim = config["simulate"]
    assay = SAMPLES.loc[sample, "assay"]
    return json.dumps(
        {"seed": sim["seed"], "sequencing": sim["sequencing"], assay: sim[assay]},
        sort_keys=True,
    )


# Remote inputs (download.smk): sample-sheet FASTQ URLs and reference URLs are fetched once
# under download.dir; every other rule reads the local copies.
DOWNLOAD_DIR = config["download"]["dir"].rstrip("/")


def local_fastq(sample, read):
    """The local file of read 1 or 2 of ``sample`` (the sheet's path, or the downloaded copy
    of its URL)."""
    fastq = SAMPLES.loc[sample, f"fastq_{read}"]
    return f"{DOWNLOAD_DIR}/fastq/{sample}_R{read}.fastq.gz" if is_url(fastq) else fastq


def downloaded_samples():
    """Samples with at least one FASTQ given as a URL."""
    urls = SAMPLES[["fastq_1", "fastq_2"]].map(is_url)
    return list(SAMPLES.index[urls.any(axis=1)])


def reference_urls():
    """{local name: URL} of the genome files configured as URLs (gzip is stored unpacked)."""
    urls = [config["genome"][key] for key in ("fasta", "gtf") if is_url(config["genome"][key])]
    names = {remote_name(url).removesuffix(".gz"): url for url in urls}
    if len(names) < len(urls):
        stop(f"invalid config: genome.fasta and genome.gtf URLs name the same file: {urls[0]}")
    return names


def reference(path):
    """A configured genome file: the local path, or the downloaded copy of a URL."""
    if not is_url(path):
        return path
    return f"{DOWNLOAD_DIR}/genome/{remote_name(path).removesuffix('.gz')}"


def download_options():
    block = config["download"]
    return " ".join(
        [
            f"--retries {block['retries']}",
            f"--timeout {block['timeout']}",
            f"--backoff {block['backoff']}",
        ]
    )


# The reference and the reads stage (reads.smk).
def genome_fasta():
    """The genome FASTA: the configured one (a downloaded copy for a URL), or the simulated
    genome."""
    return reference(config["genome"]["fasta"]) or f"{SIM_DIR}/genome/genome.fa"


def genome_gtf():
    """The gene annotation: the configured GTF (a downloaded copy for a URL), or the
    simulated one."""
    return reference(config["genome"]["gtf"]) or f"{SIM_DIR}/genome/genes.gtf"


def samples_of(*assays, paired=None):
    """Sample names of these assays (all when none given), optionally only (un)paired ones, in
    the sheet's order (which orders conditions in tables and images: list time points in order)."""
    rows = SAMPLES if not assays else SAMPLES[SAMPLES["assay"].isin(assays)]
    if paired is not None:
        rows = rows[(rows["fastq_2"] != "") == paired]
    return list(rows.index)


def is_paired(sample):
    return SAMPLES.loc[sample, "fastq_2"] != ""


def raw_fastqs(wildcards):
    """Read 1 (and read 2) of a sample: the sheet's files, or the local copies of its URLs."""
    reads = {"r1": local_fastq(wildcards.sample, 1)}
    if is_paired(wildcards.sample):
        reads["r2"] = local_fastq(wildcards.sample, 2)
    return reads


def sheet_rows(assay):
    """The sample-sheet rows of one assay as JSON, a parameter that changes only with them."""
    return SAMPLES.loc[samples_of(assay)].to_json(orient="records")


def conditions_of(assay):
    """Conditions with at least one sample of ``assay``, in the sheet's order."""
    return list(dict.fromkeys(SAMPLES.loc[samples_of(assay), "condition"]))


def samples_in(assay, condition):
    """Samples (replicates) of one assay and condition."""
    rows = SAMPLES[(SAMPLES["assay"] == assay) & (SAMPLES["condition"] == condition)]
    return sorted(rows.index)


def size_class_names(assay):
    return sorted(config["reads"]["size_classes"].get(assay, {}))


def size_class_tracks(assay):
    """The size-class bigWigs of one sample of ``assay`` (wildcard ``{sample}``), by class name."""
    return expand(
        "results/tracks/{{sample}}.{size_class}.cpm.bw", size_class=size_class_names(assay)
    )


def size_class_args(assay, outputs):
    """``--size-class MIN MAX OUTPUT`` of each class of ``assay``, in size_class_tracks order."""
    lengths = config["reads"]["size_classes"][assay]
    return " ".join(
        f"--size-class {lengths[name][0]} {lengths[name][1]} {shlex.quote(path)}"
        for name, path in zip(size_class_names(assay), outputs, strict=True)
    )


def reads_targets():
    """Everything the reads stage makes for the samples in the sheet."""
    paired = samples_of("atac", "mnase")
    targets = [
        "results/qc/qc_table.tsv",
        "results/qc/fragment_lengths.png",
        *expand("results/fragments/{sample}.tsv.gz", sample=paired),
        *expand("results/tracks/{sample}.cpm.bw", sample=samples_of()),
    ]
    for assay in ("atac", "mnase"):
        targets += expand(
            "results/tracks/{sample}.{size_class}.cpm.bw",
            sample=samples_of(assay),
            size_class=size_class_names(assay),
        )
    for assay in ("atac", "mnase", "rna"):
        targets += expand(
            "results/tracks/merged/{assay}.{condition}.cpm.bw",
            assay=assay,
            condition=conditions_of(assay),
        )
    if samples_of("atac"):
        targets.append("results/qc/tss_enrichment.png")
    return targets


def peaks_targets():
    """ATAC-seq peaks of every sample, the consensus set and the count matrix."""
    if not samples_of("atac"):
        return []
    return [
        *expand("results/peaks/{sample}.narrowPeak", sample=samples_of("atac")),
        "results/peaks/consensus.bed",
        "results/peaks/atac.h5ad",
        "results/peaks/pseudobulk_logcpm.tsv",
    ]


def expression_targets():
    """RNA-seq gene tables (counts, TPM and its logs, per-condition means)."""
    if not samples_of("rna"):
        return []
    return ["results/expression/tpm.tsv", "results/expression/log2_tpm_by_condition.tsv"]


ASSAY_OF = SAMPLES["assay"].to_dict()

# Track modes: ATAC cut sites, MNase coverage (occupancy), RNA read coverage; size classes of
# fragments: ATAC coverage, MNase midpoints (dyads).
TRACK_MODE = {"atac": "cutsites", "mnase": "coverage", "rna": "coverage"}
CLASS_MODE = {"atac": "coverage", "mnase": "midpoints"}


def trimmed_fastqs(wildcards):
    reads = {"r1": f"results/trimmed/{wildcards.sample}_R1.fastq.gz"}
    if is_paired(wildcards.sample):
        reads["r2"] = f"results/trimmed/{wildcards.sample}_R2.fastq.gz"
    return reads


def track_input(sample):
    """Fragments (paired-end) or the filtered BAM (single-end) of a sample."""
    if is_paired(sample) and ASSAY_OF[sample] != "rna":
        return f"results/fragments/{sample}.tsv.gz"
    return f"results/bam/{sample}.bam"


def track_flag(samples):
    return "--fragments" if track_input(samples[0]).endswith(".tsv.gz") else "--bam"


def qc_jsons():
    """Every per-sample metrics JSON the QC table gathers."""
    files = expand(
        "results/qc/{sample}/{step}.json", sample=samples_of(), step=["fastq_check", "filter"]
    )
    files += expand("results/qc/{sample}/fragment_lengths.json", sample=samples_of("atac", "mnase"))
    files += expand(
        "results/qc/{sample}/{step}.json",
        sample=samples_of("atac"),
        step=["tss_enrichment", "peaks"],
    )
    files += expand("results/qc/frip/{sample}.json", sample=samples_of("atac"))
    return files


def mnase_targets():
    """Expression targets of the MNase images: per-condition log2(TPM + 1), when RNA-seq exists."""
    return ["results/expression/log2_tpm_by_condition.tsv"] if samples_of("rna") else []


def mnase_outputs():
    """The MNase stage's outputs (none without MNase-seq samples)."""
    if not samples_of("mnase"):
        return []
    return ["results/mnase/images.npz", "results/mnase/typhoon.png"]


def motif_outputs():
    """Region x motif and region x cluster matrices of the promoters (and peaks with ATAC-seq)."""
    regions = ["promoters"] + (["peaks"] if samples_of("atac") else [])
    return expand("results/motifs/{regions}{kind}.npz", regions=regions, kind=["", "_clusters"])


# Model datasets and training (datasets.smk, train.smk).
RUN_FILES = ["model.safetensors", "config.yaml", "metrics.json", "predictions.tsv", "history.tsv"]
RUN_FILES += ["curves.png"]
BASELINE_FILES = ["metrics.json", "predictions.tsv"]
VIT_VARIANTS = {v["name"]: v for v in config["vit"]["variants"]}
TRAINER_KEYS = ("accelerator", "devices", "strategy", "precision", "num_workers")
TRAINER_KEYS += ("progress_bar", "tensorboard", "seed")


def vit_enabled():
    """The chromatin ViT needs MNase-seq at its train, test and first-channel conditions, and
    RNA-seq (its targets)."""
    ds = config["datasets"]["vit"]
    needed = ds["train_conditions"] + ds["test_conditions"]
    needed += [v["first_channel"] for v in VIT_VARIANTS.values() if v["channels"] == 2]
    imaged = set(conditions_of("mnase"))
    measured = imaged & set(conditions_of("rna"))
    return set(needed) <= imaged and set(ds["train_conditions"] + ds["test_conditions"]) <= measured


def get_enabled():
    """The GET model needs ATAC-seq peaks and RNA-seq in every ATAC-seq condition."""
    atac = conditions_of("atac")
    return bool(atac) and set(atac) <= set(conditions_of("rna"))


def trainer_settings():
    return {key: config["train"][key] for key in TRAINER_KEYS}


def run_settings(model, **extra):
    """The resolved settings of one training run, as the JSON ``regflow train`` reads."""
    return {
        "model": size_block(model),
        "optim": config[model]["optim"],
        "trainer": trainer_settings(),
        **extra,
    }


def vit_settings(variant):
    return shlex.quote(json.dumps(run_settings("vit", variant=VIT_VARIANTS[variant])))


def get_settings():
    block = config["get"]
    settings = run_settings(
        "get",
        window=config["datasets"]["get"]["window"],
        train_stride=block["train_stride"],
        pretrain=block["pretrain"],
        lora=block["lora"],
    )
    return shlex.quote(json.dumps(settings))


def quoted(names):
    return " ".join(shlex.quote(str(n)) for n in names)


def json_arg(settings):
    """A settings dict as one shell-quoted JSON argument."""
    return shlex.quote(json.dumps(settings))


def size_block(model):
    """The configured size of ``model`` (``config[model]['sizes'][config[model]['size']]``)."""
    block = config[model]
    if block["size"] not in block["sizes"]:
        stop(
            f"invalid config: {model}.size {block['size']!r} is not one of {model}.sizes "
            f"({', '.join(block['sizes'])}) (see config/README.md)"
        )
    return block["sizes"][block["size"]]


CHROMBPNET = config["datasets"]["chrombpnet"]
CHROMBPNET_FOLDS = [str(k) for k in range(len(CHROMBPNET["folds"]))]


def chrombpnet_enabled():
    """ChromBPNet needs ATAC-seq samples and at least one chromosome fold."""
    return bool(samples_of("atac")) and bool(CHROMBPNET["folds"])


def chrombpnet_samples():
    """ATAC-seq samples whose Tn5 insertions ChromBPNet models (the configured conditions)."""
    chosen = CHROMBPNET["conditions"] or conditions_of("atac")
    unknown = sorted(set(chosen) - set(conditions_of("atac")))
    if unknown:
        stop(
            f"invalid config: datasets.chrombpnet.conditions {unknown} have no ATAC-seq samples "
            "in the sample sheet (see config/README.md)"
        )
    return [s for c in chosen for s in samples_in("atac", c)]


def chrombpnet_input_length():
    """Input length of the accessibility model: out + conv1 - 1 + profile - 1 + 4 (2^L - 1)."""
    size = size_block("chrombpnet")
    layers = size["accessibility"]["layers"]
    extra = size["conv1_kernel"] + size["profile_kernel"] - 2 + 4 * (2**layers - 1)
    return size["out_len"] + extra


def chrombpnet_dataset_settings():
    size = size_block("chrombpnet")
    keys = ("jitter", "negative_ratio", "outlier_quantile", "exclude_chromosomes", "folds")
    return json_arg(
        {
            "in_len": chrombpnet_input_length(),
            "out_len": size["out_len"],
            "nonpeak_step": CHROMBPNET["nonpeak_step"] or size["out_len"],
            "seed": CHROMBPNET["seed"],
            **{k: CHROMBPNET[k] for k in keys},
        }
    )


def chrombpnet_settings(fold):
    block = config["chrombpnet"]
    keys = ("bias_threshold_factor", "nonpeak_ratio", "bias_qc")
    return json_arg(
        {
            "model": size_block("chrombpnet"),
            "fold": int(fold),
            "optim": block["optim"],
            "trainer": trainer_settings(),
            **{k: block[k] for k in keys},
        }
    )


def tn5_motif():
    """The Tn5 bias PWM footprinted in ChromBPNet's metrics: configured, or the simulator's."""
    if config["chrombpnet"]["tn5_motif"]:
        return [config["chrombpnet"]["tn5_motif"]]
    return [f"{SIM_DIR}/truth/tn5_bias.tsv"] if config["simulate"]["enabled"] else []


SEQTRACK = config["datasets"]["seqtrack"]
SEQ_MODELS = config["seqtrack"]["models"]


def seqtrack_tracks():
    """(name, assay, bigWig) of every merged condition track of the chosen assays."""
    return [
        (f"{assay}.{c}", assay, f"results/tracks/merged/{assay}.{c}.cpm.bw")
        for assay in SEQTRACK["assays"]
        for c in conditions_of(assay)
    ]


def seqtrack_enabled():
    """Sequence models need target tracks and validation and test chromosomes."""
    return (
        bool(seqtrack_tracks())
        and bool(SEQTRACK["val_chromosomes"])
        and bool(SEQTRACK["test_chromosomes"])
    )


def seqtrack_dataset_settings():
    size = size_block("seqtrack")
    keys = ("max_shift", "val_chromosomes", "test_chromosomes", "exclude_chromosomes")
    return json_arg(
        {
            "seq_len": size["seq_len"],
            "bin_size": size["bin_size"],
            "crop_bins": size["crop_bins"],
            "stride": SEQTRACK["stride"] or size["seq_len"] // 2,
            **{k: SEQTRACK[k] for k in keys},
        }
    )


def seqtrack_settings(name):
    size = size_block("seqtrack")
    if name not in size["models"]:
        stop(
            f"invalid config: seqtrack.sizes.{config['seqtrack']['size']}.models has no "
            f"{name!r} (see config/README.md)"
        )
    return json_arg(
        {
            "name": name,
            "model": size["models"][name],
            "optim": config["seqtrack"]["optim"],
            "trainer": trainer_settings(),
        }
    )


def model_outputs():
    """Training runs (metrics and predictions) of every model the samples allow."""
    targets = []
    if vit_enabled():
        targets += expand(
            "results/train/vit/{variant}/{file}", variant=list(VIT_VARIANTS), file=RUN_FILES
        )
        targets += expand("results/train/vit_gp/{file}", file=BASELINE_FILES)
    if get_enabled():
        targets += expand("results/train/get/{file}", file=RUN_FILES)
        targets += expand("results/train/get_forest/{file}", file=BASELINE_FILES)
    if chrombpnet_enabled():
        targets += expand(
            "results/train/chrombpnet/fold_{fold}/{file}",
            fold=CHROMBPNET_FOLDS,
            file=RUN_FILES + ["profiles.npz"],
        )
        targets += expand("results/train/chrombpnet/{kind}.bw", kind=["corrected", "uncorrected"])
    if seqtrack_enabled():
        targets += expand("results/train/seqtrack/{model}/{file}", model=SEQ_MODELS, file=RUN_FILES)
        targets.append("results/train/seqtrack/pearson_by_assay.tsv")
    return targets


# Interpretation and enrichment (interpret.smk, enrich.smk).
def simulated_truth():
    """Whether the run is on the simulator's data, so recovery against its truth is scored."""
    return bool(config["simulate"]["enabled"])


def jacobian_files():
    files = ["jacobian.npz", "gene_x_motif.tsv", "gene_x_motif_by_condition.tsv.gz"]
    files += ["heatmap.png"]
    return files + (["recovery.tsv", "recovery.json"] if simulated_truth() else [])


def get_jacobian_inputs(wildcards):
    """The simulator's truth the Jacobian is scored against (none on real data)."""
    if not simulated_truth():
        return {}
    return {
        "sites": f"{SIM_DIR}/truth/motif_sites.bed",
        "activity": f"{SIM_DIR}/truth/tf_activity.tsv",
        "clusters": "results/motifs/clusters.tsv",
    }


def get_jacobian_truth_args(wildcards, input):
    if not simulated_truth():
        return ""
    block = config["interpret"]["get"]
    effects = {tf["name"]: tf["effect"] for tf in config["simulate"]["tfs"]}
    return " ".join(
        [
            f"--sites {shlex.quote(input.sites)}",
            f"--motif-clusters {shlex.quote(input.clusters)}",
            f"--tf-activity {shlex.quote(input.activity)}",
            f"--effects {json_arg(effects)}",
            f"--top-k {block['top_k']}",
            f"--min-activity {block['min_activity']}",
        ]
    )


def enrich_gmt_files():
    """GMT files of the offline test: configured, or the simulator's planted-target sets."""
    if config["enrich"]["gmt"]:
        return config["enrich"]["gmt"]
    return [f"{SIM_DIR}/truth/gene_sets.gmt"] if simulated_truth() else []


def enrich_options():
    block = config["enrich"]
    if block["min_term_size"] > block["max_term_size"]:
        stop(
            f"invalid config: enrich.min_term_size {block['min_term_size']} is above "
            f"enrich.max_term_size {block['max_term_size']} (see config/README.md)"
        )
    return " ".join(
        [
            f"--top {block['top_genes']}",
            f"--direction {block['direction']}",
            f"--min-term-size {block['min_term_size']}",
            f"--max-term-size {block['max_term_size']}",
            f"--alpha {block['alpha']}",
        ]
    )


def gprofiler_options():
    block = config["enrich"]["gprofiler"]
    options = [
        f"--organism {shlex.quote(block['organism'])}",
        f"--threshold-method {block['threshold_method']}",
        f"--cache-dir {shlex.quote(block['cache_dir'])}",
        f"--timeout {block['timeout']}",
        f"--base-url {shlex.quote(block['base_url'])}",
    ]
    if block["sources"]:
        options.append(f"--sources {shlex.quote(','.join(block['sources']))}")
    if block["cache_only"]:
        options.append("--cache-only")
    return " ".join(options)


def enrich_outputs():
    """Enrichment tables of the gene x motif matrix (needs GET)."""
    if not get_enabled():
        return []
    targets = []
    if enrich_gmt_files():
        targets += ["results/enrich/offline/enrichment.tsv", "results/enrich/offline/dotplot.png"]
    if simulated_truth() and not config["enrich"]["gmt"]:
        targets.append("results/enrich/offline/recovery.json")
    if config["enrich"]["gprofiler"]["enabled"]:
        targets += ["results/enrich/gprofiler/enrichment.tsv"]
    return targets


def vit_attention_variant():
    """The ViT variant whose attention is mapped: configured, or the first listed."""
    chosen = config["interpret"]["vit"]["variant"] or next(iter(VIT_VARIANTS), "")
    if VIT_VARIANTS and chosen not in VIT_VARIANTS:
        stop(
            f"invalid config: interpret.vit.variant {chosen!r} is not one of vit.variants "
            f"({', '.join(VIT_VARIANTS)}) (see config/README.md)"
        )
    return chosen


def vit_attention_files():
    block = config["interpret"]["vit"]
    n = len(block["genes"]) or block["n_genes"]
    figures = [f"figure3_{i}.png" for i in range(1, n + 1)]
    return ["attention.npz", "attention.tsv"] + figures


def vit_attention_genes():
    genes = config["interpret"]["vit"]["genes"]
    if genes:
        return f"--genes {shlex.quote(','.join(genes))}"
    return f"--n-genes {config['interpret']['vit']['n_genes']}"


def swin_window_arg():
    window = config["interpret"]["swin"]["window"]
    return "" if window is None else f"--window {window}"


CHROMBPNET_MODELS = ("corrected", "bias")


def chrombpnet_contribution_runs(wildcards):
    """Every fold's run of the explained model: the accessibility runs, or their bias runs."""
    runs = expand("results/train/chrombpnet/fold_{fold}", fold=CHROMBPNET_FOLDS)
    if wildcards.cmodel == "bias":
        runs = [os.path.join(run, "bias") for run in runs]
    return {
        "weights": [os.path.join(run, "model.safetensors") for run in runs],
        "settings": [os.path.join(run, "config.yaml") for run in runs],
    }


def chrombpnet_contribution_files():
    heads = config["interpret"]["contributions"]["heads"]
    return expand("{head}.{ext}", head=heads, ext=["npz", "bw"]) + ["contributions.json"]


def contribution_options(seqtrack=False):
    block = config["interpret"]["contributions"]
    most = block["seqtrack_max_regions"] if seqtrack else block["max_regions"]
    options = [f"--n-shuffles {block['n_shuffles']}", f"--batch-size {block['batch_size']}"]
    options += [f"--seed {config['train']['seed']}"]
    return " ".join(options + ([f"--max-regions {most}"] if most else []))


def modisco_files():
    files = ["modisco.h5", "patterns.tsv", "patterns.meme", "patterns.png", "modisco.json"]
    return files + (["recovery.json"] if simulated_truth() else [])


def modisco_truth_inputs(wildcards):
    if not simulated_truth():
        return {}
    return {
        "truth": f"{SIM_DIR}/truth/planted_motifs.jaspar",
        "bias": f"{SIM_DIR}/truth/tn5_bias.tsv",
    }


def modisco_truth_args(wildcards, input):
    if not simulated_truth():
        return ""
    return f"--truth-motifs {shlex.quote(input.truth)} --bias-motif {shlex.quote(input.bias)}"


def interpret_outputs():
    """Interpretation outputs of every trained model."""
    targets = []
    if vit_enabled():
        targets += expand("results/interpret/vit/{file}", file=vit_attention_files())
    if seqtrack_enabled() and "swin" in SEQ_MODELS:
        targets.append("results/interpret/seqtrack/swin/figure4.png")
    if seqtrack_enabled():
        chosen = [
            m for m in config["interpret"]["contributions"]["seqtrack_models"] if m in SEQ_MODELS
        ]
        targets += expand(
            "results/interpret/seqtrack/{model}/contributions/tracks.bw", model=chosen
        )
    if chrombpnet_enabled():
        missing = set(config["interpret"]["modisco"]["heads"]) - set(
            config["interpret"]["contributions"]["heads"]
        )
        if missing:
            stop(
                f"invalid config: interpret.modisco.heads {sorted(missing)} are not in "
                "interpret.contributions.heads (see config/README.md)"
            )
        targets += expand(
            "results/interpret/chrombpnet/{cmodel}/contributions.json", cmodel=CHROMBPNET_MODELS
        )
        targets += expand(
            "results/interpret/modisco/{cmodel}_{head}/modisco.json",
            cmodel=CHROMBPNET_MODELS,
            head=config["interpret"]["modisco"]["heads"],
        )
    if get_enabled():
        targets += expand("results/interpret/get/{file}", file=jacobian_files())
    return targets


# Truth recovery (evaluate.smk).
def truth_recovery_inputs(wildcards):
    """Every output the truth-recovery table scores, for the stages this run has."""
    truth = f"{SIM_DIR}/truth"
    inputs = {
        "truth": [f"{truth}/{f}" for f in ("regions.tsv", "tpm.tsv", "promoters.tsv")],
        "sites": f"{truth}/motif_sites.bed",
        "samples": config["samples"],
    }
    if samples_of("atac"):
        inputs["narrowpeaks"] = expand(
            "results/peaks/{sample}.narrowPeak", sample=samples_of("atac")
        )
        inputs["logcpm"] = "results/peaks/pseudobulk_logcpm.tsv"
    if samples_of("rna"):
        inputs["tpm"] = "results/expression/tpm.tsv"
    if samples_of("mnase"):
        inputs["images"] = "results/mnase/images.npz"
    regions = ["promoters"] + (["peaks"] if samples_of("atac") else [])
    inputs["scans"] = expand("results/motifs/{regions}.npz", regions=regions)
    if vit_enabled():
        inputs["vit"] = expand("results/train/vit/{v}/metrics.json", v=list(VIT_VARIANTS))
    if get_enabled():
        inputs["get_metrics"] = "results/train/get/metrics.json"
        inputs["get_recovery"] = "results/interpret/get/recovery.json"
        if not config["enrich"]["gmt"]:
            inputs["enrichment"] = "results/enrich/offline/recovery.json"
    if chrombpnet_enabled():
        inputs["chrombpnet"] = "results/train/chrombpnet/fold_0/metrics.json"
        inputs["modisco"] = expand(
            "results/interpret/modisco/{cmodel}_{head}/recovery.json",
            cmodel=CHROMBPNET_MODELS,
            head=config["interpret"]["modisco"]["heads"],
        )
    if seqtrack_enabled():
        inputs["seqtrack"] = expand("results/train/seqtrack/{m}/metrics.json", m=SEQ_MODELS)
    return inputs


def truth_recovery_args(wildcards, input):
    """The truth-recovery command's options for :func:`truth_recovery_inputs`, each list
    item named after its sample, model or region set."""

    def named(key, name_of):
        pairs = [f"{name_of(p)}={p}" for p in getattr(input, key, [])]
        return f" --{key.replace('_', '-')} {quoted(pairs)}" if pairs else ""

    def single(key):
        if key not in input.keys():
            return ""
        return f" --{key.replace('_', '-')} {shlex.quote(getattr(input, key))}"

    def parent(path):
        return os.path.basename(os.path.dirname(path))

    def stem(suffix):
        return lambda path: os.path.basename(path).removesuffix(suffix)

    args = named("narrowpeaks", stem(".narrowPeak")) + named("scans", stem(".npz"))
    args += named("vit", parent)
    args += named("seqtrack", parent) + named("modisco", parent)
    for key in (
        "logcpm",
        "tpm",
        "images",
        "get_metrics",
        "chrombpnet",
        "get_recovery",
        "enrichment",
    ):
        args += single(key)
    return args


def truth_recovery_outputs():
    """The truth-recovery table, on simulated data."""
    if not simulated_truth():
        return []
    return ["results/truth_recovery.tsv", "results/truth_recovery.json"]


# Figures, provenance and the report (figures.smk).
from snakemake import __version__ as SNAKEMAKE_VERSION

FIGURES = config["figures"]
FIGURE_FILES = ["png", "pdf", "tsv"]


def named_args(option, pairs):
    """``--option NAME=PATH ...`` for (name, path) pairs, shell-quoted."""
    return f"--{option} {quoted(f'{name}={path}' for name, path in pairs)}"


def vit_gene_arg():
    """``--gene`` for Figure 3 when one is configured (else the first mapped gene is shown)."""
    gene = FIGURES["vit_gene"]
    return f"--gene {shlex.quote(gene)}" if gene else ""


def vit_run_files(file):
    """(variant, path) of one file of every ViT variant's run."""
    return [(v, f"results/train/vit/{v}/{file}") for v in VIT_VARIANTS]


def qc_figure_files():
    """(sample, path) of the fragment-length histograms (paired-end) and TSS profiles (ATAC)."""
    hists = [(s, f"results/qc/{s}/fragment_lengths.tsv") for s in samples_of("atac", "mnase")]
    tss = [(s, f"results/qc/{s}/tss_profile.tsv") for s in samples_of("atac")]
    return hists, tss


def qc_figure_args():
    hists, tss = qc_figure_files()
    return " ".join(
        named_args(key, pairs) for key, pairs in (("hist", hists), ("tss", tss)) if pairs
    )


def chrombpnet_locus_contributions():
    """(head, path) of the bias-corrected model's contribution scores."""
    heads = config["interpret"]["contributions"]["heads"]
    return [(h, f"results/interpret/chrombpnet/corrected/{h}.npz") for h in heads]


def modisco_pattern_files():
    """(run, patterns.tsv) of every TF-MoDISco run, bias-corrected model first."""
    runs = expand(
        "{cmodel}_{head}",
        cmodel=CHROMBPNET_MODELS,
        head=config["interpret"]["modisco"]["heads"],
    )
    return [(run, f"results/interpret/modisco/{run}/patterns.tsv") for run in runs]


def figure_names():
    """The figures the configuration's outputs allow (the conditions of the *_outputs helpers)."""
    names = ["qc_panels"]
    if vit_enabled():
        names += ["vit_r2_by_variant", "vit_predicted_vs_true", "vit_attention"]
    if seqtrack_enabled():
        names.append("seqtrack_pearson")
    if get_enabled():
        names += ["get_gene_x_motif", "get_vs_forest"]
        names += ["get_enrichment"] if enrich_gmt_files() else []
    if chrombpnet_enabled():
        names += ["chrombpnet_locus", "chrombpnet_motifs"]
    if simulated_truth():
        names.append("truth_recovery")
    return names


def figures_outputs():
    """Every figure (PNG, PDF, TSV) and the provenance files."""
    figures = expand("results/figures/{name}.{ext}", name=figure_names(), ext=FIGURE_FILES)
    return figures + ["results/provenance/config.yaml", "results/provenance/versions.tsv"]
