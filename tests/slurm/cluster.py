"""A private single-node SLURM cluster for tests: munged, slurmctld and slurmd with two fake
GPUs, configured and run from a temporary folder on free ports, so that a real
``snakemake --profile slurm`` run can be tested on one machine. Only the daemons started here
are stopped, by the PIDs in their pid files. Facts behind the settings:
/work/shared/notes/slurm-local-cluster.md (Slurm 22.05 on Debian 12)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Debian packages of the daemons and clients (scripts/setup.sh installs them when root).
PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
TOOLS = (
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "sinfo",
    "squeue",
    "scontrol",
    "scancel",
)
SBIN = "/usr/sbin:/sbin"
PARTITION = "regflow_test"
GPUS = 2


def which(tool: str) -> str | None:
    """Path of ``tool`` on PATH or in the sbin folders (the daemons live in /usr/sbin)."""
    return shutil.which(tool, path=f"{os.environ.get('PATH', '')}:{SBIN}")


def missing_tools() -> list[str]:
    """The SLURM and munge commands that are not installed."""
    return [tool for tool in TOOLS if which(tool) is None]


def ensure_installed() -> str | None:
    """Make sure a cluster can be started here: as root, install missing SLURM packages with
    apt-get (as scripts/setup.sh does).

    Returns None when it can, else the reason it cannot (the caller skips): not root (the
    daemons must run as root and munge), or packages missing and no apt-get. A failed apt-get
    as root raises instead, since it must work there.
    """
    missing = missing_tools()
    hint = f"apt-get install {' '.join(PACKAGES)}"
    if os.geteuid() != 0:
        state = f"{', '.join(missing)} missing; " if missing else ""
        return (
            f"a test SLURM cluster needs root (munged, slurmctld, slurmd); {state}as root: {hint}"
        )
    if not missing:
        return None
    if shutil.which("apt-get") is None:
        return f"SLURM is not installed ({', '.join(missing)} missing) and there is no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
    ):
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    still = missing_tools()
    if still:
        raise RuntimeError(f"apt-get installed {', '.join(PACKAGES)} but {still} are still missing")
    return None


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports that are free on localhost right now."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def node_hardware() -> dict[str, str]:
    """This machine's CPU layout and memory as ``slurmd -C`` reports them."""
    out = subprocess.run(
        [which("slurmd"), "-C"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", out.splitlines()[0]))
    keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
    hardware = {key: fields[key] for key in keep if key in fields}
    # slurmd drains a node that reports less memory than configured: leave some slack
    hardware["RealMemory"] = str(int(int(fields["RealMemory"]) * 0.95))
    return hardware


@dataclass
class Cluster:
    """A running cluster: its folder, the environment its clients need, and the daemons' PIDs."""

    root: Path
    env: dict[str, str]
    pids: dict[str, int] = field(default_factory=dict)
    partition: str = PARTITION

    def run(self, *command: str, timeout: float = 30) -> str:
        """Run a SLURM client command against this cluster; return its stdout."""
        result = subprocess.run(
            [which(command[0]) or command[0], *command[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still knows (ended ones for MinJobAge seconds), each as
        the ``key=value`` fields of ``scontrol show job --oneliner``."""
        out = self.run("scontrol", "show", "job", "--oneliner")
        if "No jobs in the system" in out:
            return []
        return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if line]

    def stop(self) -> None:
        """Cancel this cluster's jobs, stop the daemons started here (by PID), remove the folder."""
        if "slurmctld" in self.pids:
            try:
                ids = self.run("squeue", "--noheader", "--format=%i", "--states=PD,R,CG").split()
                if ids:
                    self.run("scancel", *ids)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.pop(name, None)
            if pid is not None:
                stop_pid(pid)
        shutil.rmtree(self.root, ignore_errors=True)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not: no init here may reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM one process, wait for it to exit, then SIGKILL it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for_pid(pid_file: Path, log: Path, timeout: float = 30.0) -> int:
    """The PID a daemonizing process wrote to ``pid_file``, once that process is alive."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.exists():
            text = pid_file.read_text().strip()
            if text.isdigit() and alive(int(text)):
                return int(text)
        time.sleep(0.1)
    tail = log.read_text()[-1500:] if log.exists() else "(no log)"
    raise RuntimeError(f"no live PID in {pid_file} after {timeout} s; log:\n{tail}")


def start(timeout: float = 60.0) -> Cluster:
    """Configure and start munged, slurmctld and slurmd (as root); wait until the node is idle.

    Everything lives in a fresh folder under /tmp (readable by the munge user, unlike pytest's
    tmp_path); on any failure the daemons already started are stopped again.
    """
    root = Path(tempfile.mkdtemp(prefix="regflow-slurm-"))
    root.chmod(0o755)
    conf = root / "slurm.conf"
    # The SLURM executor's job step (snakemake-executor-plugin-slurm-jobstep 0.6.1) runs srun
    # with every SLURM_* variable but a few removed, SLURM_CONF included: on a real cluster srun
    # finds /etc/slurm/slurm.conf. Here a wrapper first on PATH points srun at this cluster.
    bin_dir = root / "bin"
    bin_dir.mkdir()
    srun = bin_dir / "srun"
    srun.write_text(f'#!/bin/sh\nSLURM_CONF={conf} exec {which("srun")} "$@"\n')
    srun.chmod(0o755)
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    cluster = Cluster(root=root, env=env)
    try:
        munge = root / "munge"  # munged wants its socket's folder world-executable
        munge.mkdir(mode=0o755)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        for path in (munge, key):
            shutil.chown(path, "munge", "munge")
        munge_socket = munge / "munge.socket"
        subprocess.run(
            [
                "runuser",
                "-u",
                "munge",
                "--",
                which("munged"),
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={munge / 'munged.pid'}",
                f"--log-file={munge / 'munged.log'}",
                f"--seed-file={munge / 'munged.seed'}",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        cluster.pids["munged"] = wait_for_pid(munge / "munged.pid", munge / "munged.log")

        for sub in ("state", "spool", "log", "run"):
            (root / sub).mkdir()
        ctld_port, slurmd_port = free_ports(2)
        hardware = " ".join(f"{k}={v}" for k, v in node_hardware().items())
        conf.write_text(
            "\n".join(
                [
                    "ClusterName=regflowtest",
                    "SlurmctldHost=localhost",
                    f"SlurmctldPort={ctld_port}",
                    f"SlurmdPort={slurmd_port}",
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    "AuthType=auth/munge",
                    f"AuthInfo=socket={munge_socket}",
                    "CredType=cred/munge",
                    "MpiDefault=none",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_Core_Memory",
                    "AccountingStorageType=accounting_storage/none",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    # ended jobs stay visible to squeue and scontrol this long (seconds): the
                    # squeue status command needs >= 3 x slurm-init-seconds-before-status-checks
                    "MinJobAge=300",
                    "ReturnToService=2",
                    "SchedulerType=sched/backfill",
                    f"StateSaveLocation={root / 'state'}",
                    f"SlurmdSpoolDir={root / 'spool'}",
                    f"SlurmctldPidFile={root / 'run/slurmctld.pid'}",
                    f"SlurmdPidFile={root / 'run/slurmd.pid'}",
                    f"SlurmctldLogFile={root / 'log/slurmctld.log'}",
                    f"SlurmdLogFile={root / 'log/slurmd.log'}",
                    "GresTypes=gpu",
                    f"NodeName=localhost NodeAddr=127.0.0.1 {hardware} Gres=gpu:tesla:{GPUS} "
                    "State=UNKNOWN",
                    # jobs reach PARTITION only when they ask for it (sbatch -p): the default
                    # partition is another one
                    "PartitionName=default_queue Nodes=localhost Default=YES MaxTime=INFINITE "
                    "State=UP",
                    f"PartitionName={PARTITION} Nodes=localhost Default=NO MaxTime=INFINITE "
                    "State=UP",
                    "",
                ]
            )
        )
        # slurmd 22.05 drops GPUs without device files: give the fake ones harmless files
        files = ("/dev/null", "/dev/zero")[:GPUS]
        (root / "gres.conf").write_text(
            "AutoDetect=off\n"
            + "".join(f"NodeName=localhost Name=gpu Type=tesla File={f}\n" for f in files)
        )
        for name, command in (
            ("slurmctld", [which("slurmctld"), "-i", "-f", str(conf)]),
            ("slurmd", [which("slurmd"), "-N", "localhost", "-f", str(conf)]),
        ):
            subprocess.run(command, env=cluster.env, check=True, capture_output=True, timeout=30)
            cluster.pids[name] = wait_for_pid(root / f"run/{name}.pid", root / f"log/{name}.log")

        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            try:
                state = cluster.run(
                    "sinfo", "--noheader", "--format=%T", f"--partition={PARTITION}"
                )
            except RuntimeError as error:
                state = str(error)
            if state.strip() == "idle":
                return cluster
            time.sleep(0.5)
        raise RuntimeError(f"the SLURM node is not idle after {timeout} s: {state.strip()}")
    except BaseException:
        cluster.stop()
        raise
