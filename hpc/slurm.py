"""The SLURM commands, called with argument lists (never a shell): sbatch, squeue, sacct,
scontrol, scancel. Each call has a time limit; failures become one-line `HpcError`s."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Mapping, Optional, Sequence

from hpc.errors import HpcError, NotOnCluster
from hpc.rejections import explain

# The one classification of SLURM's job states, for every front end (`JobRow.status`):
# `finished` (COMPLETED), `failed` (any other final state) or `active` (everything else:
# PENDING, RUNNING, COMPLETING, SUSPENDED, REQUEUED... and any state tutor does not know yet,
# so a job is asked about again rather than given up on).
FINAL_STATES = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
     "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}
)
BAD_STATES = FINAL_STATES - {"COMPLETED"}
JobStatus = Literal["active", "finished", "failed"]
SQUEUE_FORMAT = "%i|%T|%M|%N|%r|%j"
SACCT_FIELDS = "JobID,State,ExitCode,Elapsed,NodeList,Reason,JobName"
SACCT_BATCH = 200  # job ids per sacct call


def not_on_cluster(what: str = "sbatch") -> NotOnCluster:
    return NotOnCluster(f"not on a SLURM cluster (no `{what}` on this machine)",
                        "`tutor submit TASK --dry-run` shows the script")


@dataclass
class JobInfo:
    """One job (or array task) as SLURM reports it."""

    job_id: str  # "123" or "123_4" for an array task
    state: str
    exit_code: Optional[str] = None  # "3:0" (code:signal)
    elapsed: Optional[str] = None
    node: Optional[str] = None
    reason: Optional[str] = None
    name: Optional[str] = None
    source: str = "squeue"  # squeue | sacct | scontrol

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


def job_status(state: str) -> JobStatus:
    """`active`, `finished` or `failed` for one of SLURM's states (see FINAL_STATES)."""
    if state not in FINAL_STATES:
        return "active"
    return "failed" if state in BAD_STATES else "finished"


def slurm_verdict(text: str) -> str:
    """The last line a SLURM command printed, without its `cmd: error:` prefix."""
    line = (text.strip().splitlines() or [""])[-1]
    return re.sub(r"^\w+:\s*((error|fatal):\s*)?", "", line).strip()


def normalise_state(state: str) -> str:
    """`CANCELLED by 0` -> `CANCELLED`; `COMPLETED+` -> `COMPLETED`."""
    return (state.split() or ["UNKNOWN"])[0].rstrip("+").upper()


def _blank(value: str) -> Optional[str]:
    value = value.strip()
    return None if value in ("", "None", "(null)", "N/A", "Unknown") else value


class Slurm:
    """A thin client for the SLURM commands. `env` is merged into the environment of every
    call (e.g. `SLURM_CONF`); `timeout` bounds each call."""

    def __init__(self, env: Optional[Mapping[str, str]] = None, timeout: float = 30.0) -> None:
        self.env = dict(env or {})
        self.timeout = timeout
        self.calls: list[list[str]] = []  # what was run, for the polite-polling tests

    # ------------------------------------------------------------------ plumbing

    def available(self, tool: str = "sbatch") -> bool:
        return self._which(tool) is not None

    def _which(self, tool: str) -> Optional[str]:
        path = self.env.get("PATH", os.environ.get("PATH"))
        return shutil.which(tool, path=path)

    def _run(self, argv: Sequence[str], cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
        exe = self._which(argv[0])
        if exe is None:
            raise not_on_cluster(argv[0])
        self.calls.append(list(argv))
        try:
            return subprocess.run(
                [exe, *argv[1:]], cwd=cwd, env={**os.environ, **self.env}, capture_output=True,
                text=True, timeout=self.timeout, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise HpcError(f"`{argv[0]}` did not answer within {self.timeout:.0f} s",
                           "the controller may be busy: try again in a minute") from None
        except OSError as exc:
            raise HpcError(f"cannot run `{argv[0]}` ({exc.strerror})", "check your SLURM installation") from None

    # ------------------------------------------------------------------ commands

    def sbatch(self, script: Path, cwd: Path, args: Sequence[str] = (), **request: object) -> str:
        """Submit; returns the job id. A refusal raises `Rejected` with SLURM's reason and the
        fix (`request` names what was asked for: account, qos, partition, cpus, gpus, time, mem)."""
        proc = self._run(["sbatch", "--parsable", *args, str(script)], cwd=cwd)
        if proc.returncode != 0:
            raise explain(proc.stderr or proc.stdout, **request)
        job_id = proc.stdout.strip().split(";")[0]  # "ID" or "ID;cluster"
        if not re.fullmatch(r"\d+", job_id):
            raise HpcError(f"sbatch answered '{proc.stdout.strip()}' instead of a job id", "check `squeue --me`")
        return job_id

    def test_only(self, script: Path, cwd: Path, **request: object) -> str:
        """`sbatch --test-only`: SLURM's verdict on a request without queuing anything (the
        "would start at ..." line); a refusal raises `Rejected` as `sbatch()` does."""
        proc = self._run(["sbatch", "--test-only", str(script)], cwd=cwd)
        if proc.returncode != 0:
            raise explain(proc.stderr or proc.stdout, **request)
        return slurm_verdict(proc.stderr or proc.stdout)

    def squeue(self) -> dict[str, JobInfo]:
        """Every queued or running job of this user, array tasks one per line: ONE call."""
        proc = self._run(["squeue", "--noheader", "--array", "--me", f"--format={SQUEUE_FORMAT}"])
        if proc.returncode != 0:
            raise HpcError(f"squeue failed: {slurm_verdict(proc.stderr) or proc.returncode}", "try again in a minute")
        jobs = {}
        for line in proc.stdout.splitlines():
            parts = line.split("|")
            if len(parts) < 6:
                continue
            job_id, state, elapsed, node, reason, name = parts[:6]
            jobs[job_id.strip()] = JobInfo(
                job_id.strip(), normalise_state(state), None, _blank(elapsed), _blank(node),
                _blank(reason), _blank(name), "squeue",
            )
        return jobs

    def sacct(self, job_ids: Iterable[str]) -> dict[str, JobInfo]:
        """Accounting records of jobs that left the queue, in batches of SACCT_BATCH ids.
        Raises `AccountingDisabled` when the cluster keeps no accounting."""
        ids = list(dict.fromkeys(job_ids))
        found: dict[str, JobInfo] = {}
        for start in range(0, len(ids), SACCT_BATCH):
            chunk = ids[start : start + SACCT_BATCH]
            proc = self._run(["sacct", "--noheader", "--parsable2", "--allocations",
                              f"--jobs={','.join(chunk)}", f"--format={SACCT_FIELDS}"])
            if proc.returncode != 0:
                text = proc.stderr.strip()
                if "disabled" in text.lower() or "accounting_storage/none" in text:
                    raise AccountingDisabled(text)
                raise HpcError(f"sacct failed: {slurm_verdict(text) or proc.returncode}", "try again in a minute")
            for line in proc.stdout.splitlines():
                parts = line.split("|")
                if len(parts) < 7:
                    continue
                job_id, state, code, elapsed, node, reason, name = parts[:7]
                found[job_id] = JobInfo(job_id, normalise_state(state), _blank(code), _blank(elapsed),
                                        _blank(node), _blank(reason), _blank(name), "sacct")
        return found

    def scontrol(self, job_id: str) -> dict[str, JobInfo]:
        """`scontrol show job` (for clusters without accounting); {} once the job is purged."""
        proc = self._run(["scontrol", "--oneliner", "show", "job", job_id])
        if proc.returncode != 0:
            return {}
        found = {}
        for line in proc.stdout.splitlines():
            fields = dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", line))
            if "JobId" not in fields:
                continue
            key = fields["JobId"]
            if _blank(fields.get("ArrayTaskId", "")) and _blank(fields.get("ArrayJobId", "")):
                key = f"{fields['ArrayJobId']}_{fields['ArrayTaskId']}"
            found[key] = JobInfo(
                key, normalise_state(fields.get("JobState", "UNKNOWN")), _blank(fields.get("ExitCode", "")),
                _blank(fields.get("RunTime", "")), _blank(fields.get("NodeList", "")),
                _blank(fields.get("Reason", "")), _blank(fields.get("JobName", "")), "scontrol",
            )
        return found

    def scancel(self, job_id: str) -> None:
        proc = self._run(["scancel", job_id])
        if proc.returncode != 0:
            message = proc.stderr.strip().replace("scancel: error: ", "")
            raise HpcError(f"scancel {job_id} failed: {message}", "check the id with `tutor jobs`")


class AccountingDisabled(HpcError):
    def __init__(self, message: str) -> None:
        super().__init__(f"SLURM accounting is disabled here ({message})", "tutor falls back to scontrol")
