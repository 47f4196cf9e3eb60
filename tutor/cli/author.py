"""`tutor author check`: every gradable task's starter fails `check` and its reference solution
passes it (like rustlings' `dev check`), so a broken exercise never reaches students.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

import exercises
from exercises import Task
from exercises.catalog import CatalogError, load_task
from grader.api import Grader
from tutor.authoring.proof import prove
from tutor.authoring.reference import render
from tutor.authoring.reference import write as write_doc
from tutor.authoring.skeleton import SkeletonError, new_task
from tutor.cli.output import escape, fail, out, plain, print_json
from tutor.config import load_config
from tutor.context import load_context

author_app = typer.Typer(help="Tools for course authors.", no_args_is_help=True,
                        add_completion=False, rich_markup_mode=None)


def default_solutions() -> Optional[Path]:
    """The repository's solutions/ folder (not shipped in the student wheel)."""
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
    # --train: the solution trained with the recipe and graded (status, accuracy, bar, images, seconds).
    trained: Optional[dict] = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.inconclusive is None


def _first_reason(report) -> str:
    if report.error:
        return report.error
    failing = [c for c in report.checks if c.status in ("failed", "error", "missing")]
    return f"{failing[0].id}: {failing[0].message}" if failing else report.status


def judge(task: Task, solutions: Path, grader, train: bool = False) -> Verdict:
    """Check the task's starter (must not pass) and its solution (must pass); with `train`, the
    solution of a model task is also trained with the recipe and graded (must pass)."""
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
        elif train and task.spec.kind.value == "model":
            proof = prove(task, solution, grader)
            if proof.problem:
                if proof.status == "error" and proof.problem.startswith("could not"):
                    return Verdict(task.id, starter_status, solution_status, problems, proof.problem, asdict(proof))
                problems.append(proof.problem)
            return Verdict(task.id, starter_status, solution_status, problems, None, asdict(proof))
    else:
        problems.append(f"no reference solution at {solution}")
    return Verdict(task.id, starter_status, solution_status, problems)


@author_app.command("new")
def new(
    task: str = typer.Argument(..., metavar="TASK", help="The new task's id, e.g. fm1."),
    pack: str = typer.Option(..., "--pack", help="The pack it goes in (made if new)."),
    folder: Optional[Path] = typer.Option(None, "--dir", help="The folder of packs (default: the first "
                                          "exercise_dirs of tutor.toml, else ./packs)."),
    kind: str = typer.Option("model", "--kind", help="model or script."),
    dataset: str = typer.Option("fashion_mnist", "--dataset", help="mnist, fashion_mnist or cifar10."),
    solutions: Optional[Path] = typer.Option(None, "--solutions", help="Where the reference solution goes "
                                             "(default: solutions_dir of tutor.toml, else ./solutions)."),
) -> None:
    """Write a task skeleton: exercise.toml with commented keys, README, starter, solution."""
    config = load_config()
    packs_dir = folder or _packs_dir(config.exercise_dirs)
    solutions_dir = solutions or config.solutions_dir or Path("solutions")
    try:
        written = new_task(task, pack, packs_dir, solutions_dir, kind, dataset)  # type: ignore[arg-type]
        load_task(packs_dir / pack / task, pack)
    except (SkeletonError, CatalogError) as exc:
        fail(str(exc))
    for path in written.created:
        out.print(f"  [green]+[/] {escape(path)}", markup=True)
    for path in written.kept:
        out.print(plain(f"  = {path} (exists, kept)", style="dim"))
    enabled = any(Path(d).resolve() in (packs_dir.resolve(), (packs_dir / pack).resolve()) for d in config.exercise_dirs)
    if not enabled:
        out.print(f"Add it to tutor.toml: exercise_dirs = [\"{packs_dir}\"] (and \"{pack}\" to packs, if you list packs)",
                  markup=False)
    if config.solutions_dir is None and solutions is None:
        out.print(f"and solutions_dir = \"{solutions_dir}\" so `tutor author check` finds the solution", markup=False)
    out.print(f"Next: edit {packs_dir / pack / task}/exercise.toml (every key: tutor author docs), then "
              f"tutor author check {task}" + (" --train" if kind == "model" else ""), markup=False)


def _packs_dir(exercise_dirs: list[Path]) -> Path:
    """Where new packs go: the first exercise_dirs entry (a pack's parent if it is a pack)."""
    for folder in exercise_dirs:
        folder = Path(folder)
        return folder.parent if (folder / "pack.toml").is_file() else folder
    return Path("packs")


@author_app.command("docs")
def docs(
    write: bool = typer.Option(False, "--write", help="Rewrite docs/authoring.md in the source tree."),
) -> None:
    """Print the authoring reference: every file, field and check kind (docs/authoring.md)."""
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
    train: bool = typer.Option(False, "--train", help="Also train each model task's solution with its recipe "
                               "(on CPU, [recipe] proof_subset images when set) and grade it with the real "
                               "grader: a solution below its accuracy bar fails."),
) -> None:
    """Confirm every starter fails `tutor check` and every reference solution passes it
    (with --train: also reaches every bar once trained)."""
    ctx = load_context()
    solutions = solutions or ctx.config.solutions_dir or default_solutions()
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
            if train and not as_json:
                out.print(f"{task.id}: checking" + (" and training the solution" if task.spec.kind.value == "model" else "")
                          + " ...", markup=False)
            verdicts.append(judge(task, solutions, grader, train))
    if as_json:
        print_json(json.dumps([asdict(v) | {"ok": v.ok} for v in verdicts], indent=2))
    else:
        table = Table(show_edge=False, pad_edge=False)
        columns = ("task", "starter", "solution") + (("trained", "accuracy / bar", "images", "s") if train else ()) + ("verdict",)
        for column in columns:
            table.add_column(column)
        for v in verdicts:
            if v.problems:
                verdict = Text("; ".join(v.problems), style="red")
            elif v.inconclusive:
                verdict = Text(v.inconclusive, style="yellow")
            else:
                verdict = Text("ok", style="green")
            extra: tuple = ()
            if train:
                t = v.trained or {}
                acc = f"{t['accuracy']:.4f}" if t.get("accuracy") is not None else "-"
                bar = f"{t['bar']:.4g}" if t.get("bar") is not None else "-"
                extra = (t.get("status", "-"), f"{acc} / {bar}" if t else "-", str(t.get("train_images") or "-"),
                         str(t.get("seconds", "-")))
            table.add_row(v.task, v.starter, v.solution, *extra, verdict)
        out.print(table)
        good = sum(v.ok for v in verdicts)
        proven = " (model tasks: trained with the recipe, every bar reached)" if train else ""
        out.print(f"{good}/{len(verdicts)} tasks: starter fails, solution passes{proven}", markup=False)
    for problem in ctx.catalog.problems:
        out.print(plain(problem.headline, style="red"))
        for extra in problem.message.splitlines()[1:]:
            out.print(f"  {extra}", markup=False)
    broken = [v.task for v in verdicts if v.problems] + [p.task or p.pack or "?" for p in ctx.catalog.problems]
    unsure = [v.task for v in verdicts if v.inconclusive and not v.problems]
    if broken:
        fail(f"{len(broken)} task(s) not ready: {', '.join(broken)}", code=1)
    if unsure:
        fail(f"could not check {', '.join(unsure)} on this machine (see the table)", code=2)
