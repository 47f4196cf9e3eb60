"""`tutor compare`: a Markdown table of recorded training runs (train.json files).

    tutor compare a1.5                 the runs task a1.5 compares, written to its COMPARISON.md
    tutor compare a1.2 a1.3 a1.4       those tasks' recorded runs, printed
    tutor compare ws/a2.2/train.json   a record (or a folder of them) given by path

Numbers come only from the recorded files; a run recorded without parameter counts gets them
from its model.py, built in the sandbox like `tutor check` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from exercises import Task, UnknownTask
from grader.api import Grader
from grader.checks.documents import DocumentError
from grader.checks.runs import Run, find_runs, load_record, render_table
from tutor.cli.output import out, warn
from tutor.context import Context, load_context
from tutor.errors import UserError
from tutor.state.atomic import write_atomic
from tutor.state.workspace import workspace_path


def compare(
    targets: list[str] = typer.Argument(..., metavar="TASK|PATH...", help="Tasks, run folders or train.json files."),
    write: Optional[Path] = typer.Option(None, "--write", help="Also write the table to this file."),
) -> None:
    """Compare recorded training runs: parameters, training time, accuracy, device."""
    ctx = load_context()
    destination = write
    tasks = targets
    table_task = _comparison_task(ctx, targets)
    if table_task is not None:
        check = _table_check(table_task)
        tasks = list(check.runs)
        destination = destination or _workspace(ctx, table_task) / check.file
    runs = [run for target in tasks for run in _runs(ctx, target)]
    if not runs:
        raise UserError(f"no recorded runs in {', '.join(tasks)}: train first (tutor train / tutor submit)")
    _fill_params(ctx, runs)
    table = render_table(runs, "tutor compare " + " ".join(targets))
    out.print(table, markup=False, highlight=False)
    if destination is not None:
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(destination, table)
        except OSError as exc:
            raise UserError(f"{destination}: cannot write ({exc.strerror or exc})") from None
        out.print(f"wrote {destination}", markup=False, highlight=False)


def _table_check(task: Task):
    return next(c for c in task.spec.checks if c.kind == "comparison_table")


def _comparison_task(ctx: Context, targets: list[str]) -> Optional[Task]:
    """The task itself when the one target is a task with a comparison_table check."""
    if len(targets) != 1:
        return None
    task = _task_or_none(ctx, targets[0])
    if task is None or not any(c.kind == "comparison_table" for c in task.spec.checks):
        return None
    return task


def _task_or_none(ctx: Context, target: str) -> Optional[Task]:
    if "/" in target or target.endswith(".json"):
        return None
    try:
        return ctx.task(target)
    except UnknownTask:
        return None


def _workspace(ctx: Context, task: Task) -> Path:
    return workspace_path(task, ctx.workspace_root)


def _runs(ctx: Context, target: str) -> list[Run]:
    """The recorded runs of a task's workspace, a folder, or one record file."""
    task = _task_or_none(ctx, target)
    try:
        if task is not None:
            folder = _workspace(ctx, task)
            found = find_runs(task.id, folder) if folder.is_dir() else []
            if not found:
                raise UserError(f"{task.id}: no train.json in {folder}: train it first (tutor train/submit {task.id})")
            return found
        path = Path(target).expanduser()
        if path.is_dir():
            found = find_runs(path.name, path)
            if not found:
                raise UserError(f"{path}: no train.json or *.train.json in this folder")
            return found
        if path.is_file():
            record = load_record(path.parent, path.name)
            return [Run(f"{path.parent.name} · {path.name}", path, record)]
    except DocumentError as exc:
        raise UserError(str(exc)) from None
    raise UserError(f"{target}: neither a task nor a run record (try: tutor list)")


def _fill_params(ctx: Context, runs: list[Run]) -> None:
    """Parameter counts for `tutor train` records that lack them: build model.py in the sandbox."""
    missing = [r for r in runs if r.record.trainable_params is None and r.path.name == "train.json"]
    if not missing:
        return

    with Grader(ctx.data_dir) as grader:
        for run in missing:
            task = _task_or_none(ctx, run.record.task or "")
            if task is None or not (run.path.parent / "model.py").is_file():
                continue
            report = grader.check(task, run.path.parent)
            if report.model is not None:
                run.record.trainable_params = report.model.trainable_params
                run.record.total_params = report.model.total_params
            else:
                warn(f"{run.name}: parameter count unknown ({report.error or 'model.py did not build'})")
