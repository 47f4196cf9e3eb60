"""`tutor doctor`: what is ready on this machine and what is missing, one finding per line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from tutor.finding import Finding, Level

if TYPE_CHECKING:
    from hpc.profiles import ClusterProfile

TF_PROBE = (
    "import json, os; os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3');"
    "import tensorflow as tf, keras;"
    "print(json.dumps({'tf': tf.__version__, 'keras': keras.__version__,"
    " 'gpus': [d.name for d in tf.config.list_physical_devices('GPU')]}))"
)


def check_config() -> list[Finding]:
    from tutor.config import ConfigError, find_config_file, load_config

    try:
        path = find_config_file()
        config = load_config()
    except ConfigError as exc:
        return [Finding("config", "error", str(exc).splitlines()[0], "fix the field named above")]
    where = str(path) if path else "defaults (no tutor.toml found)"
    return [
        Finding("config", "ok", f"course config: {where}"),
        Finding("config", "ok", f"cluster profile: {config.profile}"),
    ]


def check_catalog() -> list[Finding]:
    """The course's packs and tasks: each one left out is a failure, with its file and line."""
    from exercises import CatalogError
    from tutor.config import ConfigError, load_config
    from tutor.context import Context

    try:
        catalog = Context(config=load_config()).catalog
    except ConfigError:
        return []  # reported by check_config
    except CatalogError as exc:
        return [Finding("catalog", "error", str(exc).splitlines()[0], "fix `packs` / `exercise_dirs` in tutor.toml")]
    findings = [Finding("catalog", "error", line, "fix the spec (tutor author docs: every key)")
                for problem in catalog.problems
                for line in [problem.headline, *problem.message.splitlines()[1:]]]
    if len(catalog):
        packs = ", ".join(f"{p.id} ({sum(t.spec.pack == p.id for t in catalog)} tasks)" for p in catalog.packs)
        findings.insert(0, Finding("catalog", "ok", f"course packs: {packs}"))
    else:
        findings.append(Finding("catalog", "error", "the course has no tasks", "check `packs` and `exercise_dirs` in tutor.toml"))
    return findings


def check_tensorflow() -> list[Finding]:
    try:
        proc = subprocess.run(
            [sys.executable, "-c", TF_PROBE], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return [Finding("tensorflow", "error", "importing TensorFlow took over 2 minutes")]
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        return [
            Finding(
                "tensorflow",
                "missing",
                f"TensorFlow is not importable: {last}",
                "pip install 'tutor[tf]' (or tensorflow-cpu==2.21.0)",
            )
        ]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    findings = [Finding("tensorflow", "ok", f"TensorFlow {info['tf']}, Keras {info['keras']}")]
    if info["gpus"]:
        findings.append(Finding("gpu", "ok", f"GPU visible: {', '.join(info['gpus'])}"))
    else:
        findings.append(
            Finding("gpu", "warn", "no GPU visible (normal on a login node)", "train on a GPU node: tutor submit TASK")
        )
    return findings


def check_tools(profile: Optional["ClusterProfile"] = None) -> list[Finding]:
    """SLURM commands and the container runtime; what to load is said in `profile`'s terms."""
    findings = []
    slurm = [t for t in ("sbatch", "squeue", "sacct", "scancel") if shutil.which(t)]
    if "sbatch" in slurm and "squeue" in slurm:
        findings.append(Finding("slurm", "ok", f"SLURM commands found: {', '.join(slurm)}"))
    else:
        findings.append(
            Finding("slurm", "warn", "no sbatch/squeue: not on a SLURM cluster", "tutor submit --dry-run still shows the script")
        )
    containers = [t for t in ("singularity", "apptainer") if shutil.which(t)]
    if containers:
        findings.append(Finding("container", "ok", f"container runtime: {', '.join(containers)}"))
    elif profile is not None and profile.runtime:
        findings.append(Finding("container", "warn", f"{profile.runtime} not found (profile {profile.name} "
                                f"runs its jobs with it)", "on the cluster: " + profile.runtime_setup()))
    else:
        fix = profile.runtime_setup() if profile is not None else "on the cluster: load your site's container module"
        findings.append(Finding("container", "warn", "neither singularity nor apptainer found", fix))
    return findings


def check_data(config_data_dir: Optional[Path]) -> list[Finding]:
    from grader.data import DATASETS, WEIGHTS, DataError, resolve_dataset, resolve_weights
    from grader.data.stage import official_copy_note

    findings = []
    for name in DATASETS:
        try:
            resolved = resolve_dataset(name, config_data_dir)
            label = resolved.variant.label if resolved.variant else "unverified"
            findings.append(Finding("data", "ok", f"{name}: {resolved.path} ({label}, verified; via {resolved.place.label})"))
            note = official_copy_note(name, resolved.path)
            if note:
                findings.append(Finding("data", "ok", f"{name}: {note}"))
        except DataError as exc:
            level: Level = "error" if "do not match" in str(exc) or "readable" in str(exc) else "missing"
            findings.append(Finding("data", level, str(exc)))
    for name in WEIGHTS:
        try:
            resolved = resolve_weights(name, config_data_dir)
            findings.append(Finding("data", "ok", f"{name}: {resolved.path} (via {resolved.place.label})"))
        except DataError as exc:
            findings.append(Finding("data", "missing", str(exc)))
    return findings


def check_dirs(workspace_root: Path) -> list[Finding]:
    from tutor.config import user_data_dir

    findings = []
    for label, path in (("workspaces", workspace_root), ("progress", user_data_dir())):
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if os.access(probe, os.W_OK):
            findings.append(Finding("dirs", "ok", f"{label}: {path}"))
        else:
            findings.append(Finding("dirs", "error", f"{label}: {path} is not writable", "set workspace_root in tutor.toml"))
    return findings


def load_cluster_profile(profile_name: str, profiles_dir: Optional[Path]) -> "ClusterProfile | Finding":
    """The course's cluster profile, or the finding that says why it cannot be read."""
    from hpc.errors import ProfileError
    from hpc.profiles import load_profile

    try:
        return load_profile(profile_name, profiles_dir)
    except ProfileError as exc:
        return Finding("framework", "error", str(exc).splitlines()[0], "fix the profile named above")


def check_framework(profile: "ClusterProfile") -> list[Finding]:
    """What the profile says the jobs train with, and what the site's image really has."""
    from tutor.image_probe import check_image

    return check_image(profile)


def run_doctor(with_tensorflow: bool = True) -> list[Finding]:
    """Every probe, in the order the report shows them. This is the one list of probes: a new
    area of `tutor doctor` is a function returning findings, added here."""
    from tutor.cluster_probe import cluster_findings
    from tutor.config import ConfigError, load_config
    from tutor.handin.probe import handin_findings
    from tutor.sandbox_probe import sandbox_findings

    try:
        config = load_config()
        data_dir, workspace_root = config.data_dir, config.workspace_root
        profile, profiles_dir = config.profile, config.profiles_dir
    except ConfigError:
        data_dir, workspace_root = None, Path.home() / "tutor-work"
        profile, profiles_dir = "local", None
    cluster = load_cluster_profile(profile, profiles_dir)
    probes: list[Callable[[], list[Finding]]] = [
        check_config,
        check_catalog,
        *([check_tensorflow] if with_tensorflow else []),
        lambda: check_tools(cluster if not isinstance(cluster, Finding) else None),
        lambda: [cluster] if isinstance(cluster, Finding) else check_framework(cluster),
        lambda: check_data(data_dir),
        lambda: check_dirs(workspace_root),
        sandbox_findings,
        cluster_findings,
        handin_findings,
    ]
    return [finding for probe in probes for finding in probe()]
