"""The student's cluster jobs: the job store in tutor's data dir and one refresh from SLURM.
Used by `tutor jobs`, `tutor logs` and `tutor submit`; says what went wrong through `warn`
(a front end decides how to show it), never prints."""

from __future__ import annotations

from typing import Callable, Optional

from hpc.errors import HpcError
from hpc.slurm import Slurm
from hpc.store import JobRecord, JobStore
from hpc.track import Tracker
from tutor.config import user_data_dir
from tutor.state import atomic


def job_store() -> JobStore:
    return JobStore(user_data_dir() / "jobs.json", atomic)


def _quiet(_: str) -> None:
    pass


def refresh(
    store: JobStore, records: Optional[list[JobRecord]] = None, warn: Callable[[str], None] = _quiet
) -> list[JobRecord]:
    """One squeue for all of the user's open jobs (+ sacct for those that left the queue); the
    last known states, with a warning, where SLURM cannot be asked."""
    records = store.jobs() if records is None else records
    open_ids = [r.job_id for r in records if not r.final]
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
