"""`tutor submit`, `tutor jobs`, `tutor logs`, `tutor cancel`: training on the cluster.

The front end resolves what hpc must not know (config, workspace, staged data, state-file
helpers) and turns every `HpcError` into the one-line `tutor: reason: fix` (exit 2).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer


@contextmanager
def _user_errors() -> Iterator[None]:
    from hpc.errors import HpcError
    from tutor.errors import UserError

    try:
        yield
    except HpcError as exc:
        raise UserError(str(exc)) from None


def _submit(task: Optional[str], path: Optional[Path], profile: Optional[str], time: Optional[str], dry_run: bool) -> None:
    from exercises.schema import ExerciseKind
    from grader.data import DataError, resolve_dataset, resolve_weights
    from hpc.profiles import load_profile
    from hpc.slurm import Slurm
    from hpc.submit import prepare, submit
    from tutor.cli.grading import _target
    from tutor.cli.output import out, warn
    from tutor.services.jobs import job_store

    ctx, item, workspace = _target(task, path, "submit")
    prof = load_profile(profile or ctx.config.profile, ctx.config.profiles_dir)
    data_path = keras_home = None
    if item.spec.kind is ExerciseKind.model and item.spec.dataset is not None:
        try:
            data_path = resolve_dataset(item.spec.dataset.name, ctx.data_dir).path
            for name in item.spec.weights:
                weights = resolve_weights(name, ctx.data_dir).path
                keras_home = weights.parent.parent if weights.parent.name == "models" else weights.parent
        except DataError as exc:
            if not dry_run:
                raise
            warn(f"{exc} (the script below names placeholders instead)")
            data_path = data_path or Path(f"<staged {item.spec.dataset.name}>")
            keras_home = Path("<staged weights>") if item.spec.weights else None
    model_files = _notebook_builder(item, workspace, data_path)
    if model_files and workspace.suffix == ".ipynb":
        workspace = workspace.parent
    prepared = prepare(item.spec, workspace, prof, data_path, time=time, starter=item.starter,
                       keras_home=keras_home, model_files=model_files)
    if dry_run:
        _dry_run(item.id, prepared, prof)
        return
    if not workspace.is_dir():
        from tutor.errors import UserError

        raise UserError(f"{workspace}: no such folder; run `tutor start {item.id}` first or pass --path")
    record = submit(prepared, prof, Slurm(), job_store())
    which = "your own " if prepared.own_script else ""
    out.print(f"Submitted {item.id} as job {record.job_id} (profile {prof.name}): "
              f"{which}{prepared.script_name} in {workspace}", markup=False)
    out.print(f"Next: tutor jobs (its state) · tutor logs {record.job_id} (its output) · "
              f"tutor grade {item.id} once it has finished", markup=False)


def _dry_run(task_id: str, prepared, prof) -> None:
    """stdout: exactly the script `tutor submit` would hand to sbatch. stderr: whose script it
    is, tutor's rendering as a diff where they differ, and files the job runs that are missing."""
    from rich.syntax import Syntax

    from hpc.submit import missing_files, script_diff
    from tutor.cli.output import err, warn

    sys.stdout.write(prepared.script_text)
    sys.stdout.flush()
    for problem in prof.warnings():
        warn(problem)
    profile = prof.name
    path = prepared.workspace / prepared.script_name
    if prepared.own_script:
        err.print(f"\nAbove: your {path}, which `tutor submit` hands to sbatch as it is.", markup=False)
        diff = script_diff(prepared)
        if diff:
            err.print(f"tutor's rendering for profile '{profile}' differs (- yours, + tutor's); "
                      "take what your course needs, keep your own module/container lines:", markup=False)
            err.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
    elif path.is_file():
        err.print(f"\nAbove: tutor's rendering for profile '{profile}'; your {prepared.script_name} is "
                  "still the starter (or tutor's own), so `tutor submit` writes this over it and submits it.",
                  markup=False)
    else:
        err.print(f"\nAbove: tutor's rendering for profile '{profile}', which `tutor submit` writes to "
                  f"{path} and submits.", markup=False)
    for name in missing_files(prepared):
        warn(f"{prepared.script_name} runs {name}, which is not in {prepared.workspace}: the job would fail "
             f"at once (tutor submit refuses it until {name} is there)")
    err.print(f"Next: tutor submit {task_id}", markup=False)


def _notebook_builder(item, workspace: Path, data_path: Optional[Path]) -> Optional[dict[str, str]]:
    """For a notebook submission: notebook_model.py, the builder the job imports (tutor is not
    installed where jobs run), with the staged dataset for the cells' load_data()."""
    from exercises.schema import ExerciseKind
    from grader.intake.notebook import locate
    from grader.notebook import NotebookError, plan_notebook
    from grader.notebook.job import builder_files
    from grader.sandbox.staging import StagingError
    from tutor.errors import UserError

    if item.spec.kind is not ExerciseKind.model or not (workspace.is_dir() or workspace.suffix == ".ipynb"):
        return None
    try:
        source = locate(item, workspace)
        if source.notebook is None:
            return None
        plan = plan_notebook(source.notebook)
    except (StagingError, NotebookError) as exc:
        raise UserError(str(exc)) from None
    datasets = {item.spec.dataset.name: str(data_path)} if data_path is not None and item.spec.dataset else {}
    return builder_files(plan, datasets)


def _jobs(as_json: bool) -> None:
    from rich.table import Table

    from hpc.jobrow import JOB_LIST
    from tutor.cli.output import out, print_json, warn
    from tutor.services.joblogs import error_tail
    from tutor.services.jobs import list_jobs

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
    from hpc.slurm import Slurm, not_on_cluster
    from tutor.cli.output import out, warn
    from tutor.services.jobs import find_job

    _, record = find_job(job_id, warn, fresh=False)
    if record.final:
        out.print(f"job {job_id} ({record.task}) has already ended: {record.state}", markup=False)
        return
    slurm = Slurm()
    if not slurm.available("scancel"):
        raise not_on_cluster("scancel")
    slurm.scancel(job_id)
    out.print(f"Cancelled job {job_id} ({record.task}); it was {record.state}.", markup=False)


def submit_cmd(
    task: Optional[str] = typer.Argument(None, metavar="[TASK]", help="task id, e.g. task8.4 (default: the "
                                         "task whose workspace folder you are in)"),
    path: Optional[Path] = typer.Option(None, "--path", help="submission folder (default: the task's workspace)"),
    profile: Optional[str] = typer.Option(None, "--profile", help="cluster profile (default: the course's)"),
    time: Optional[str] = typer.Option(None, "--time", help="wall-time limit HH:MM:SS"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print exactly the script sbatch would get (and "
                                 "tutor's rendering as a diff where they differ); submit nothing"),
) -> None:
    """Write the task's SLURM job script into its workspace and submit it with sbatch."""
    with _user_errors():
        _submit(task, path, profile, time, dry_run)


def jobs_cmd(as_json: bool = typer.Option(False, "--json", help="print the jobs as a JSON list (its keys are "
                                          "described above and in the README)")) -> None:
    """Your jobs: id, task, state, elapsed time, node, exit code, pending reason.

    --json prints a JSON list, oldest job first, one object per job with these keys (a stable
    shape: keys are only ever added): job_id, task, state (SLURM's word), status (active,
    finished or failed), elapsed, node, exit_code, reason (why it is pending), profile,
    workspace, script, job_name, stdout_pattern, stderr_pattern, stdout and stderr (the two
    log files), submitted_at and updated_at (ISO 8601, UTC). Warnings go to stderr.
    """
    with _user_errors():
        _jobs(as_json)


def logs_cmd(
    job: Optional[str] = typer.Argument(None, help="job id (see `tutor jobs`)"),
    raw: bool = typer.Option(False, "--raw", help="the logs as written, noise included"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep printing while the job runs"),
    files: list[Path] = typer.Option([], "--file", help="a saved log (.out/.err; its partner is found next to it)"),
) -> None:
    """A job's output without TensorFlow's start-up noise, and a summary of the training."""
    from tutor.cli.joblogs import show_files, show_job

    with _user_errors():
        if files:
            show_files(files, raw)
        elif job is None:
            from tutor.errors import UserError

            raise UserError("name a job (`tutor jobs` lists them) or a saved log with --file PATH")
        else:
            show_job(job, raw, follow)


def cancel_cmd(job: str = typer.Argument(..., help="job id (see `tutor jobs`)")) -> None:
    """Cancel one of your jobs (scancel)."""
    with _user_errors():
        _cancel(job)
