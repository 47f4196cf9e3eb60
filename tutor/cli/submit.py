"""`tutor submit`: write a task's SLURM job script into its workspace and hand it to sbatch.

The front end resolves what hpc must not know (config, workspace, staged data, the notebook's
builder) and turns every `HpcError` into the one-line `tutor: reason: fix` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.syntax import Syntax

from exercises.schema import ExerciseKind
from grader.data import DataError, resolve_dataset, resolve_weights
from grader.intake.notebook import locate
from grader.notebook import NotebookError, plan_notebook
from grader.notebook.job import builder_files
from grader.sandbox.staging import StagingError
from hpc.profiles import load_profile
from hpc.slurm import Slurm
from hpc.submit import missing_files, prepare, script_diff, submit
from tutor.cli.hpc_errors import hpc_user_errors
from tutor.cli.output import err, out, warn
from tutor.cli.submission_target import submission_target
from tutor.errors import UserError
from tutor.services.jobs import job_store


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
    with hpc_user_errors():
        _submit(task, path, profile, time, dry_run)


def _submit(task: Optional[str], path: Optional[Path], profile: Optional[str], time: Optional[str], dry_run: bool) -> None:
    ctx, item, workspace = submission_target(task, path, "submit")
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
