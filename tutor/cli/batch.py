"""`tutor batch`: grade a class's submissions into a gradebook, LMS exports, feedback files
and integrity flags, locally on worker processes or as a SLURM job array."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)


def _default_workers() -> int:
    from grader.limits import available_cpus

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
    fmt: str = typer.Option("csv", "--format", "-f",
                            help="Comma-separated exports: csv, gradescope, prairielearn."),
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

    Writes to --out: gradebook.csv, feedback/STUDENT.txt, gradescope/ and prairielearn/
    STUDENT/results.json (with --format), integrity.txt (identical weights or source, for a
    human to review), summary.json and unattributed.txt. Rerun the same command after a crash,
    a Ctrl-C or new submissions: only new or changed submissions are graded.

    Examples: tutor batch canvas-download.zip --task task8.1 -f csv,gradescope;
    tutor batch submissions/ --task task8.1 --slurm
    """
    from tutor.batch import exports, run
    from tutor.errors import UserError

    if shard:
        try:
            index, total = (int(x) for x in shard.split("/"))
            assert 0 <= index < total
        except (ValueError, AssertionError):
            raise UserError(f"--shard {shard}: expected i/N with 0 <= i < N") from None
        raise typer.Exit(run.run_shard(submissions, index, total, workers or 1, timeout, regrade or ""))
    if regrade not in (None, "errors", "all"):
        raise UserError(f"--regrade {regrade}: use 'errors' or 'all'")
    options = run.Options(
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
    )
    run.run(options)
