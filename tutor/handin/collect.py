"""`tutor collect`: the latest (or latest on-time) attempt of every student, verified, copied
into the layout `tutor batch` reads (`OUT/<student id>/<files>`), plus `OUT/.collect.json`."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel

from tutor.errors import UserError
from tutor.handin.deadlines import lateness
from tutor.handin.layout import course_umask, user_name
from tutor.handin.reader import (
    OPEN_DIR,
    AttemptView,
    Unsafe,
    attempt_entries,
    gaps,
    inspect_attempt,
    open_dir,
    sharing,
)
from tutor.state.atomic import write_json_atomic

REPORT_NAME = ".collect.json"
Status = Literal["collected", "not handed in", "no on-time attempt", "unreadable"]


class StudentRow(BaseModel):
    student: str
    status: Status
    attempt: Optional[int] = None
    attempts: int = 0
    receipt: Optional[str] = None
    handed_in_at: Optional[datetime] = None  # the attempt folder's ctime (filesystem time)
    changed_at: Optional[datetime] = None  # a later change inside it (lateness counts from it)
    late_by_s: Optional[float] = None  # positive: late; negative: early; None: no deadline
    files: list[str] = []
    check_status: Optional[str] = None
    anyway: bool = False
    problems: list[str] = []


class CollectReport(BaseModel):
    task: str
    area: str
    out: str
    on_time_only: bool
    deadline: Optional[datetime]
    collected_at: datetime
    rows: list[StudentRow]
    ignored: list[str] = []  # folders in the area that are not a student's own

    @property
    def flagged(self) -> list[StudentRow]:
        return [r for r in self.rows if r.problems]


def collect(area: Path, task_id: str, out: Path, deadline: Optional[datetime],
            on_time_only: bool, roster: set[str]) -> CollectReport:
    """Gather every student's attempt for `task_id` into `out`; never follows a student's links."""
    if on_time_only and deadline is None:
        raise UserError(f"no deadline for {task_id} in tutor.toml: set one with "
                        f"`tutor course init {area} --group ... --deadline {task_id}=...`")
    previous = _prepare_out(out)
    try:
        area_fd = os.open(area, OPEN_DIR)
        names = sorted(os.listdir(area_fd))
    except PermissionError:
        raise UserError(f"cannot list {area}: you are not in the course's instructors' group") from None
    except FileNotFoundError:
        raise UserError(f"the hand-in area {area} does not exist: run `tutor course init`") from None
    rows: dict[str, StudentRow] = {}
    ignored: list[str] = []
    try:
        for name in names:
            if name.startswith(".") or name == "tutor.toml":
                continue
            st = os.stat(name, dir_fd=area_fd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                ignored.append(f"{name}: not a folder")
                continue
            owner = user_name(st.st_uid)
            if owner != name:
                ignored.append(f"{name}: belongs to {owner}, not to a student of that name")
                continue
            rows[name] = _collect_one(area_fd, name, st.st_uid, task_id, out, deadline, on_time_only)
    finally:
        os.close(area_fd)
    for student in roster - set(rows):
        rows[student] = StudentRow(student=student, status="not handed in")
    for stale in set(previous) - {r.student for r in rows.values() if r.status == "collected"}:
        _remove(out / stale)
    report = CollectReport(
        task=task_id, area=str(area), out=str(out), on_time_only=on_time_only, deadline=deadline,
        collected_at=datetime.now(timezone.utc), rows=sorted(rows.values(), key=lambda r: r.student),
        ignored=ignored,
    )
    write_json_atomic(out / REPORT_NAME, report.model_dump(mode="json"))
    return report


def _collect_one(area_fd: int, name: str, uid: int, task_id: str, out: Path,
                 deadline: Optional[datetime], on_time_only: bool) -> StudentRow:
    row = StudentRow(student=name, status="not handed in")
    try:
        student_fd = open_dir(name, area_fd, uid)
    except (Unsafe, OSError) as exc:
        row.status, row.problems = "unreadable", [f"{name}/: {exc}"]
        return row
    try:
        try:
            task_fd = open_dir(task_id, student_fd, uid)
        except FileNotFoundError:
            return row
        except (Unsafe, OSError) as exc:
            row.status, row.problems = "unreadable", [f"{name}/{task_id}: {exc}"]
            return row
        try:
            entries, odd = attempt_entries(task_fd)
            row.problems.extend(odd)
            row.problems.extend(filter(None, (sharing(student_fd, f"{name}/"),
                                              sharing(task_fd, f"{name}/{task_id}/"))))
            removed = gaps([n for n, _ in entries])
            if removed:
                row.problems.append(f"attempt {', '.join(map(str, removed))} removed after hand-in")
            row.attempts = len(entries)
            _choose_and_copy(task_fd, entries, uid, row, out, deadline, on_time_only)
        finally:
            os.close(task_fd)
    finally:
        os.close(student_fd)
    return row


def _choose_and_copy(task_fd: int, entries: list[tuple[int, str]], uid: int, row: StudentRow,
                     out: Path, deadline: Optional[datetime], on_time_only: bool) -> None:
    """Newest first: the first usable attempt (on time, with --on-time) is copied."""
    for number, name in reversed(entries):
        staging = out / f".staging-{row.student}-{secrets.token_hex(4)}"
        with course_umask():
            staging.mkdir()
        try:
            view = inspect_attempt(task_fd, number, name, uid, copy_to=staging)
            if not view.usable:
                row.problems.extend(f"attempt {number}: {p}" for p in view.problems)
                _remove(staging)
                continue
            late = lateness(view.counted_at, deadline)  # type: ignore[arg-type]
            if on_time_only and late is not None and late.total_seconds() > 0:
                _remove(staging)
                continue
            _place(staging, out / row.student)
        except BaseException:
            _remove(staging)
            raise
        _fill(row, view, late)
        return
    if entries:
        row.status = "no on-time attempt" if on_time_only else "unreadable"


def _fill(row: StudentRow, view: AttemptView, late) -> None:
    manifest = view.manifest
    assert manifest is not None
    row.status = "collected"
    row.attempt = view.number
    row.receipt = view.receipt
    row.handed_in_at = view.handed_in_at
    row.changed_at = view.changed_at
    row.late_by_s = late.total_seconds() if late is not None else None
    row.files = [f.path for f in manifest.files]
    row.check_status = manifest.check.status if manifest.check.ran else "not run"
    row.anyway = manifest.anyway
    row.problems.extend(f"attempt {view.number}: {p}" for p in view.problems)


def _prepare_out(out: Path) -> list[str]:
    """Make sure `out` is empty or an earlier collect's output; the students it held."""
    out = out.expanduser()
    with course_umask():
        out.mkdir(parents=True, exist_ok=True)
    entries = [e for e in os.listdir(out) if not e.startswith(".")]
    if not (out / REPORT_NAME).is_file():
        if entries:
            raise UserError(f"{out} is not empty and was not made by tutor collect: choose another --out")
        return []
    for leftover in os.listdir(out):
        if leftover.startswith((".staging-", ".old-")):
            _remove(out / leftover)
    return entries


def _place(staging: Path, target: Path) -> None:
    if target.exists():
        aside = target.with_name(f".old-{target.name}-{secrets.token_hex(4)}")
        os.rename(target, aside)
        _remove(aside)
    os.rename(staging, target)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
