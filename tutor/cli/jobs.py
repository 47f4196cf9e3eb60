"""`tutor jobs`, `tutor logs`, `tutor cancel`: your jobs on the cluster (`tutor submit` sends them).

Every `HpcError` becomes the one-line `tutor: reason: fix` (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from hpc.jobrow import JOB_LIST
from hpc.slurm import Slurm, not_on_cluster
from tutor.cli.hpc_errors import hpc_user_errors
from tutor.cli.joblogs import show_files, show_job
from tutor.cli.output import out, print_json, warn
from tutor.errors import UserError
from tutor.services.joblogs import error_tail
from tutor.services.jobs import find_job, list_jobs


def _jobs(as_json: bool) -> None:
    records = list_jobs(warn)
    if as_json:
        print_json(JOB_LIST.dump_json(records, indent=2).decode())
        return
    if not records:
        out.print("No jobs yet: `tutor submit TASK` sends one (add --dry-run to see its script).", markup=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("JOB", "TASK", "STATE", "ELAPSED", "NODE", "EXIT", "REASON"):
        table.add_column(column)
    for r in records:
        table.add_row(r.job_id, r.task, r.state, r.elapsed or "-", r.node or "-", r.exit_code or "-",
                      r.reason or "")
    out.print(table)
    for r in records:
        if r.failed:
            out.print(f"\njob {r.job_id} ({r.task}) ended {r.state}, exit code {r.exit_code or '?'}; "
                      f"{r.stderr.name} ends:", markup=False)
            for line in error_tail(r) or ["(empty or missing)"]:
                out.print(f"  {line}", markup=False)


def _cancel(job_id: str) -> None:
    _, record = find_job(job_id, warn, fresh=False)
    if record.final:
        out.print(f"job {job_id} ({record.task}) has already ended: {record.state}", markup=False)
        return
    slurm = Slurm()
    if not slurm.available("scancel"):
        raise not_on_cluster("scancel")
    slurm.scancel(job_id)
    out.print(f"Cancelled job {job_id} ({record.task}); it was {record.state}.", markup=False)


def jobs_cmd(as_json: bool = typer.Option(False, "--json", help="print the jobs as a JSON list (its keys are "
                                          "described above and in the README)")) -> None:
    """Your jobs: id, task, state, elapsed time, node, exit code, pending reason.

    --json prints a JSON list, oldest job first, one object per job with these keys (a stable
    shape: keys are only ever added): job_id, task, state (SLURM's word), status (active,
    finished or failed), elapsed, node, exit_code, reason (why it is pending), profile,
    workspace, script, job_name, stdout_pattern, stderr_pattern, stdout and stderr (the two
    log files), submitted_at and updated_at (ISO 8601, UTC). Warnings go to stderr.
    """
    with hpc_user_errors():
        _jobs(as_json)


def logs_cmd(
    job: Optional[str] = typer.Argument(None, help="job id (see `tutor jobs`)"),
    raw: bool = typer.Option(False, "--raw", help="the logs as written, noise included"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep printing while the job runs"),
    files: list[Path] = typer.Option([], "--file", help="a saved log (.out/.err; its partner is found next to it)"),
) -> None:
    """A job's output without TensorFlow's start-up noise, and a summary of the training."""
    with hpc_user_errors():
        if files:
            show_files(files, raw)
        elif job is None:
            raise UserError("name a job (`tutor jobs` lists them) or a saved log with --file PATH")
        else:
            show_job(job, raw, follow)


def cancel_cmd(job: str = typer.Argument(..., help="job id (see `tutor jobs`)")) -> None:
    """Cancel one of your jobs (scancel)."""
    with hpc_user_errors():
        _cancel(job)
