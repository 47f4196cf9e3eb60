"""Polite polling: ONE `squeue` for all of the user's jobs per refresh, `sacct` only for the
jobs that have left the queue (batched), `scontrol show job` when accounting is off or has not
caught up yet; loops back off while nothing changes."""

from __future__ import annotations

import time
from typing import Callable, Optional, Sequence

from hpc.slurm import AccountingDisabled, JobInfo, Slurm


class Tracker:
    def __init__(
        self,
        slurm: Slurm,
        min_interval: float = 2.0,
        max_interval: float = 60.0,
        factor: float = 1.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.slurm = slurm
        self.min_interval = min_interval
        self.max_interval = max_interval
        self.factor = factor
        self.sleep = sleep
        self.accounting: Optional[bool] = None  # None: not known yet

    def refresh(self, job_ids: Sequence[str]) -> dict[str, JobInfo]:
        """What SLURM knows of these jobs (ids "123" or array tasks "123_4"). A job SLURM no
        longer knows at all is left out (the caller keeps its last known state)."""
        queue = self.slurm.squeue()
        found = {j: queue[j] for j in job_ids if j in queue}
        gone = [j for j in job_ids if j not in found]
        if gone and self.accounting is not False:
            try:
                acct = self.slurm.sacct(gone)
                self.accounting = True
            except AccountingDisabled:
                self.accounting = False
                acct = {}
            found.update({j: acct[j] for j in gone if j in acct})
        missing = [j for j in gone if j not in found]
        asked: dict[str, dict[str, JobInfo]] = {}
        for job_id in missing:  # scontrol shows a whole array at once: one call per job
            parent = job_id.split("_")[0]
            if parent not in asked:
                asked[parent] = self.slurm.scontrol(parent)
            if job_id in asked[parent]:
                found[job_id] = asked[parent][job_id]
        return found

    def wait(
        self,
        job_ids: Sequence[str],
        timeout: Optional[float] = None,
        on_update: Optional[Callable[[dict[str, JobInfo]], None]] = None,
    ) -> dict[str, JobInfo]:
        """Refresh until every job is in a final state (or `timeout` seconds pass); the
        interval grows by `factor` up to `max_interval` while nothing changes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = self.min_interval
        last: Optional[dict[str, str]] = None
        while True:
            infos = self.refresh(job_ids)
            if on_update is not None:
                on_update(infos)
            if len(infos) == len(job_ids) and all(i.final for i in infos.values()):
                return infos
            if deadline is not None and time.monotonic() >= deadline:
                return infos
            states = {k: v.state for k, v in infos.items()}
            interval = self.min_interval if states != last else min(interval * self.factor, self.max_interval)
            last = states
            pause = interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic()))
            self.sleep(pause)
