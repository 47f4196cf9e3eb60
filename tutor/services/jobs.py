"""The student's cluster jobs: the job store in tutor's data dir and one refresh from SLURM.
Used by `tutor jobs`, `tutor logs`, `tutor submit` and `tutor cancel` (the TUI reads the same
rows through `tutor jobs --json`); says what went wrong through `warn` (a front end decides how
to show it), never prints."""

from __future__ import annotations

from typing import Callable, Optional

from hpc.errors import HpcError
from hpc.jobrow import JobRow
from hpc.slurm import Slurm
from hpc.store import JobStore
from hpc.track import Tracker
from tutor.config import user_data_dir
from tutor.state import atomic

Warn = Callable[[str], None]


def job_store() -> JobStore:
    return JobStore(user_data_dir() / "jobs.json", atomic)


def _quiet(_: str) -> None:
    pass


def refresh(store: JobStore, records: Optional[list[JobRow]] = None, warn: Warn = _quiet) -> list[JobRow]:
    """One squeue for all of the user's open jobs (+ sacct for those that left the queue); the
    last known states, with a warning, where SLURM cannot be asked."""
    records = store.jobs() if records is None else records
    open_ids = [r.job_id for r in records if r.active]
    if not open_ids:
        return records
    slurm = Slurm()
    if not slurm.available("squeue"):
        warn("not on a SLURM cluster (no squeue here): showing the last known states")
        return records
    try:
        infos = Tracker(slurm).refresh(open_ids)
    except HpcError as exc:
        warn(f"{exc}; showing the last known states")
        return records
    return store.update(infos) if infos else records


def warn_recovered(store: JobStore, warn: Warn) -> None:
    """The one line saying what reading a damaged job list repaired, if it had to."""
    if store.recovered is not None:
        warn(store.recovered.message(store.path))


def list_jobs(warn: Warn = _quiet) -> list[JobRow]:
    """Every job tutor submitted, oldest first, open ones refreshed from SLURM."""
    store = job_store()
    try:
        return refresh(store, warn=warn)
    finally:
        warn_recovered(store, warn)


def find_job(job_id: str, warn: Warn = _quiet, fresh: bool = True) -> tuple[JobStore, JobRow]:
    """One job (`UnknownJob` if tutor never submitted it), refreshed from SLURM if it is still
    open and `fresh`."""
    store = job_store()
    try:
        row = store.get(job_id)
        if fresh and row.active:
            row = next((r for r in refresh(store, [row], warn) if r.job_id == job_id), row)
        return store, row
    finally:
        warn_recovered(store, warn)
