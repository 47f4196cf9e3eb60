"""The student's progress file: task status, hints shown, last check and grade results.

JSON under the user data dir, written atomically under a file lock. A corrupt file is moved
aside with a warning and progress starts afresh; it never crashes tutor.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Callable, Optional

from pydantic import BaseModel, Field, ValidationError

from tutor.config_files import progress_file
from tutor.state.atomic import json_text, locked, quarantine, write_atomic
from tutor.state.progress_memo import remember


class TaskStatus(str, Enum):
    not_started = "not started"
    in_progress = "in progress"
    checks_pass = "checks pass"
    graded = "graded"  # graded and passed
    done = "done"  # a guide confirmed by the student


class Result(BaseModel):
    status: str  # passed | failed | error
    score: float = 0.0
    at: datetime


class TaskProgress(BaseModel):
    status: TaskStatus = TaskStatus.not_started
    hints_shown: int = 0
    workspace: Optional[str] = None
    started_at: Optional[datetime] = None
    last_check: Optional[Result] = None
    last_grade: Optional[Result] = None
    best_score: float = 0.0


class StudentProgress(BaseModel):
    version: int = 1
    tasks: dict[str, TaskProgress] = Field(default_factory=dict)

    def task(self, task_id: str) -> TaskProgress:
        return self.tasks.get(task_id, TaskProgress())


class ProgressCorrupt(UserWarning):
    pass


def progress_path() -> Path:
    return progress_file()


def now() -> datetime:
    return datetime.now(timezone.utc)


def _read(path: Path) -> StudentProgress:
    if not path.is_file():
        return StudentProgress()
    try:
        return StudentProgress.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ValidationError, UnicodeDecodeError):
        moved = quarantine(path)
        warnings.warn(
            f"progress file {path} was unreadable; moved it to {moved.name} and started afresh",
            ProgressCorrupt,
            stacklevel=3,
        )
        return StudentProgress()


def load_progress(path: Optional[Path] = None) -> StudentProgress:
    path = path or progress_path()
    if not path.is_file():
        return StudentProgress()
    with locked(path):
        return _read(path)


def update_progress(change: Callable[[StudentProgress], None], path: Optional[Path] = None) -> StudentProgress:
    """Read-modify-write under the lock, so concurrent tutor processes lose nothing."""
    path = path or progress_path()
    with locked(path):
        progress = _read(path)
        change(progress)
        text = json_text(progress.model_dump(mode="json"))
        write_atomic(path, text)
        # So `tutor list` can take the statuses of exactly these bytes without this model.
        remember(text.encode("utf-8"), {tid: entry.status.value for tid, entry in progress.tasks.items()})
    return progress


def _entry(progress: StudentProgress, task_id: str) -> TaskProgress:
    return progress.tasks.setdefault(task_id, TaskProgress())


def record_hint(task_id: str, total_hints: int) -> int:
    """Reveal one more hint; returns how many are shown now (capped at the total)."""
    shown = 0

    def change(p: StudentProgress) -> None:
        nonlocal shown
        entry = _entry(p, task_id)
        entry.hints_shown = min(entry.hints_shown + 1, total_hints)
        if entry.status is TaskStatus.not_started:
            entry.status = TaskStatus.in_progress
        shown = entry.hints_shown

    update_progress(change)
    return shown


def record_start(task_id: str, workspace: Path) -> None:
    def change(p: StudentProgress) -> None:
        entry = _entry(p, task_id)
        entry.workspace = str(workspace)
        entry.started_at = entry.started_at or now()
        if entry.status is TaskStatus.not_started:
            entry.status = TaskStatus.in_progress

    update_progress(change)


def record_result(task_id: str, mode: str, status: str, score: float) -> None:
    """Record a check ('check') or grade ('grade') outcome and move the status forward."""

    def change(p: StudentProgress) -> None:
        entry = _entry(p, task_id)
        result = Result(status=status, score=score, at=now())
        if mode == "grade":
            entry.last_grade = result
            entry.best_score = max(entry.best_score, score)
            if status == "passed":
                entry.status = TaskStatus.graded
        else:
            entry.last_check = result
        if status == "passed" and entry.status in (TaskStatus.not_started, TaskStatus.in_progress):
            entry.status = TaskStatus.checks_pass
        elif entry.status is TaskStatus.not_started:
            entry.status = TaskStatus.in_progress

    update_progress(change)


def record_done(task_id: str) -> None:
    def change(p: StudentProgress) -> None:
        entry = _entry(p, task_id)
        entry.status = TaskStatus.done
        entry.best_score = 1.0

    update_progress(change)
