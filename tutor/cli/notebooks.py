"""`tutor export NOTEBOOK`: a notebook as the standalone script of task 8.2, checked at once;
and the lines every report of a notebook submission adds (which cells ran, where it stopped)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from grader.api import Grader
from grader.data import DataError, resolve_dataset
from grader.notebook import NotebookError
from grader.notebook.export import export_script
from tutor.cli.grading import finish
from tutor.cli.output import err
from tutor.context import load_context
from tutor.errors import UserError

if TYPE_CHECKING:
    pass


def _mnist_path() -> str:
    """The staged MNIST this course uses, as the exported script's default path."""
    try:
        return str(resolve_dataset("mnist", load_context().data_dir, verify=False).path)
    except (DataError, Exception):  # no course config or nothing staged: the script says how to pass it
        return "mnist.npz"


def export(
    notebook: Path = typer.Argument(..., metavar="NOTEBOOK", help="The .ipynb to export."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="The script to write (default: MNIST.py here)."),
    task_id: str = typer.Option("task8.2", "--task", help="The task whose script checks run on the result."),
    force: bool = typer.Option(False, "--force", help="Replace the output file if it exists."),
    as_json: bool = typer.Option(False, "--json", help="Print the checks' report as JSON."),
) -> None:
    """Write a notebook's code cells as one Python script (magics and display() made plain
    Python), then run the task's script checks on it."""
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise UserError(f"{notebook}: not a notebook file (give the .ipynb to export)")
    ctx = load_context()
    task = ctx.task(task_id)
    target = output or Path("MNIST.py")
    if target.exists() and not force:
        raise UserError(f"{target} exists: pass --force to replace it, or -o another file name")
    try:
        exported = export_script(notebook, _mnist_path())
    except NotebookError as exc:
        raise UserError(str(exc)) from None
    try:
        target.write_text(exported.text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{target}: cannot write it ({exc.strerror})") from None
    if not as_json:
        err.print(f"wrote {target} from {notebook.name} ({len(exported.text.splitlines())} lines)", markup=False)
        for note in exported.notes:
            err.print(f"  {note}", markup=False)
    scripts = {c.file for c in task.spec.checks if getattr(c, "kind", "") == "script"}
    with tempfile.TemporaryDirectory(prefix="tutor-export-") as folder:
        for name in scripts or {target.name}:
            shutil.copyfile(target, Path(folder) / name)

        with Grader(ctx.data_dir) as grader:
            report = grader.check(task, Path(folder))
    finish(report, task, "check", as_json)
