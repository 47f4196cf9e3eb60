"""`tutor course init`: the instructor's set-up of the course's hand-in area and deadlines."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tutor.cli.output import err, out
from tutor.context import load_context
from tutor.errors import UserError
from tutor.handin.course import init_course
from tutor.handin.deadlines import DeadlineError, parse_deadline, show_time

course_app = typer.Typer(help="Instructor set-up of the course (hand-in area, deadlines).",
                         no_args_is_help=True, add_completion=False, rich_markup_mode=None)


@course_app.command("init")
def course_init(
    folder: Path = typer.Argument(..., metavar="DIR", help="The hand-in area on the shared filesystem."),
    group: str = typer.Option(..., "--group", help="The instructors' Unix group (reads every attempt)."),
    students: Optional[str] = typer.Option(
        None, "--students", help="The students' Unix group: only its members may hand in (needs ACLs)."),
    deadline: list[str] = typer.Option(
        [], "--deadline", metavar="TASK=WHEN",
        help="e.g. task8.1=2026-12-01T23:59+01:00 or 'task8.1=2026-12-01 23:59 Europe/Madrid'; "
             "WHEN=none removes it. Repeat for more tasks."),
    max_mb: Optional[int] = typer.Option(None, "--max-mb", min=1, help="Largest file a student may hand in (MB)."),
    config: Optional[Path] = typer.Option(
        None, "--config", help="The course config to record this in (default: the one in force, "
                               "else DIR/tutor.toml)."),
) -> None:
    """Create (or repair) the course's hand-in area and record it, with deadlines, in tutor.toml."""
    setup = init_course(folder, group, students, _deadlines(deadline), max_mb, config)
    area = setup.area
    verb = "Created" if area.created else "Checked and repaired"
    who = f"members of {area.students}" if area.students else "any local user"
    out.print(f"{verb} the hand-in area {area.path} (group {group}).")
    out.print(f"  {who} may create their own folder there; nobody else can list, read or change it;")
    out.print(f"  {group} can read every attempt. Recorded in {setup.config}.")
    for task_id, when in sorted(setup.deadlines.items()):
        out.print(f"  deadline {task_id}: {show_time(when, when) if when else 'removed'}")
    out.print(f"Students use this config: export TUTOR_CONFIG={setup.config}")
    for line in area.warnings:  # may hold names students chose: no markup
        err.print(f"warning: {line}", markup=False, highlight=False)


def _deadlines(items: list[str]) -> dict:
    """`--deadline TASK=WHEN` options as {task id: when, or None to remove it}."""
    parsed: dict = {}
    if not items:
        return parsed
    ctx = load_context()
    for item in items:
        task_id, sep, when = item.partition("=")
        if not sep or not when.strip():
            raise UserError(f"--deadline {item!r}: write TASK=WHEN, e.g. task8.1=2026-12-01T23:59+01:00")
        task = ctx.task(task_id)
        try:
            parsed[task.id] = None if when.strip().lower() == "none" else parse_deadline(when)
        except DeadlineError as exc:
            raise UserError(f"--deadline {task.id}: {exc}") from None
    return parsed
