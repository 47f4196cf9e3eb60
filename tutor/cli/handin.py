"""Hand-in on a shared cluster filesystem: `tutor handin` (students), `tutor collect` (instructors)."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Optional

import typer

from tutor.cli.output import err, out, print_json
from tutor.context import load_context
from tutor.errors import UserError
from tutor.handin.attempt import declared, stand_ins
from tutor.handin.collect import Limits, TaskFiles
from tutor.handin.collect import collect as run_collect
from tutor.handin.deadlines import human_delta, is_aware, lateness, show_time, verdict
from tutor.handin.layout import course_umask, group_members
from tutor.handin.manifest import receipt
from tutor.handin.mine import my_folders
from tutor.handin.reader import read_attempts
from tutor.handin.shown import shown
from tutor.handin.student import area_of, hand_in
from tutor.state.workspace import submission_dir


def handin(
    task_id: Optional[str] = typer.Argument(None, metavar="TASK", help="e.g. task8.1"),
    anyway: bool = typer.Option(False, "--anyway", help="Hand in even if required checks fail or files are missing."),
    list_: bool = typer.Option(False, "--list", help="Show your attempts (of TASK, or of every task)."),
    path: Optional[Path] = typer.Option(None, "--path", help="Submission folder (default: the task's workspace)."),
    as_json: bool = typer.Option(False, "--json", help="Print the receipt (or the list) as JSON."),
) -> None:
    """Check your work, then hand in the task's files as a new numbered attempt with a receipt.

    The hand-in time is the one the filesystem records when the attempt is sealed, not your
    clock; a late hand-in is accepted and marked late."""
    ctx = load_context()
    if list_:
        _list_attempts(ctx, ctx.task(task_id).id if task_id else None, as_json)
        return
    if task_id is None:
        raise UserError("which task? e.g. tutor handin task8.1 (or tutor handin --list)")
    task = ctx.task(task_id)
    submission = submission_dir(task, ctx.workspace_root, path)
    if err.is_terminal and not as_json:
        err.print(f"Checking {task.id} in {submission} before handing it in…", highlight=False)
    result = hand_in(task, submission, ctx.config, anyway)
    written, check = result.written, result.check
    if as_json:
        print_json(json.dumps(_attempt_json(task.id, written.number, _receipt(written.manifest_bytes),
                                            written.handed_in_at, None, result.deadline,
                                            written.manifest, [], str(written.path))))
        return
    size = written.manifest.total_bytes
    out.print(f"Handed in {task.id}: attempt {written.number}, receipt {_receipt(written.manifest_bytes)}")
    out.print(f"  {len(written.manifest.files)} files, {size / 1e6:.1f} MB -> {written.path}")
    out.print(f"  at {show_time(written.handed_in_at, result.deadline)} (filesystem time): "
              f"{verdict(written.handed_in_at, result.deadline)}")
    handed = {c.rel for c in result.selection.files}
    for artifact in task.spec.artifacts:
        for stand_in in set(stand_ins(task.spec, artifact)) & handed:
            out.print(f"  {stand_in} in place of {artifact} (Keras 2's format; the grader grades it the same way)")
    if result.selection.missing:
        out.print(f"  without: {', '.join(result.selection.missing)} (--anyway)")
    if check.failed_required or not check.ran or check.status == "error":
        out.print(f"  with failing checks (--anyway): "
                  f"{', '.join(f.split(':')[0] for f in check.failed_required) or check.reason}")


def _receipt(data: bytes) -> str:
    return receipt(data)


def _attempt_json(task_id, number, receipt, handed_in_at, changed_at, deadline, manifest, problems,
                  path) -> dict:
    late = lateness(changed_at or handed_in_at, deadline) if handed_in_at else None
    return {
        "task": task_id,
        "attempt": number,
        "receipt": receipt,
        "path": path,
        "handed_in_at": handed_in_at.isoformat() if handed_in_at else None,
        "changed_at": changed_at.isoformat() if changed_at else None,
        "deadline": deadline.isoformat() if deadline else None,
        "late_by_s": late.total_seconds() if late is not None else None,
        "files": [f.model_dump() for f in manifest.files] if manifest else [],
        "check": manifest.check.model_dump() if manifest else None,
        "anyway": manifest.anyway if manifest else None,
        "intact": not problems and manifest is not None,
        "problems": problems,
    }


def _list_attempts(ctx, task_id: Optional[str], as_json: bool = False) -> None:
    folders = my_folders(area_of(ctx.config))
    pairs = [(mine, tid) for mine in folders
             for tid in ([task_id] if task_id else sorted(n for n in os.listdir(mine) if not n.startswith(".")))]
    listed, rows = 0, []
    for mine, tid in pairs:
        deadline = ctx.config.deadlines.get(tid)
        views, odd = read_attempts(mine / tid, os.geteuid(), ctx.config.max_attempts)
        for view in views:
            listed += 1
            rows.append(_attempt_json(tid, view.number, view.receipt, view.handed_in_at, view.changed_at,
                                      deadline, view.manifest, view.problems, str(mine / tid / view.name)))
            if as_json:
                continue
            if view.handed_in_at is None or view.manifest is None:
                out.print(shown(f"{tid}  attempt {view.number}  unreadable: {'; '.join(view.problems)}", 4000),
                          markup=False)
                continue
            state = "intact" if view.intact else "CHANGED: " + "; ".join(view.problems)
            out.print(shown(f"{tid}  attempt {view.number}  receipt {view.receipt}  "
                           f"{show_time(view.handed_in_at, deadline)}  {verdict(view.counted_at, deadline)}  "
                           f"{len(view.manifest.files)} files  {state}", 4000), markup=False)
        for line in odd:
            if not as_json:
                out.print(shown(f"{tid}  {line}"), markup=False)
    if as_json:
        print_json(json.dumps(rows))
        return
    if not listed:
        out.print(f"No attempts yet{' for ' + task_id if task_id else ''}: hand in with tutor handin TASK")


def collect(
    task_id: str = typer.Argument(..., metavar="TASK", help="e.g. task8.1"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="A new folder to create, with one folder "
                                                               "per student (default: ./collected-TASK)."),
    on_time: bool = typer.Option(False, "--on-time", help="Take each student's latest on-time attempt."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="Student ids, one a line (default: "
                                                                 "the course's students group)."),
    max_gb: Optional[float] = typer.Option(None, "--max-gb", min=0.001, help="Most this collect may copy "
                                           "in all (default: collect_max_gb in tutor.toml, 20)."),
) -> None:
    """Instructor: gather every student's latest attempt, verified, into the layout tutor batch reads."""
    ctx = load_context()
    task = ctx.task(task_id)
    config = ctx.config
    if config.handin_dir is None:
        raise UserError("no hand-in area in tutor.toml: run `tutor course init DIR --group GROUP` first")
    deadline = config.deadlines.get(task.id)
    if deadline is not None and not is_aware(deadline):
        raise UserError(f"deadlines.{task.id} in tutor.toml has no time zone: add an offset "
                        "such as +01:00 (or set it with tutor course init --deadline)")
    names: set[str] = set()
    if roster is not None:
        try:
            lines = roster.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UserError(f"{roster}: cannot read ({exc.strerror})") from None
        names = {line.split("#")[0].strip() for line in lines} - {""}
    elif config.handin_students:
        names = group_members(config.handin_students)
    destination = (out_dir or Path.cwd() / f"collected-{task.id}").expanduser().absolute()
    destination = Path(os.path.realpath(destination.parent)) / destination.name  # checked and written as the real path
    limits = Limits(
        file_bytes=config.max_handin_mb * 1_000_000,
        attempt_bytes=config.max_attempt_mb * 1_000_000,
        files_per_pattern=config.max_files_per_pattern,
        attempts=config.max_attempts,
        class_bytes=int((max_gb if max_gb is not None else config.collect_max_gb) * 1e9),
    )
    with course_umask():
        report = run_collect(config.handin_dir, task.id, destination, deadline, on_time, names,
                             TaskFiles(declared(task.spec), task.spec), limits)
    _show_collect(report)
    if report.flagged:
        raise typer.Exit(1)


def _show_collect(report) -> None:
    """The collect table. Every name and problem comes from students' folders: printed as
    data (markup off, control characters escaped), a bounded number of lines."""
    def say(text: str, limit: int = 2000) -> None:
        out.print(shown(text, limit), markup=False, highlight=False)

    for row in report.rows:
        if row.status != "collected":
            continue
        if row.late_by_s is None:
            timing = "no deadline"
        elif row.late_by_s > 0:
            timing = f"LATE by {human_delta(timedelta(seconds=row.late_by_s))}"
        else:
            timing = "on time"
        if row.changed_at is not None:
            timing += f" (counted from a change at {show_time(row.changed_at, report.deadline)})"
        check = f"student's check: {row.claimed_check}" + (" (--anyway)" if row.anyway else "")
        notes = "CHANGED: " + "; ".join(row.problems) if row.problems else f"verified, {len(row.files)} files"
        if not row.complete:
            notes = f"INCOMPLETE: missing {', '.join(row.missing)}; {notes}"
        say(f"{row.student}  attempt {row.attempt} of {row.attempts}  receipt {row.receipt}  "
            f"{show_time(row.handed_in_at, report.deadline)}  {timing}  {check}  {notes}")
    for row in report.rows:
        if row.status == "unreadable":
            say(f"{row.student}  UNREADABLE: {'; '.join(row.problems)}")
    collected = [r for r in report.rows if r.status == "collected"]
    say(f"Collected {len(collected)} of {len(report.rows)} students into {report.out} "
        f"({report.copied_bytes / 1e6:.1f} MB)")
    missing = [r for r in report.rows if r.status != "collected"]
    if missing:
        say("Not collected: " + ", ".join(f"{r.student} ({r.status})" for r in missing), 20000)
    for line in report.ignored:
        err.print("warning: ignored in the hand-in area: " + shown(line), markup=False, highlight=False)
    if report.flagged:
        err.print(f"warning: {len(report.flagged)} student(s) with problems (incomplete, changed after "
                  f"hand-in or unreadable): see above and {shown(report.out)}/.collect.json",
                  markup=False, highlight=False)
