"""`tutor author check`: every gradable task's starter fails `check` and its reference solution
passes it (like rustlings' `dev check`), so a broken exercise never reaches students.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

if TYPE_CHECKING:
    from exercises import Task

author_app = typer.Typer(help="Tools for course authors.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(author_app, name="author")


def default_solutions() -> Optional[Path]:
    """The repository's solutions/ folder (not shipped in the student wheel)."""
    import exercises

    folder = Path(exercises.__file__).resolve().parent.parent / "solutions"
    return folder if folder.is_dir() else None


@dataclass
class Verdict:
    task: str
    starter: str  # the starter's report status, or "missing"
    solution: str  # the solution's report status, or "missing"
    problems: list[str]
    # The solution could not be graded here (e.g. weights not staged): nothing was proven.
    inconclusive: Optional[str] = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.inconclusive is None


def _first_reason(report) -> str:
    if report.error:
        return report.error
    failing = [c for c in report.checks if c.status in ("failed", "error", "missing")]
    return f"{failing[0].id}: {failing[0].message}" if failing else report.status


def judge(task: "Task", solutions: Path, grader) -> Verdict:
    """Check the task's starter (must not pass) and its solution (must pass)."""
    problems: list[str] = []
    starter_status = solution_status = "missing"
    if task.starter.is_dir():
        report = grader.check(task, task.starter)
        starter_status = report.status
        if report.status == "passed":
            problems.append("the untouched starter already passes `check`: the exercise asks for nothing")
        elif report.status == "error":
            problems.append(f"the starter cannot be graded: {_first_reason(report)}")
    else:
        problems.append(f"no starter folder at {task.starter}")
    solution = solutions / task.id
    if solution.is_dir():
        report = grader.check(task, solution)
        solution_status = report.status
        if report.status == "error" and starter_status == "error":
            # Both could not be graded: the environment, not the exercise (say which).
            return Verdict(task.id, starter_status, solution_status, [], f"could not check here: {_first_reason(report)}")
        if report.status != "passed":
            problems.append(f"the reference solution does not pass: {_first_reason(report)}")
    else:
        problems.append(f"no reference solution at {solution}")
    return Verdict(task.id, starter_status, solution_status, problems)


@author_app.command("docs")
def docs(
    write: bool = typer.Option(False, "--write", help="Rewrite docs/authoring.md in the source tree."),
) -> None:
    """Print the authoring reference: every file, field and check kind (docs/authoring.md)."""
    import sys

    from tutor.authoring.reference import render, write as write_doc
    from tutor.cli.output import out

    if write:
        out.print(f"wrote {write_doc()}", markup=False)
        return
    sys.stdout.write(render())


@author_app.command("check")
def check(
    tasks: Optional[list[str]] = typer.Argument(None, help="Tasks to check (default: every gradable task)."),
    pack: Optional[str] = typer.Option(None, "--pack", help="Only this pack's tasks."),
    solutions: Optional[Path] = typer.Option(None, "--solutions", help="The reference solutions folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON."),
) -> None:
    """Confirm every starter fails `tutor check` and every reference solution passes it."""
    from rich.table import Table
    from rich.text import Text

    from grader.api import Grader
    from tutor.cli.output import fail, out, print_json
    from tutor.context import load_context

    ctx = load_context()
    solutions = solutions or default_solutions()
    if solutions is None or not solutions.is_dir():
        fail("no reference solutions folder: pass --solutions DIR (solutions are not in the student install)")
    selected = [ctx.task(t) for t in tasks] if tasks else [t for t in ctx.catalog if t.spec.gradable]
    if pack:
        selected = [t for t in selected if t.spec.pack == pack]
    if not selected:
        fail(f"no gradable tasks{f' in pack {pack}' if pack else ''}")
    verdicts: list[Verdict] = []
    with Grader(ctx.data_dir, allow_downloads=ctx.config.allow_downloads) as grader:
        for task in selected:
            if not task.spec.gradable:
                continue
            verdicts.append(judge(task, solutions, grader))
    if as_json:
        print_json(json.dumps([asdict(v) | {"ok": v.ok} for v in verdicts], indent=2))
    else:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("task", "starter", "solution", "verdict"):
            table.add_column(column)
        for v in verdicts:
            if v.problems:
                verdict = Text("; ".join(v.problems), style="red")
            elif v.inconclusive:
                verdict = Text(v.inconclusive, style="yellow")
            else:
                verdict = Text("ok", style="green")
            table.add_row(v.task, v.starter, v.solution, verdict)
        out.print(table)
        good = sum(v.ok for v in verdicts)
        out.print(f"{good}/{len(verdicts)} tasks: starter fails, solution passes", markup=False)
    broken = [v.task for v in verdicts if v.problems]
    unsure = [v.task for v in verdicts if v.inconclusive and not v.problems]
    if broken:
        fail(f"{len(broken)} task(s) not ready: {', '.join(broken)}", code=1)
    if unsure:
        fail(f"could not check {', '.join(unsure)} on this machine (see the table)", code=2)
