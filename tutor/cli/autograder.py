"""`tutor autograder`: hand tutor to Gradescope or PrairieLearn as their grader."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tutor.autograder import gradescope as gs
from tutor.autograder import prairielearn as pl
from tutor.cli.output import err, out
from tutor.context import load_context

autograder_app = typer.Typer(
    name="autograder", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Run tutor as the grader inside Gradescope or PrairieLearn.")

ROOT_HELP = "The harness' root folder (change it to try the grader in a simulated root)."


def _task(task_id: str):
    ctx = load_context()
    return ctx, ctx.task(task_id)


def _report_bundle(what: str, where: Path, built) -> None:
    data = [n for n in built.files if n.startswith("data/")]
    out.print(f"wrote {what} {where} (tutor source, {len(data)} data file(s): "
              f"{', '.join(n.split('/')[-1] for n in data) or 'none'})", markup=False)
    for item in built.not_shipped:
        err.print(f"warning: not shipped, named in the README: {item}", markup=False)


@autograder_app.command("gradescope")
def gradescope(
    task_id: str = typer.Argument(..., metavar="TASK", help="e.g. task8.1"),
    output: Path = typer.Option(Path("autograder.zip"), "--output", "-o", help="The zip to upload."),
    no_data: bool = typer.Option(False, "--no-data", help="Leave the dataset and weights out "
                                 "(named in the README; the image must get them another way)."),
    grade: bool = typer.Option(False, "--grade", help="Inside Gradescope (run_autograder): grade "
                               "ROOT/submission into ROOT/results/results.json."),
    root: Path = typer.Option(Path("/autograder"), "--root", help=ROOT_HELP),
) -> None:
    """Build an autograder zip for Gradescope (setup.sh, run_autograder, tutor, the data)."""
    if grade:
        gs.grade(task_id, root)
        return

    ctx, task = _task(task_id)
    built = gs.build(task, output.expanduser(), ctx.data_dir, with_data=not no_data)
    _report_bundle("Gradescope autograder", output, built)


@autograder_app.command("prairielearn")
def prairielearn(
    task_id: str = typer.Argument(..., metavar="TASK", help="e.g. task8.1"),
    root: Path = typer.Option(Path("/grade"), "--root", help=ROOT_HELP),
    image: Optional[Path] = typer.Option(
        None, "--image", help="Instead of grading: write the grader image folder (Dockerfile, "
        "tutor, the data, info.json, README) to this folder."),
    no_data: bool = typer.Option(False, "--no-data", help="With --image: leave the data out."),
) -> None:
    """PrairieLearn's external-grader entrypoint: grade ROOT/student (with ROOT/data/data.json)
    into ROOT/results/results.json. With --image, write the grader image to build instead."""
    if image is None:
        pl.grade(task_id, root)
        return
    ctx, task = _task(task_id)
    built = pl.build_image(task, image.expanduser(), ctx.data_dir, with_data=not no_data)
    _report_bundle("PrairieLearn grader image folder", image, built)
