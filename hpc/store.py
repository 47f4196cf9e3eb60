"""The job store: the jobs `tutor submit` sent, in one JSON file in the user's data folder.

Every read-modify-write happens under an exclusive lock and every write is atomic, through
the `StateIO` the caller passes in (the front end hands in `tutor.state.atomic`; hpc imports
nothing of tutor). A corrupt file is moved aside (never deleted) and the store starts empty;
`recovered` then says where the old file went.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable, Optional, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from hpc.errors import UnknownJob
from hpc.slurm import BAD_STATES, FINAL_STATES, JobInfo

VERSION = 1
KEEP_FINISHED = 200  # finished jobs kept in the list (oldest dropped first); open jobs always stay


class StateIO(Protocol):
    def locked(self, path: Path) -> ContextManager[None]: ...
    def write_json_atomic(self, path: Path, data: Any) -> None: ...
    def quarantine(self, path: Path) -> Path: ...


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def expand_pattern(pattern: str, job_name: str, job_id: str) -> str:
    """SLURM's file-name pattern for one job or array task (%x %j %A %a %%)."""
    parent, _, index = job_id.partition("_")
    out = pattern.replace("%%", "\0")
    out = out.replace("%x", job_name).replace("%A", parent).replace("%a", index or "0")
    out = out.replace("%j", parent if not index else job_id)
    return out.replace("\0", "%")


class JobRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job_id: str
    task: str
    workspace: Path
    script: str
    profile: str
    job_name: str
    output: str = "%x.%j.out"
    error: str = "%x.%j.err"
    submitted_at: datetime
    state: str = "PENDING"
    exit_code: Optional[str] = None
    elapsed: Optional[str] = None
    node: Optional[str] = None
    reason: Optional[str] = None
    array_size: Optional[int] = None
    updated_at: Optional[datetime] = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def failed(self) -> bool:
        return self.state in BAD_STATES

    def stdout_path(self) -> Path:
        return self.workspace / expand_pattern(self.output, self.job_name, self.job_id)

    def stderr_path(self) -> Path:
        return self.workspace / expand_pattern(self.error, self.job_name, self.job_id)

    def apply(self, info: JobInfo) -> "JobRecord":
        return self.model_copy(
            update={
                "state": info.state,
                "exit_code": info.exit_code or self.exit_code,
                "elapsed": info.elapsed or self.elapsed,
                "node": info.node or self.node,
                "reason": info.reason if not info.final else None,
                "updated_at": now(),
            }
        )


class JobFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = VERSION
    jobs: list[JobRecord] = []


class JobStore:
    def __init__(self, path: Path, io: StateIO) -> None:
        self.path = Path(path)
        self.io = io
        self.recovered: Optional[Path] = None  # where a corrupt file was moved

    def _read(self) -> JobFile:
        if not self.path.exists():
            return JobFile()
        try:
            return JobFile.model_validate(json.loads(self.path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError, UnicodeDecodeError):
            self.recovered = self.io.quarantine(self.path)
            return JobFile()

    def _write(self, data: JobFile) -> None:
        self.io.write_json_atomic(self.path, data.model_dump(mode="json"))

    def jobs(self) -> list[JobRecord]:
        with self.io.locked(self.path):
            return list(self._read().jobs)

    def get(self, job_id: str) -> JobRecord:
        for record in self.jobs():
            if record.job_id == job_id:
                return record
        raise UnknownJob(f"tutor has no job {job_id}", "`tutor jobs` lists the jobs tutor submitted")

    def add(self, record: JobRecord) -> None:
        def change(jobs: list[JobRecord]) -> list[JobRecord]:
            jobs = [j for j in jobs if j.job_id != record.job_id] + [record]
            finished = [j for j in jobs if j.final]
            drop = {id(j) for j in finished[: max(0, len(finished) - KEEP_FINISHED)]}
            return [j for j in jobs if id(j) not in drop]

        self.modify(change)

    def update(self, infos: dict[str, JobInfo]) -> list[JobRecord]:
        """Apply fresh SLURM facts; returns the records after the update."""
        return self.modify(lambda jobs: [j.apply(infos[j.job_id]) if j.job_id in infos else j for j in jobs])

    def modify(self, change: Callable[[list[JobRecord]], Iterable[JobRecord]]) -> list[JobRecord]:
        with self.io.locked(self.path):
            data = self._read()
            data.jobs = list(change(list(data.jobs)))
            self._write(data)
            return list(data.jobs)
