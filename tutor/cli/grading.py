"""`tutor check`, `grade`, `train` and `watch`: the grader's commands.

Exit codes (DESIGN.md): 0 passed, 1 graded and failed, 2 could not grade; a one-line reason
on stderr whenever it is not 0. `--json` prints the Report on stdout. TensorFlow is never
imported here: the sandbox's fork server pays for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from exercises import Task
from grader.api import Grader
from grader.checks import FrontEndFacts
from grader.report import Report
from grader.sandbox.policy import gpu_visible
from tutor.cli.output import err, out, print_json, waiting
from tutor.cli.report_output import reason_line, show_report
from tutor.cli.submission_target import submission_target
from tutor.cli.watching import watch_loop
from tutor.errors import UserError
from tutor.state.student_progress import TaskStatus, load_progress, record_result

PATH_HELP = ("The submission folder, or a notebook (.ipynb) to grade in place of model.py "
             "(default: the task's workspace, else the current folder).")
TASK_HELP = "e.g. task8.1 (default: the task whose workspace folder you are in)"
JSON_HELP = "Print the report as JSON on stdout."


# ------------------------------------------------------------------------------ helpers


def finish(report: Report, task: Task, mode: str, as_json: bool) -> None:
    """Record the result, show it, and exit with the report's code."""
    try:
        record_result(task.id, mode, report.status, report.score)
    except Exception as exc:  # progress is a convenience; never lose the grade over it
        err.print(f"warning: could not record progress ({exc})", markup=False)
    if as_json:
        print_json(report.model_dump_json(indent=2))
    elif report.status != "error":
        show_report(report, task, mode, notes_to=err)
    if not as_json:
        for note in report.meta.get("notes") or []:  # what intake set aside (model.h5 beside model.keras)
            err.print(f"note: {note}", highlight=False)
    if report.exit_code:
        err.print(f"tutor: {reason_line(report, task)}", markup=False, highlight=False)
    raise typer.Exit(report.exit_code)


def _grader(ctx, task: Task):
    """A Grader whose fork server already imports TensorFlow while we stage the submission."""
    grader = Grader(ctx.data_dir, allow_downloads=ctx.config.allow_downloads, target=ctx.target,
                    verify_source=True)
    if task.spec.kind.value == "model":
        grader.warm_up()
    return grader


# ------------------------------------------------------------------------------ commands


def front_end_facts(task: Task) -> FrontEndFacts:
    """What only tutor knows and the checks need: a guide step the student confirmed."""
    if not task.spec.reads("confirmation"):
        return FrontEndFacts()
    return FrontEndFacts(confirmed=load_progress().task(task.id).status is TaskStatus.done)


def _once(mode: str, task_id: Optional[str], path: Optional[Path], as_json: bool) -> None:
    ctx, task, submission = submission_target(task_id, path, mode)
    with _grader(ctx, task) as grader, waiting(err, f"tutor {mode} {task.id}: {_doing(task, mode)}", as_json):
        facts = front_end_facts(task)
        run = grader.check if mode == "check" else grader.grade
        report = run(task, submission, facts)
    finish(report, task, mode, as_json)


def _doing(task: Task, mode: str) -> str:
    if task.spec.kind.value != "model":
        return "reading your files…"
    if mode == "check":
        return "building your model in the sandbox (no training)…"
    return "scoring model.keras on the test set, and building model.py to make sure it is that model…"


def check(
    task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP),
    path: Optional[Path] = typer.Option(None, "--path", help=PATH_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fast structural feedback: builds your model in the sandbox and checks it (no training)."""
    _once("check", task_id, path, as_json)


def grade(
    task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP),
    path: Optional[Path] = typer.Option(None, "--path", help=PATH_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Every check, accuracy included: model.keras is opened in safe mode (no student code runs
    where it is scored); model.py is built in the sandbox to see that model.keras is up to date,
    and for the other checks when there is no model.keras (accuracy is then "missing")."""
    _once("grade", task_id, path, as_json)


class _TrainProgress:
    """Prints one line per epoch and keeps a live status line for batches."""

    def __init__(self, console, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.status = None

    def __call__(self, event: dict) -> None:
        if self.quiet:
            return
        if event.get("event") == "batch":
            text = f"epoch {event.get('epoch')}/{event.get('epochs')}: batch {event.get('batch')}/{event.get('batches')}"
            if self.status is None:
                self.status = self.console.status(text)
                self.status.start()
            else:
                self.status.update(text)
        elif event.get("event") == "epoch":
            self.stop()
            logs = event.get("logs") or {}
            numbers = "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)))
            self.console.print(
                f"epoch {event.get('epoch')}/{event.get('epochs')}  {numbers}  ({event.get('seconds', 0):.1f} s)",
                markup=False,
            )

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None


def train(
    task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP),
    path: Optional[Path] = typer.Option(None, "--path", help=PATH_HELP),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Override the recipe's epochs (a quick try; graded runs use the recipe)."),
    local: bool = typer.Option(False, "--local", help="Train here even though the task wants a GPU and none is visible."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Train your compiled model with the task's recipe in the sandbox; writes model.keras and train.json."""
    ctx, task, submission = submission_target(task_id, path, "train")
    if task.spec.needs_gpu and not local and not gpu_visible():
        raise UserError(
            f"{task.id} trains on a GPU and this machine has none (login nodes are not for training): "
            f"run `tutor submit {task.id}`, or add --local to train here anyway"
        )
    recipe = task.spec.recipe
    if recipe is not None and not as_json:
        n = epochs or recipe.epochs
        err.print(f"training {task.id} in {submission}: {n} epochs, batch {recipe.batch_size}, seed {recipe.seed}",
                  markup=False)
    progress = _TrainProgress(out if not as_json else err, quiet=False)
    try:
        with _grader(ctx, task) as grader:
            report = grader.train(task, submission, epochs=epochs, on_progress=progress)
    finally:
        progress.stop()
    if report.status != "error" and not as_json:
        folder = submission.parent if submission.suffix == ".ipynb" else submission
        err.print(f"wrote {folder / 'model.keras'} and train.json", markup=False)
    finish(report, task, "grade", as_json)


def watch(
    task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP),
    path: Optional[Path] = typer.Option(None, "--path", help=PATH_HELP),
    poll: bool = typer.Option(False, "--poll", help="Poll for changes (automatic on NFS/Lustre/GPFS homes)."),
    interval: float = typer.Option(1.0, "--interval", min=0.1, help="Seconds between polls."),
) -> None:
    """Re-run `check` whenever you save (model.py or your notebook); press r to re-run, q to quit."""
    ctx, task, submission = submission_target(task_id, path, "watch")
    notebook = submission if submission.suffix == ".ipynb" and submission.is_file() else None
    if notebook is None and not submission.is_dir():
        raise UserError(f"{submission}: no such folder or notebook (pass --path DIR or NOTEBOOK.ipynb, "
                        f"or run `tutor start {task.id}`)")
    with _grader(ctx, task) as grader:
        watch_loop(task, submission.parent if notebook else submission, grader, poll=poll, interval=interval,
                   notebook=notebook)
