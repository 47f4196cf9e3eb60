"""The job store: the jobs `tutor submit` sent, in one JSON file in the user's data folder,
one `JobRow` per job.

Every read-modify-write happens under an exclusive lock and every write is atomic, through
the `StateIO` the caller passes in (the front end hands in `tutor.state.atomic`; hpc imports
nothing of tutor). A file that is not the store (bad JSON, hand-edited out of shape) is moved
aside, never deleted; rows that cannot be read are dropped from the live list only after the
whole file was moved aside, the other jobs stay. `recovered` then says what and where.

File format, version 2: `{"version": 2, "jobs": [JobRow without its computed fields, ...]}`.
Version 1 (before the shared job-row model) called the log patterns `output` and `error`
and had an always-null `array_size`; it is read and rewritten as version 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Optional, Protocol

from pydantic import BaseModel, ValidationError

from hpc.errors import HpcError, UnknownJob
from hpc.jobrow import COMPUTED, JobRow, first_error
from hpc.slurm import JobInfo

VERSION = 2
V1_KEYS = {"output": "stdout_pattern", "error": "stderr_pattern"}  # version 1's names
KEEP_FINISHED = 200  # finished jobs kept in the list (oldest dropped first); open jobs always stay


class StateIO(Protocol):
    def locked(self, path: Path) -> ContextManager[None]: ...
    def write_json_atomic(self, path: Path, data: Any) -> None: ...
    def quarantine(self, path: Path) -> Path: ...


class JobFile(BaseModel):
    """The store file as written."""

    version: int = VERSION
    jobs: list[JobRow] = []


@dataclass(frozen=True)
class Recovery:
    """What reading the store had to repair: why, where the file as it was went, how many jobs
    are still listed."""

    reason: str
    saved_at: Path
    kept: int

    def message(self, path: Path) -> str:
        kept = f"the other {self.kept} job(s) are kept" if self.kept else "a new list was started"
        return f"the job list {path} {self.reason}; the file as it was is saved at {self.saved_at}, {kept}"


def _one_line(value: Any, limit: int = 40) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row_problem(index: int, item: Any, error: ValidationError) -> str:
    job = f", job {_one_line(item.get('job_id'))}" if isinstance(item, dict) and item.get("job_id") else ""
    return f"row {index + 1}{job}: {first_error(error)}"


def _upgrade(item: Any, version: int) -> Any:
    """A version-1 row with version 2's names."""
    if version >= 2 or not isinstance(item, dict):
        return item
    return {V1_KEYS.get(key, key): value for key, value in item.items()}


def parse_store(text: str) -> tuple[list[JobRow], Optional[str], int]:
    """The rows a store file holds, why the file (or some of its rows) could not be read, and
    the file's format version."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return [], f"is not valid JSON ({_one_line(exc, 80)})", VERSION
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        return [], 'is not a job list (expected {"version": 2, "jobs": [...]})', VERSION
    version = data.get("version", 1)
    if type(version) is not int:
        return [], f"has version {_one_line(version)!r}, not a number", VERSION
    rows, problems = [], []
    for index, item in enumerate(data["jobs"]):
        try:
            rows.append(JobRow.model_validate(_upgrade(item, version)))
        except ValidationError as exc:
            problems.append(_row_problem(index, item, exc))
    if not problems:
        return rows, None, version
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return rows, f"had {len(problems)} unreadable row(s) ({problems[0]}{more})", version


class JobStore:
    def __init__(self, path: Path, io: StateIO) -> None:
        self.path = Path(path)
        self.io = io
        self.recovered: Optional[Recovery] = None  # what reading the file had to repair

    def _read(self) -> JobFile:
        """The store's rows (called under the lock). A file that cannot be read whole is moved
        aside and what could be read is written back at once, so nothing is lost and the
        warning is given once."""
        if not self.path.exists():
            return JobFile()
        try:
            text = self.path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            rows, problem, version = [], "is not UTF-8 text", VERSION
        else:
            rows, problem, version = parse_store(text)
        if version > VERSION:
            raise HpcError(f"the job list {self.path} was written by a newer tutor (store version {version})",
                           "run that tutor, or move the file aside to start a new list")
        data = JobFile(jobs=rows)
        if problem is not None:
            saved_at = self.io.quarantine(self.path)
            self.recovered = Recovery(problem, saved_at, len(rows))
            if rows:
                self._write(data)
        return data

    def _write(self, data: JobFile) -> None:
        self.io.write_json_atomic(self.path, data.model_dump(mode="json", exclude={"jobs": {"__all__": COMPUTED}}))

    def jobs(self) -> list[JobRow]:
        with self.io.locked(self.path):
            return list(self._read().jobs)

    def get(self, job_id: str) -> JobRow:
        for record in self.jobs():
            if record.job_id == job_id:
                return record
        raise UnknownJob(f"tutor has no job {job_id}", "`tutor jobs` lists the jobs tutor submitted")

    def add(self, record: JobRow) -> None:
        def change(jobs: list[JobRow]) -> list[JobRow]:
            jobs = [j for j in jobs if j.job_id != record.job_id] + [record]
            finished = [j for j in jobs if j.final]
            drop = {id(j) for j in finished[: max(0, len(finished) - KEEP_FINISHED)]}
            return [j for j in jobs if id(j) not in drop]

        self.modify(change)

    def update(self, infos: dict[str, JobInfo]) -> list[JobRow]:
        """Apply fresh SLURM facts; returns the records after the update."""
        return self.modify(lambda jobs: [j.apply(infos[j.job_id]) if j.job_id in infos else j for j in jobs])

    def modify(self, change: Callable[[list[JobRow]], Iterable[JobRow]]) -> list[JobRow]:
        with self.io.locked(self.path):
            data = self._read()
            data.jobs = list(change(list(data.jobs)))
            self._write(data)
            return list(data.jobs)
