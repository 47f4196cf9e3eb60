"""`tutor handin`: check, choose the declared files, write the attempt, say what happened."""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Optional

from exercises import Task
from tutor.config import CourseConfig
from tutor.errors import UserError
from tutor.handin.attempt import Selection, Written, choose_files, write_attempt
from tutor.handin.deadlines import is_aware
from tutor.handin.layout import own_folder, user_name
from tutor.handin.manifest import CheckSummary, HandinManifest, ManifestFile
from tutor.handin.mine import my_folder


def area_of(config: CourseConfig) -> Path:
    """The course's hand-in area, which must exist (the instructor made it)."""
    if config.handin_dir is None:
        raise UserError("this course has no hand-in area: your instructor sets one up with "
                        "`tutor course init DIR --group GROUP` (handin_dir in tutor.toml)")
    if not config.handin_dir.is_dir():
        raise UserError(f"the hand-in area {config.handin_dir} does not exist or you cannot "
                        "reach it: tell your instructor")
    return config.handin_dir


def task_folder(config: CourseConfig, task_id: str) -> Path:
    """AREA/<my folder>/<task>, made if needed: checked to be ours, in the instructors' group
    and closed to others."""
    area = area_of(config)
    gid = os.stat(area).st_gid
    return own_folder(my_folder(area, gid), task_id, gid)


def deadline_of(config: CourseConfig, task_id: str) -> Optional[datetime]:
    return config.deadlines.get(task_id)


def run_check(task: Task, submission: Path, data_dir: Optional[Path]) -> CheckSummary:
    """`tutor check` on the submission, summarised for the manifest."""
    from grader import api

    try:
        report = api.check(task, submission, data_dir)
    except NotImplementedError:
        return CheckSummary(ran=False, reason="tutor check is not available in this installation")
    bad = [c for c in report.checks if c.status in ("failed", "error", "missing")]
    return CheckSummary(
        ran=True,
        status=report.status,
        score=report.score,
        points=report.points,
        max_points=report.max_points,
        failed_required=[f"{c.id}: {c.message}" for c in bad if c.required],
        failed_optional=[f"{c.id}: {c.message}" for c in bad if not c.required],
        reason=report.error,
    )


def check_blocks(summary: CheckSummary) -> Optional[str]:
    """Why the check result stops a hand-in (None: it does not)."""
    if not summary.ran:
        return f"could not run tutor check ({summary.reason})"
    if summary.failed_required:
        return "required checks fail:\n" + "\n".join(summary.failed_required)
    if summary.status == "error":
        return f"tutor check could not finish: {summary.reason or 'see tutor check'}"
    return None


def _version(*names: str) -> Optional[str]:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


@dataclass
class HandinResult:
    written: Written
    selection: Selection
    check: CheckSummary
    deadline: Optional[datetime]


def select(task: Task, submission: Path, config: CourseConfig, anyway: bool) -> Selection:
    """The files to hand in; refuses links and oversized files always, missing ones without --anyway."""
    if not task.spec.files and not task.spec.artifacts:
        raise UserError(f"{task.id} has nothing to hand in (it declares no files)")
    if not submission.is_dir():
        raise UserError(f"{submission} is not a folder: run `tutor start {task.id}` or pass --path")
    selection = choose_files(task.spec, submission, config.max_handin_mb * 1_000_000,
                             config.max_files_per_pattern)
    if selection.refused:
        raise UserError("cannot hand in these files; nothing was handed in:\n" + "\n".join(selection.refused))
    if selection.missing and not anyway:
        trained = [m for m in selection.missing if m in task.spec.artifacts]
        how = (f" ({', '.join(trained)}: made by tutor {'submit' if task.spec.needs_gpu else 'train'} "
               f"{task.id})") if trained else ""
        raise UserError(f"missing in {submission}: {', '.join(selection.missing)}{how}; add them, "
                        "or hand in without them with --anyway")
    if not selection.files:
        raise UserError(f"none of {task.id}'s files are in {submission}: nothing to hand in")
    total = sum(c.size for c in selection.files)
    if total > config.max_attempt_mb * 1_000_000:
        raise UserError(f"these files come to {total / 1e6:.1f} MB, over the course's limit of "
                        f"{config.max_attempt_mb} MB per attempt (max_attempt_mb); nothing was handed in")
    return selection


def hand_in(task: Task, submission: Path, config: CourseConfig, anyway: bool,
            check: Optional[CheckSummary] = None) -> HandinResult:
    """The whole hand-in; `check` is the summary of a check already run (None: run it now)."""
    folder = task_folder(config, task.id)
    selection = select(task, submission, config, anyway)
    if check is None:
        check = run_check(task, submission, config.data_dir)
    blocked = check_blocks(check)
    if blocked and not anyway:
        head, *details = blocked.splitlines()
        raise UserError(f"{task.id}: {head.rstrip(':')}; fix that (tutor check {task.id}) or hand in "
                        "anyway with --anyway; nothing was handed in\n" + "\n".join(details))
    deadline = deadline_of(config, task.id)
    uid, me = os.geteuid(), user_name()

    def make_manifest(number: int, files: list[ManifestFile]) -> HandinManifest:
        return HandinManifest(
            task=task.id,
            student=me,
            uid=uid,
            attempt=number,
            created_at=datetime.now(timezone.utc),
            anyway=anyway,
            deadline=deadline if deadline is not None and is_aware(deadline) else None,
            source=str(submission),
            host=socket.gethostname(),
            tutor_version=_version("tutor") or "unknown",
            python_version=platform.python_version(),
            tensorflow_version=_version("tensorflow", "tensorflow-cpu"),
            keras_version=_version("keras"),
            files=files,
            missing=selection.missing,
            check=check,
        )

    written = write_attempt(folder, selection.files, make_manifest, config.max_handin_mb * 1_000_000,
                            config.max_attempt_mb * 1_000_000, config.max_attempts)
    return HandinResult(written, selection, check, deadline)
