"""What sbatch says when it refuses a job, mapped to a reason and a fix (one line each)."""

from __future__ import annotations

import re

from hpc.errors import Rejected

# (pattern in SLURM's message, reason, fix); the first match wins.
RULES: list[tuple[str, str, str]] = [
    (
        r"Invalid account",
        "SLURM does not know account '{account}' (or it may not use this partition)",
        "set `account` in your cluster profile to your group (`sacctmgr show assoc user=$USER` lists yours)",
    ),
    (
        r"Invalid qos",
        "SLURM does not know QOS '{qos}' (or your account may not use it)",
        "set `qos` in your cluster profile to one you have (`sacctmgr show assoc user=$USER format=qos`)",
    ),
    (
        r"invalid partition specified|Invalid partition name",
        "SLURM has no partition '{partition}'",
        "set `partition` in your cluster profile to one `sinfo -s` lists, or remove it to use the default",
    ),
    (
        r"More processors requested than permitted",
        "more CPUs per task ({cpus}) than a node has",
        "lower cpus_per_task in your cluster profile (`sinfo -o %c` shows CPUs per node)",
    ),
    (  # before the generic 'node configuration' message sbatch adds to it
        r"Memory specification can not be satisfied|mem.*exceed",
        "memory '{mem}' cannot be satisfied by any node",
        "lower `mem` in your cluster profile, or remove it to get the default",
    ),
    (
        r"Requested node configuration is not available",
        "no node has what the job asks for (likely {gpus} GPU(s) or {cpus} CPUs)",
        "ask for fewer GPUs/CPUs (`sinfo -o '%N %c %G'` shows what nodes have)",
    ),
    (
        r"QOSMaxWallDurationPerJobLimit|MaxWallDurationPerJob|Job violates accounting/QOS policy",
        "--time {time} is over the wall-time limit of QOS '{qos}'",
        "ask for less time with --time HH:MM:SS (`sacctmgr show qos format=name,maxwall`)",
    ),
    (
        r"Requested time limit is invalid|time limit.*exceeds",
        "--time {time} is over the partition's limit",
        "ask for less time with --time HH:MM:SS (`sinfo -o '%P %l'` shows limits)",
    ),
    (
        r"QOSMaxGRESPerJob|QOSMaxTRES|MaxTRES",
        "the job asks for more GPUs/CPUs than QOS '{qos}' allows",
        "ask for fewer GPUs/CPUs",
    ),
]

# Not a verdict on the job: SLURM itself cannot be reached or is not set up here.
UNREACHABLE: list[tuple[str, str, str]] = [
    (
        r"Could not establish a configuration source|Unable to contact slurm controller"
        r"|Socket timed out|Connection refused|Zero Bytes were transmitted",
        "SLURM is installed but its controller does not answer (or it is not configured on this machine)",
        "on a cluster login node try again in a minute, then tell support; elsewhere `--dry-run` shows the script",
    ),
]


def slurm_message(stderr: str) -> str:
    """The meaningful part of sbatch's stderr (without the `sbatch: error:` prefixes)."""
    lines = [re.sub(r"^sbatch:\s*((error|fatal):\s*)?", "", line).strip() for line in stderr.strip().splitlines()]
    lines = [line for line in lines if line]
    failed = [line for line in lines if "submission failed" in line.lower()]
    text = (failed or lines or ["sbatch failed without a message"])[-1]
    return re.sub(r"^Batch job submission failed:\s*", "", text)


def explain(stderr: str, **request: object) -> Rejected:
    """A `Rejected` naming SLURM's reason and the fix; `request` fills {account}, {qos}, ..."""
    message = slurm_message(stderr)
    values = {k: ("" if v is None else v) for k, v in request.items()}
    for pattern, reason, fix in UNREACHABLE:
        if re.search(pattern, stderr, re.IGNORECASE):
            return Rejected(f"could not submit: {reason} (\"{message}\")", fix, message)
    for pattern, reason, fix in RULES:
        if re.search(pattern, stderr, re.IGNORECASE):
            try:
                reason = reason.format(**values)
            except (KeyError, IndexError):
                pass
            return Rejected(f"SLURM refused the job: {reason} (\"{message}\")", fix, message)
    return Rejected(f"SLURM refused the job: {message}", "fix the request named above and submit again", message)
