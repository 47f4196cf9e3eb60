"""Browsing the course: list, show, hint, start, done.

`tutor list` must stay fast (bench/bench_cli.py) and shares this module: what only show, hint,
start and done need (the catalog through tutor.context, progress, Markdown) is imported inside
those commands, and list's own table only when it prints one (--json needs none)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from tutor.cli.output import escape, fail, out, visible
from tutor.console import warn
from tutor.services.listing import Listing, load_listing

TASK_HELP = "e.g. task8.1 (default: the task whose workspace folder you are in)"

STATUS_STYLE = {
    "not started": "dim",
    "in progress": "yellow",
    "checks pass": "cyan",
    "graded": "bold green",
    "done": "green",
}


def list_tasks(
    as_json: bool = typer.Option(False, "--json", help="Print the task list as JSON."),
) -> None:
    """List the course's tasks by pack and chapter, with your status for each."""
    listing = load_listing()  # cached while no spec, config or progress changed
    warn_problems(listing)
    deadlines = listing.deadlines
    if as_json:
        rows = [
            {
                "task": r.task,
                "title": r.title,
                "pack": r.pack,
                "chapter": r.chapter,
                "kind": r.kind,
                "needs_gpu": r.needs_gpu,
                "status": listing.status(r.task),
                "deadline": deadlines[r.task].isoformat() if r.task in deadlines else None,
            }
            for r in listing.rows
        ]
        print(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    rows = {r.task: r for r in listing.rows}
    # Titles keep the room: on a narrow terminal a deadline goes under its title, not in a column.
    narrow = out.width < WIDE_LIST
    for group in listing.groups:
        table = Table(show_edge=False, pad_edge=False, expand=False)
        table.add_column("task", style="bold", no_wrap=True)
        table.add_column("title")
        table.add_column("kind", no_wrap=True)
        table.add_column("status", no_wrap=True)
        dated = any(t in deadlines for t in group.tasks)
        if dated and not narrow:
            table.add_column("due", no_wrap=True)
        for task in map(rows.__getitem__, group.tasks):
            status = listing.status(task.task)
            kind = task.kind + (" · GPU" if task.needs_gpu else "")
            title, due = Text(task.title), due_text(deadlines.get(task.task), compact=True)
            if narrow and due:
                title.append(f"\ndue {due}", style="dim")
            row = [task.task, title, kind, Text(status, style=STATUS_STYLE.get(status, "dim"))]
            if dated and not narrow:
                row.append(due)
            table.add_row(*row)
        out.print(Text(group.heading, style="italic"), soft_wrap=False)  # a long heading wraps, unpadded
        out.print(table)
        out.print()
    done = sum(listing.status(r.task) in ("graded", "done") for r in listing.rows)
    out.print(f"{done}/{len(listing.rows)} tasks complete. Next: tutor show TASK")


def warn_problems(listing: Listing) -> None:
    """One warning line per pack or task left out of the course (stderr), and why."""
    for headline in listing.problems:
        warn(headline)
    if listing.problems:
        warn(f"{len(listing.problems)} spec problem(s): the rest of the course works; "
             "instructors: `tutor doctor` or `tutor author check` shows each in full")
    if not listing.rows:
        warn("the course has no tasks: check `packs` and `exercise_dirs` in tutor.toml (tutor doctor)")


WIDE_LIST = 100  # columns from which `tutor list` gives deadlines their own column


def due_text(when, compact: bool = False) -> str:
    """'01 Dec 23:59 +0100 (in 3 d 4 h)' or '... (closed)'; `compact` (tutor list): '01 Dec 22:59,
    in 3 d' in this machine's time; '' without a deadline."""
    from tutor.handin.deadlines import human_delta, is_aware

    if when is None:
        return ""
    if not is_aware(when):
        return when.strftime("%Y-%m-%d %H:%M") + " (no time zone)"
    left = when - datetime.now(timezone.utc)
    delta = human_delta(left)
    if compact:
        state = "in " + " ".join(delta.split()[:2]) if left.total_seconds() > 0 else "closed"
        return f"{when.astimezone().strftime('%d %b %H:%M')}, {state}"
    state = f"in {delta}" if left.total_seconds() > 0 else "closed"
    return f"{when.strftime('%d %b %H:%M %z')} ({state})"


def instructions_view(task, deadlines: Optional[dict] = None) -> list:
    """What `tutor show` prints: the task's facts in a panel, then its Markdown instructions."""
    from rich.markdown import Markdown
    from rich.panel import Panel

    spec = task.spec

    facts = [f"{spec.id} · {spec.kind.value}", f"chapter {spec.chapter}"]
    if spec.needs_gpu:
        facts.append("needs a GPU (tutor submit)")
    if spec.dataset:
        facts.append(f"data: {spec.dataset.name}")
    if deadlines and spec.id in deadlines:
        facts.append(f"due {due_text(deadlines[spec.id])}")
    return [Panel(Text.assemble((spec.title, "bold"), "\n", spec.summary, "\n", (" · ".join(facts), "dim"))),
            Markdown(task.instructions())]


def show(task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP)) -> None:
    """Show a task's instructions."""
    from tutor.context import load_context
    from tutor.next_step import first_step
    from tutor.state.student_progress import load_progress

    ctx = load_context()
    task = ctx.resolve_task(task_id, "show")
    spec = task.spec
    # Wrapped to the terminal (soft_wrap off): list items and the panel would otherwise be cut.
    for part in instructions_view(task, ctx.config.deadlines):
        out.print(part, soft_wrap=False)
    entry = load_progress().task(spec.id)
    if spec.hints:
        left = len(spec.hints) - entry.hints_shown
        out.print(f"\n{left} of {len(spec.hints)} hints left: tutor hint {spec.id}", style="dim")
    out.print(f"Next: {first_step(task, ctx)}".replace("`", ""))


def hint(
    task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP),
    show_all: bool = typer.Option(False, "--all", help="Show every hint revealed so far."),
) -> None:
    """Reveal the task's next hint (tutor remembers which you have seen)."""
    from tutor.context import load_context
    from tutor.state.student_progress import load_progress, record_hint

    ctx = load_context()
    task = ctx.resolve_task(task_id, "hint")
    hints = task.spec.hints_for_target(ctx.target)  # in the words of the course's framework, where written
    if not hints:
        out.print(f"{task.id} has no hints.")
        return
    if show_all:
        shown = load_progress().task(task.id).hints_shown
        if shown == 0:
            out.print(f"No hints revealed yet: tutor hint {task.id}")
        for i in range(shown):
            out.print(f"[bold]Hint {i + 1}/{len(hints)}[/] {escape(hints[i])}", markup=True)
        return
    before = load_progress().task(task.id).hints_shown
    shown = record_hint(task.id, len(hints))
    if before >= len(hints):
        out.print(f"All {len(hints)} hints are shown; the last one again:", style="dim")
    out.print(f"[bold]Hint {shown}/{len(hints)}[/] {escape(hints[shown - 1])}", markup=True)
    after = (f"tutor hint {task.id} for the next one" if shown < len(hints) else "no more hints")
    out.print(f"Next: {after}; tutor check {task.id} when you have tried it", style="dim")


def start(
    task_id: str = typer.Argument(..., metavar="TASK"),
    root: Optional[str] = typer.Option(None, "--root", help="Workspace root (default: config)."),
) -> None:
    """Create the task's workspace with its starter files (never overwrites your edits)."""
    from tutor.context import load_context
    from tutor.state.student_progress import record_start
    from tutor.state.workspace import start_workspace

    ctx = load_context()
    task = ctx.task(task_id)
    result = start_workspace(task, Path(root) if root else ctx.workspace_root)
    record_start(task.id, result.path)
    # File and folder names are the student's: never read as markup (tutor.console).
    out.print(f"Workspace for {task.id}: [bold]{escape(result.path)}[/]", markup=True)
    for name in result.created:
        out.print(f"  [green]+[/] {escape(name)}", markup=True)
    for name in result.kept:
        out.print(f"  = {visible(name)} (yours, kept)", style="dim")
    for name, source in result.carried.items():
        out.print(f"  [green]+[/] {escape(name)} [dim](yours, from {escape(source.parent)})[/]", markup=True)
    for what in result.missing.values():
        out.print(f"  ! {visible(what)}", style="yellow")
    if task.spec.gradable and task.spec.kind.value == "model":
        out.print(f"Next: edit model.py, then tutor check {task.id}")
    elif task.spec.kind.value == "guide":
        out.print(f"Next: follow tutor show {task.id}, then mark it with tutor done {task.id}")
    else:
        out.print(f"Next: tutor show {task.id}, then tutor check {task.id}")


def done(task_id: Optional[str] = typer.Argument(None, metavar="[TASK]", help=TASK_HELP)) -> None:
    """Mark a guide task (such as task7.1) as done."""
    from tutor.context import load_context
    from tutor.next_step import after_done
    from tutor.state.student_progress import record_done

    ctx = load_context()
    task = ctx.resolve_task(task_id, "done")
    if task.spec.gradable:
        fail(f"{task.id} is graded, not confirmed; run: tutor grade {task.id}")
    record_done(task.id)
    out.print(f"{task.id} marked as done.")
    out.print(f"Next: {after_done(task, ctx)}".replace("`", ""))
