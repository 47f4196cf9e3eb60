"""Job scripts: the exercise's `[resources]` + a cluster profile -> one deterministic script.

`plan()` merges the inputs into a `JobSpec` (precedence: `--time` on the command line, then
the profile, then the exercise), `validate()` refuses what SLURM would refuse or what the
exercise does not allow, and `render()` writes the script text: same inputs, same bytes (no
dates, no host names), in the order the book's `MNIST.slurm` uses.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from typing import Optional, Sequence

from pydantic import BaseModel, ConfigDict

from exercises.schema import SLURM_TIME, Resources
from hpc.errors import HpcError
from hpc.profiles import PLACEHOLDER, ClusterProfile


class JobSpec(BaseModel):
    """Everything a job script says."""

    model_config = ConfigDict(frozen=True)

    task: str
    profile: str
    job_name: str
    nodes: int = 1
    ntasks_per_node: int = 1
    cpus_per_task: int = 1
    gpus: int = 0
    gpu_request: str = "--gres gpu:{gpus}"
    time: str = "00:15:00"
    account: Optional[str] = None
    partition: Optional[str] = None
    qos: Optional[str] = None
    mem: Optional[str] = None
    output: str = "%x.%j.out"
    error: str = "%x.%j.err"
    array: Optional[str] = None
    extra_directives: tuple[str, ...] = ()
    purge_modules: bool = False
    modules: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    command: str  # the line that runs the work

    def request(self) -> dict[str, object]:
        """What was asked for, to word a rejection (`hpc.rejections.explain`)."""
        return {"account": self.account, "qos": self.qos, "partition": self.partition,
                "cpus": self.cpus_per_task, "gpus": self.gpus, "time": self.time, "mem": self.mem}


def seconds(value: str) -> int:
    """A SLURM time ([D-]HH:MM:SS) in seconds."""
    if not SLURM_TIME.match(value):
        raise HpcError(f"'{value}' is not a SLURM time", "write it as HH:MM:SS, e.g. 00:15:00")
    days, _, clock = value.rpartition("-")
    h, m, s = (int(p) for p in clock.split(":"))
    return int(days or 0) * 86400 + h * 3600 + m * 60 + s


def plan(
    task: str,
    resources: Resources,
    profile: ClusterProfile,
    run_args: Sequence[str],
    time: Optional[str] = None,
    array: Optional[str] = None,
    output: Optional[str] = None,
    error: Optional[str] = None,
) -> JobSpec:
    """Merge the exercise's needs, the site's profile and command-line overrides."""
    command = " ".join(part for part in (profile.run_prefix.strip(), shlex.join(list(run_args))) if part)
    default_out, default_err = ("%x.%A_%a.out", "%x.%A_%a.err") if array else ("%x.%j.out", "%x.%j.err")
    return JobSpec(
        task=task,
        profile=profile.name,
        job_name=resources.job_name,
        nodes=resources.nodes,
        ntasks_per_node=resources.ntasks_per_node,
        cpus_per_task=profile.cpus_per_task or resources.cpus_per_task,
        gpus=(profile.gpus_per_job or resources.gpus) if resources.gpus else 0,
        gpu_request=profile.gpu_request,
        time=time or profile.time or resources.time,
        account=profile.account,
        partition=profile.partition,
        qos=profile.qos,
        mem=profile.mem,
        output=output or default_out,
        error=error or default_err,
        array=array,
        extra_directives=tuple(profile.extra_directives),
        purge_modules=profile.purge_modules,
        modules=tuple(profile.modules),
        setup=tuple(profile.setup),
        command=command,
    )


def directives(spec: JobSpec) -> list[str]:
    """The #SBATCH options, in the book's order."""
    lines = [
        "--chdir .",
        f"--job-name={spec.job_name}",
        f"--output={spec.output}",
        f"--error={spec.error}",
        f"--nodes {spec.nodes}",
        f"--ntasks-per-node {spec.ntasks_per_node}",
        f"--cpus-per-task {spec.cpus_per_task}",
        f"--time {spec.time}",
    ]
    if spec.account:
        lines.append(f"--account {spec.account}")
    if spec.partition:
        lines.append(f"--partition {spec.partition}")
    if spec.qos:
        lines.append(f"--qos {spec.qos}")
    if spec.gpus:
        lines.append(spec.gpu_request.format(gpus=spec.gpus))
    if spec.mem:
        lines.append(f"--mem {spec.mem}")
    if spec.array:
        lines.append(f"--array={spec.array}")
    lines.extend(spec.extra_directives)
    return lines


def render(spec: JobSpec) -> str:
    """The job script text (deterministic)."""
    lines = ["#!/bin/bash"]
    lines += [f"#SBATCH {d}" for d in directives(spec)]
    lines.append(MARK)
    if spec.purge_modules:
        lines.append("module purge")
    lines += [f"module load {m}" for m in spec.modules]
    lines += list(spec.setup)
    lines.append(spec.command)
    text = "\n".join(lines) + "\n"
    return text.replace(MARK, f"# {spec.task} · cluster profile {spec.profile} · rendered by tutor [{_digest(text)}]")


MARK = "\0mark\0"
STAMP = re.compile(r"^# .* rendered by tutor \[([0-9a-f]{12})\]\n", re.MULTILINE)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def unedited(text: str) -> bool:
    """A script tutor rendered and nobody changed since (safe to replace)."""
    match = STAMP.search(text)
    return bool(match) and _digest(STAMP.sub(MARK + "\n", text, count=1)) == match[1]


def validate(spec: JobSpec, resources: Resources, profile: ClusterProfile) -> None:
    """Refuse, before sbatch, what the exercise or the site's known limits do not allow."""
    profile.require_filled()
    if not re.fullmatch(r"[A-Za-z0-9_.+-]+", spec.job_name):
        raise HpcError(f"job name '{spec.job_name}' has spaces or shell characters", "use letters, digits, . _ -")
    wanted = seconds(spec.time)
    if wanted > seconds(resources.max_time):
        raise HpcError(
            f"--time {spec.time} is more than {spec.task} allows ({resources.max_time})",
            f"ask for at most {resources.max_time}, e.g. --time {resources.time}",
        )
    if profile.max_time and wanted > seconds(profile.max_time):
        raise HpcError(
            f"--time {spec.time} is over the wall-time limit of profile '{profile.name}' ({profile.max_time})",
            f"ask for at most {profile.max_time}",
        )
    if profile.max_cpus_per_task and spec.cpus_per_task > profile.max_cpus_per_task:
        raise HpcError(
            f"{spec.cpus_per_task} CPUs per task is more than a node of '{profile.name}' has ({profile.max_cpus_per_task})",
            f"ask for at most {profile.max_cpus_per_task} (cpus_per_task in the profile)",
        )
    if profile.max_gpus is not None and spec.gpus > profile.max_gpus:
        raise HpcError(
            f"{spec.gpus} GPUs is more than a node of '{profile.name}' has ({profile.max_gpus})",
            f"ask for at most {profile.max_gpus}",
        )
    problems = check_script(render(spec))
    if problems:
        raise HpcError(problems[0], "fix the profile's setup/extra_directives")


def check_script(text: str) -> list[str]:
    """Problems SLURM would not report: #SBATCH lines after the first command are ignored
    silently, and a `<placeholder>` (such as the book's `<group>`) left in the script."""
    problems = []
    seen_command = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not stripped.startswith("#SBATCH")):
            continue
        if stripped.startswith("#SBATCH"):
            if seen_command:
                problems.append(f"line {number}: '{stripped}' comes after a command, so SLURM ignores it")
            elif PLACEHOLDER.search(stripped):
                problems.append(f"line {number}: '{stripped}' still has a placeholder")
        else:
            seen_command = True
            if COMMAND_PLACEHOLDER.search(stripped):
                problems.append(f"line {number}: '{stripped}' still has the placeholder "
                                f"{COMMAND_PLACEHOLDER.search(stripped).group(0)}")
    return problems


# In commands only a space-free <word> counts (`cmd <in >out` is a redirection).
COMMAND_PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_-]*>")
