"""Scale-out for instructor batch grading: one SLURM job array over N work items.

    from hpc.scaleout import submit_array, wait_array, collect
    job = submit_array(items, "tutor batch grade-one", workdir, profile, slurm, limit=8)
    infos = wait_array(job, Tracker(slurm))          # or Tracker(slurm).refresh(job.task_ids())
    for task in collect(job, infos): ...              # index, item, state, exit_code, result

`items` is a list of JSON values (e.g. submission folders). `submit_array` writes them to
`workdir/items.json` and submits `--array=0-(N-1)%limit` (at most `limit` tasks run at once).
Task i runs `command` through bash with:

    TUTOR_ARRAY_ITEMS    workdir/items.json
    TUTOR_ARRAY_INDEX    i (= $SLURM_ARRAY_TASK_ID)
    TUTOR_ARRAY_RESULTS  workdir/results; the task writes its result to results/<i>.json

(`work_item()` and `write_result()` below do both for Python workers, atomically). The
job's logs are `workdir/<job_name>.<array id>_<i>.out/.err`. `collect()` pairs every item with
its SLURM state, exit code and result; a task without a readable result gets `error` with
the tail of its error log. `job.json` in the workdir lets another process pick the array up
again with `ArrayJob.load(workdir)`. The command runs with the login node's environment
(`sbatch` exports it), not in the profile's container; `profile` gives account, QOS and
partition.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from pydantic import BaseModel

from exercises.schema import Resources
from hpc.errors import HpcError
from hpc.jobrow import expand_pattern
from hpc.profiles import ClusterProfile
from hpc.render import plan, render, validate
from hpc.slurm import JobInfo, Slurm, not_on_cluster
from hpc.track import Tracker

MAX_ARRAY = 1000  # SLURM's default MaxArraySize is 1001 (indices 0..1000)


class ArrayJob(BaseModel):
    job_id: str
    size: int
    limit: int
    workdir: Path
    job_name: str
    output: str = "%x.%A_%a.out"
    error: str = "%x.%A_%a.err"

    def task_ids(self) -> list[str]:
        return [f"{self.job_id}_{i}" for i in range(self.size)]

    def result_path(self, index: int) -> Path:
        return self.workdir / "results" / f"{index}.json"

    def stdout_path(self, index: int) -> Path:
        return self.workdir / expand_pattern(self.output, self.job_name, f"{self.job_id}_{index}")

    def stderr_path(self, index: int) -> Path:
        return self.workdir / expand_pattern(self.error, self.job_name, f"{self.job_id}_{index}")

    def items(self) -> list[Any]:
        return json.loads((self.workdir / "items.json").read_text(encoding="utf-8"))

    @classmethod
    def load(cls, workdir: Path) -> "ArrayJob":
        return cls.model_validate_json((Path(workdir) / "job.json").read_text(encoding="utf-8"))


@dataclass
class TaskResult:
    index: int
    item: Any
    state: str
    exit_code: Optional[str]
    result: Optional[Any]
    error: Optional[str]
    stdout: Path
    stderr: Path

    @property
    def ok(self) -> bool:
        return self.state == "COMPLETED" and self.result is not None


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def submit_array(
    items: Sequence[Any],
    command: str,
    workdir: Path,
    profile: ClusterProfile,
    slurm: Slurm,
    limit: int = 4,
    job_name: str = "tutor-batch",
    resources: Optional[Resources] = None,
) -> ArrayJob:
    """Submit one array task per item, at most `limit` running at once."""
    if not items:
        raise HpcError("no work items to submit", "give at least one")
    if len(items) > MAX_ARRAY:
        raise HpcError(f"{len(items)} work items is more than one job array may hold ({MAX_ARRAY})",
                       "split them into several arrays")
    if limit < 1:
        raise HpcError(f"concurrency limit {limit} is not positive", "use --limit 1 or more")
    if not slurm.available("sbatch"):
        raise not_on_cluster()
    resources = resources or Resources(job_name=job_name, cpus_per_task=1, gpus=0, time="00:30:00",
                                       max_time="1-00:00:00", script="array.slurm")
    workdir = Path(workdir).resolve()
    (workdir / "results").mkdir(parents=True, exist_ok=True)
    _write_json(workdir / "items.json", list(items))
    spec = plan(job_name, resources, profile, [], array=f"0-{len(items) - 1}%{limit}")
    spec = spec.model_copy(update={
        "job_name": job_name,
        "cpus_per_task": resources.cpus_per_task,
        "modules": (),
        "purge_modules": False,
        "setup": (
            f"export TUTOR_ARRAY_ITEMS={workdir / 'items.json'}",
            f"export TUTOR_ARRAY_RESULTS={workdir / 'results'}",
            "export TUTOR_ARRAY_INDEX=$SLURM_ARRAY_TASK_ID",
        ),
        "command": command,
    })
    validate(spec, resources, profile)
    script = workdir / resources.script
    script.write_text(render(spec), encoding="utf-8")
    job_id = slurm.sbatch(script, cwd=workdir, **spec.request())
    job = ArrayJob(job_id=job_id, size=len(items), limit=limit, workdir=workdir, job_name=job_name,
                   output=spec.output, error=spec.error)
    _write_json(workdir / "job.json", job.model_dump(mode="json"))
    return job


def wait_array(job: ArrayJob, tracker: Tracker, timeout: Optional[float] = None, on_update=None) -> dict[str, JobInfo]:
    """Poll (politely) until every task has finished; returns {"ID_i": JobInfo}."""
    return tracker.wait(job.task_ids(), timeout=timeout, on_update=on_update)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def collect(job: ArrayJob, infos: dict[str, JobInfo]) -> list[TaskResult]:
    """Every work item with its task's state, exit code and result (None if it wrote none)."""
    items = job.items()
    results = []
    for index, item in enumerate(items):
        info = infos.get(f"{job.job_id}_{index}")
        result, error = None, None
        try:
            result = json.loads(job.result_path(index).read_text(encoding="utf-8"))
        except FileNotFoundError:
            error = "the task wrote no result"
        except (OSError, ValueError) as exc:
            error = f"unreadable result ({exc})"
        if error is not None:
            tail = _tail(job.stderr_path(index))
            error = f"{error}; error log ends: {tail}" if tail else error
        results.append(TaskResult(index, item, info.state if info else "UNKNOWN", info.exit_code if info else None,
                                  result, error, job.stdout_path(index), job.stderr_path(index)))
    return results


# ---------------------------------------------------------------- the task side (stdlib only)


def work_item(index: Optional[int] = None) -> Any:
    """Inside an array task: this task's work item."""
    index = int(os.environ["TUTOR_ARRAY_INDEX"]) if index is None else index
    return json.loads(Path(os.environ["TUTOR_ARRAY_ITEMS"]).read_text(encoding="utf-8"))[index]


def write_result(data: Any, index: Optional[int] = None) -> Path:
    """Inside an array task: store this task's result (atomically) where `collect` reads it."""
    index = int(os.environ["TUTOR_ARRAY_INDEX"]) if index is None else index
    path = Path(os.environ["TUTOR_ARRAY_RESULTS"]) / f"{index}.json"
    _write_json(path, data)
    return path
