"""`tutor batch`: grade a class's submissions into a gradebook, LMS exports, feedback files
and integrity flags, locally on worker processes or as a SLURM job array."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from grader.limits import available_cpus
from tutor.batch import exports, plan, run
from tutor.errors import UserError


def _default_workers() -> int:
    return max(1, min(4, available_cpus()))


def batch(
    submissions: Path = typer.Argument(
        ..., help="A folder with one folder or .zip per student, or an LMS bulk download "
        "(Canvas or Moodle names; a folder or its .zip)."),
    task: str = typer.Option(..., "--task", "-t", help="Task to grade, e.g. task8.1."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Output folder (default: ./batch-TASK). Rerunning with the same "
        "folder regrades only changed submissions."),
    workers: int = typer.Option(0, "--workers", "-j", min=0,
                                help="Grading processes (default: one per core, at most 4)."),
    slurm: bool = typer.Option(False, "--slurm", help="Grade as a SLURM job array, then merge."),
    canvas_gradebook: Optional[Path] = typer.Option(
        None, "--canvas-gradebook", help="Canvas' gradebook export (Grades > Export > CSV): writes "
        "canvas-gradebook.csv for Grades > Import and canvas-comments.zip for Upload Feedback "
        "Comments, matched by the user id in Canvas' bulk-download names."),
    moodle_worksheet: Optional[Path] = typer.Option(
        None, "--moodle-worksheet", help="Moodle's offline grading worksheet (Grading action > "
        "Download grading worksheet): writes moodle-worksheet.csv for Upload grading worksheet, "
        "matched by the participant id in Moodle's download names."),
    lms_column: str = typer.Option(
        "", "--lms-column", help="The Canvas assignment column to fill, when its title does not "
        "name the task (its title, 'Title (id)' or id)."),
    fmt: str = typer.Option("csv", "--format", "-f", hidden=True,
                            help="Kept for old scripts: only csv."),
    timeout: float = typer.Option(600.0, "--timeout", min=1,
                                  help="Seconds one submission may take before it is stopped."),
    regrade: Optional[str] = typer.Option(
        None, "--regrade", help="Grade again even if unchanged: 'errors' (those that could not be "
        "graded, e.g. after fixing the data path) or 'all' (e.g. after updating tutor)."),
    array_tasks: int = typer.Option(4, "--array-tasks", min=1, hidden=True),
    max_running: int = typer.Option(2, "--max-running", min=1, hidden=True),
    shard: Optional[str] = typer.Option(None, "--shard", hidden=True,
                                        help="Internal: grade share i/N of a staged batch."),
) -> None:
    """Grade every student's submission for TASK into a gradebook.

    Writes to --out: gradebook.csv, feedback/STUDENT.txt, integrity.txt (identical weights or
    source, for a human to review), summary.json and unattributed.txt; with --canvas-gradebook
    canvas-gradebook.csv and canvas-comments.zip, with --moodle-worksheet moodle-worksheet.csv.
    Rerun the same command after a crash, a Ctrl-C or new submissions: only new or changed
    submissions are graded. (Gradescope and PrairieLearn run tutor themselves: `tutor autograder`.)

    Examples: tutor batch submissions.zip --task task8.1 --canvas-gradebook Grades.csv;
    tutor batch submissions/ --task task8.1 --slurm
    """
    if shard:
        try:
            index, total = (int(x) for x in shard.split("/"))
            assert 0 <= index < total
        except (ValueError, AssertionError):
            raise UserError(f"--shard {shard}: expected i/N with 0 <= i < N") from None
        raise typer.Exit(run.run_shard(submissions, index, total, workers or 1, timeout, regrade or ""))
    if regrade not in (None, "errors", "all"):
        raise UserError(f"--regrade {regrade}: use 'errors' or 'all'")
    options = plan.Options(
        source=submissions,
        task_id=task,
        out=out or Path.cwd() / f"batch-{task}",
        workers=workers or _default_workers(),
        formats=exports.parse_formats(fmt),
        timeout=timeout,
        slurm=slurm,
        array_tasks=array_tasks,
        concurrency=max_running,
        regrade=regrade or "",
        canvas_gradebook=canvas_gradebook,
        moodle_worksheet=moodle_worksheet,
        lms_column=lms_column,
    )
    run.run(options)
