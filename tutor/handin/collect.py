"""`tutor collect`: the latest (or latest on-time) attempt of every student, verified, copied
into the layout `tutor batch` reads (`OUT/<student id>/<files>`), plus `OUT/.collect.json`.

Everything in the hand-in area is the students' and is read as hostile: folders are matched
to students by owner uid (never by name alone), every read is bounded (attempt numbering,
folder depth, manifest size, bytes against a per-file, per-student and class-wide budget),
only the task's declared files are copied, and completeness is recomputed here from the
exercise's declared files. The check result in a manifest is the student's claim, reported
as such. OUT is always a fresh folder this command creates (0700), never an existing one.
"""

from __future__ import annotations

import fnmatch
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Literal, Optional

from pydantic import BaseModel, Field

from exercises.schema import Exercise
from tutor.errors import UserError
from tutor.handin.attempt import stand_ins, still_missing
from tutor.handin.deadlines import lateness
from tutor.handin.layout import course_umask, folder_owner_name, user_name
from tutor.handin.manifest import HandinManifest
from tutor.handin.reader import (
    OPEN_DIR,
    AttemptView,
    Budget,
    Unsafe,
    attempt_entries,
    inspect_attempt,
    open_dir,
    sharing,
)
from tutor.state.atomic import write_json_atomic
from tutor.trust import unsafe_parent_reason

REPORT_NAME = ".collect.json"
MAX_ROW_PROBLEMS = 40
MAX_IGNORED = 50
MAX_FOLDERS = 8  # per student (a lost state file makes a new one; more is deliberate)
Status = Literal["collected", "not handed in", "no on-time attempt", "unreadable"]


class StudentRow(BaseModel):
    student: str
    status: Status
    folder: Optional[str] = None  # the folder in the area it came from
    attempt: Optional[int] = None
    attempts: int = 0
    receipt: Optional[str] = None
    handed_in_at: Optional[datetime] = None  # the attempt folder's ctime (filesystem time)
    changed_at: Optional[datetime] = None  # a later change inside it (lateness counts from it)
    late_by_s: Optional[float] = None  # positive: late; negative: early; None: no deadline
    files: list[str] = []  # what was copied (verified)
    complete: Optional[bool] = None  # every declared file copied (recomputed here)
    missing: list[str] = []  # declared files (or patterns) with nothing copied
    claimed_check: Optional[str] = None  # the student's own check, as their manifest says
    anyway: bool = False
    problems: list[str] = []
    candidate: int = Field(0, exclude=True)  # which of the student's folders (staging name)


class CollectReport(BaseModel):
    task: str
    area: str
    out: str
    on_time_only: bool
    deadline: Optional[datetime]
    collected_at: datetime
    rows: list[StudentRow]
    ignored: list[str] = []  # folders in the area that are not a student's own
    copied_bytes: int = 0

    @property
    def flagged(self) -> list[StudentRow]:
        return [r for r in self.rows if r.problems or r.complete is False]


@dataclass
class Limits:
    """The course's limits, applied here where no student can skip them."""

    file_bytes: int
    attempt_bytes: int
    files_per_pattern: int
    attempts: int
    class_bytes: int


@dataclass
class TaskFiles:
    """What the exercise declares: exact names and glob patterns (files + artifacts)."""

    patterns: list[str]
    spec: Optional[Exercise] = None  # to excuse what is not needed (attempt.still_missing)

    def pattern_of(self, rel: str) -> Optional[str]:
        parts = PurePosixPath(rel).parts
        for pattern in self.patterns:
            pattern_parts = PurePosixPath(pattern).parts
            if len(parts) == len(pattern_parts) and all(
                    fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pattern_parts)):
                return pattern
        for pattern in self.patterns:
            if self.spec is not None and rel in stand_ins(self.spec, pattern):
                return pattern  # model.h5 handed in for model.keras
        return None

    def missing(self, copied: list[str]) -> list[str]:
        have = {self.pattern_of(rel) for rel in copied}
        missing = [p for p in self.patterns if p not in have]
        return still_missing(self.spec, missing, copied) if self.spec is not None else missing


def collect(area: Path, task_id: str, out: Path, deadline: Optional[datetime], on_time_only: bool,
            roster: set[str], declared: TaskFiles, limits: Limits) -> CollectReport:
    """Gather every student's attempt for `task_id` into a new folder `out`."""
    if on_time_only and deadline is None:
        raise UserError(f"no deadline for {task_id} in tutor.toml: set one with "
                        f"`tutor course init {area} --group ... --deadline {task_id}=...`")
    try:
        area_fd = os.open(area, OPEN_DIR)
    except PermissionError:
        raise UserError(f"cannot list {area}: you are not in the course's instructors' group") from None
    except FileNotFoundError:
        raise UserError(f"the hand-in area {area} does not exist: run `tutor course init`") from None
    try:
        make_out(out, area)
        class_bytes = min(limits.class_bytes, int(shutil.disk_usage(out).free * 0.9))
        budget = Budget(class_bytes, 2 * limits.attempt_bytes, limits.file_bytes)
        folders, ignored = student_folders(area_fd)
        rows: dict[str, StudentRow] = {}
        for student, found in sorted(folders.items()):
            budget.next_student()
            rows[student] = _guarded(area_fd, student, found, task_id, out, deadline, on_time_only,
                                     declared, limits, budget)
    finally:
        os.close(area_fd)
    for student in roster - set(rows):
        rows[student] = StudentRow(student=student, status="not handed in")
    report = CollectReport(
        task=task_id, area=str(area), out=str(out), on_time_only=on_time_only, deadline=deadline,
        collected_at=datetime.now(timezone.utc), rows=sorted(rows.values(), key=lambda r: r.student),
        ignored=ignored, copied_bytes=class_bytes - budget.class_left,
    )
    write_json_atomic(out / REPORT_NAME, report.model_dump(mode="json"))
    return report


def make_out(out: Path, area: Path) -> None:
    """`out` as a new folder of ours (0700), in a place no other user can swap or enter."""
    real_area = os.path.realpath(area)
    real_parent = os.path.realpath(out.parent)
    if out != Path(real_parent) / out.name:
        raise UserError(f"--out {out}: give it without symbolic links ({Path(real_parent) / out.name})")
    if real_parent == real_area or real_parent.startswith(real_area + os.sep):
        raise UserError(f"{out} is inside the hand-in area, where students create names: "
                        "pass --out with a folder outside it")
    reason = unsafe_parent_reason(out.parent)
    if reason:
        raise UserError(f"--out {out}: {reason}")
    try:
        os.mkdir(out, 0o700)
    except FileExistsError:
        raise UserError(f"{out} already exists: tutor collect only writes into a new folder it "
                        "creates; pass --out with a new name") from None
    except OSError as exc:
        raise UserError(f"cannot create {out} ({exc.strerror})") from None
    st = os.lstat(out)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise UserError(f"{out} changed under us while being created: choose another --out")
    os.chmod(out, 0o700)


@dataclass
class Found:
    """One student's folders in the area (at most MAX_FOLDERS of them, and how many more)."""

    uid: int
    names: list[str]
    more: int = 0


def student_folders(area_fd: int) -> tuple[dict[str, Found], list[str]]:
    """Each student's folders in the area, found by owner: `NAME` or `NAME~suffix`, owned by
    NAME. Anything else is listed (a bounded number of times) as ignored."""
    folders: dict[str, Found] = {}
    ignored: list[str] = []
    skipped = 0
    names: dict[int, str] = {}
    with os.scandir(area_fd) as it:
        for entry in it:
            name = entry.name
            if name.startswith(".") or name == "tutor.toml":
                continue
            st = entry.stat(follow_symlinks=False)
            if st.st_uid not in names:
                names[st.st_uid] = user_name(st.st_uid)
            owner = folder_owner_name(name, st, names[st.st_uid])
            if owner is None:
                if len(ignored) < MAX_IGNORED:
                    kind = "folder" if stat.S_ISDIR(st.st_mode) else "not a folder"
                    ignored.append(f"{name} ({kind}): belongs to {names[st.st_uid]}, not to a student of that name")
                else:
                    skipped += 1
                continue
            found = folders.setdefault(owner, Found(st.st_uid, []))
            if len(found.names) < MAX_FOLDERS:
                found.names.append(name)
            else:
                found.more += 1
    if skipped:
        ignored.append(f"and {skipped} more")
    return folders, ignored


def _guarded(area_fd: int, student: str, found: Found, *args) -> StudentRow:
    """One student's row; whatever their folder holds, it never stops the others' collection."""
    try:
        return _collect_student(area_fd, student, found, *args)
    except Exception as exc:  # noqa: BLE001 - a hostile tree must cost its owner's row only
        for leftover in Path(args[1]).glob(f".*-{student}-*"):
            _remove(leftover)
        return StudentRow(student=student, status="unreadable",
                          problems=[f"could not read this student's folder ({type(exc).__name__}: {exc})"])


def _collect_student(area_fd: int, student: str, found: Found, task_id: str, out: Path,
                     deadline: Optional[datetime], on_time_only: bool, declared: TaskFiles,
                     limits: Limits, budget: Budget) -> StudentRow:
    rows = [_collect_one(area_fd, name, index, student, found.uid, task_id, out, deadline, on_time_only,
                         declared, limits, budget) for index, name in enumerate(sorted(found.names))]
    handed = [r for r in rows if r.attempts or r.status != "not handed in"]
    if not handed:
        return rows[0]
    best = max(handed, key=lambda r: (r.status == "collected", r.handed_in_at or datetime.min.replace(tzinfo=timezone.utc)))
    for other in handed:
        if other is not best and other.status == "collected":
            _remove(_candidate(out, other))
    if len(handed) > 1:
        best.problems.insert(0, f"handed in from {len(handed)} folders ({', '.join(r.folder or '' for r in handed)}): "
                                f"collected the newest, from {best.folder}")
    if found.more:
        best.problems.insert(0, f"{found.more} more folders of theirs in the area were not read")
    if best.status == "collected":
        os.rename(_candidate(out, best), out / student)
    best.problems = _bounded(best.problems)
    return best


def _candidate(out: Path, row: StudentRow) -> Path:
    return out / f".candidate-{row.student}-{row.candidate}"


def _bounded(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_ROW_PROBLEMS:
        return problems
    return problems[:MAX_ROW_PROBLEMS] + [f"and {len(problems) - MAX_ROW_PROBLEMS} more problems"]


def _collect_one(area_fd: int, folder: str, index: int, student: str, uid: int, task_id: str, out: Path,
                 deadline: Optional[datetime], on_time_only: bool, declared: TaskFiles,
                 limits: Limits, budget: Budget) -> StudentRow:
    row = StudentRow(student=student, status="not handed in", folder=folder)
    row.candidate = index
    try:
        student_fd = open_dir(folder, area_fd, uid)
    except (Unsafe, OSError) as exc:
        row.status, row.problems = "unreadable", [f"{folder}/: {exc}"]
        return row
    try:
        try:
            task_fd = open_dir(task_id, student_fd, uid)
        except FileNotFoundError:
            return row
        except (Unsafe, OSError) as exc:
            row.status, row.problems = "unreadable", [f"{folder}/{task_id}: {exc}"]
            return row
        try:
            entries = attempt_entries(task_fd, limits.attempts)
            row.problems.extend(entries.odd)
            row.problems.extend(filter(None, (sharing(student_fd, f"{folder}/"),
                                              sharing(task_fd, f"{folder}/{task_id}/"))))
            row.problems.extend(entries.numbering(limits.attempts))
            row.attempts = entries.total
            _choose_and_copy(task_fd, entries.newest, uid, row, out, deadline, on_time_only,
                             declared, limits, budget)
        finally:
            os.close(task_fd)
    finally:
        os.close(student_fd)
    return row


def _wanted(declared: TaskFiles, limits: Limits):
    """Which listed files are copied: declared ones, at most N per pattern, within the attempt limit."""

    def choose(manifest: HandinManifest) -> tuple[set[str], list[str]]:
        chosen: set[str] = set()
        reasons: list[str] = []
        per_pattern: dict[str, int] = {}
        undeclared = 0
        total = 0
        for item in sorted(manifest.files, key=lambda f: f.path):
            pattern = declared.pattern_of(item.path)
            if pattern is None:
                undeclared += 1
                if undeclared <= 3:
                    reasons.append(f"{item.path} is not one of the task's declared files: not collected")
                continue
            if item.size > limits.file_bytes:
                reasons.append(f"{item.path} is {item.size / 1e6:.1f} MB, over the course's limit of "
                               f"{limits.file_bytes / 1e6:.1f} MB per file: not collected")
                continue
            per_pattern[pattern] = per_pattern.get(pattern, 0) + 1
            if per_pattern[pattern] > limits.files_per_pattern:
                continue
            total += item.size
            chosen.add(item.path)
        if undeclared > 3:
            reasons.append(f"and {undeclared - 3} more files that are not declared: not collected")
        for pattern, count in per_pattern.items():
            if count > limits.files_per_pattern:
                reasons.append(f"{count} files match {pattern}, more than the course's limit of "
                               f"{limits.files_per_pattern}: only the first {limits.files_per_pattern} collected")
        if total > limits.attempt_bytes:
            reasons.append(f"the attempt lists {total / 1e6:.1f} MB, over the course's limit of "
                           f"{limits.attempt_bytes / 1e6:.1f} MB per attempt: nothing collected from it")
            chosen = set()
        return chosen, reasons

    return choose


def _choose_and_copy(task_fd: int, entries: list[tuple[int, str]], uid: int, row: StudentRow,
                     out: Path, deadline: Optional[datetime], on_time_only: bool,
                     declared: TaskFiles, limits: Limits, budget: Budget) -> None:
    """Newest first: the first usable attempt (on time, with --on-time) is copied."""
    wanted = _wanted(declared, limits)
    for number, name in reversed(entries):
        staging = out / f".staging-{row.student}-{secrets.token_hex(4)}"
        with course_umask():
            staging.mkdir(mode=0o700)
        try:
            view = inspect_attempt(task_fd, number, name, uid, copy_to=staging, budget=budget, wanted=wanted)
            if not view.usable:
                row.problems.extend(f"attempt {number}: {p}" for p in view.problems)
                _remove(staging)
                continue
            late = lateness(view.counted_at, deadline)  # type: ignore[arg-type]
            if on_time_only and late is not None and late.total_seconds() > 0:
                _remove(staging)
                continue
            os.rename(staging, _candidate(out, row))
        except BaseException:
            _remove(staging)
            raise
        _fill(row, view, late, declared)
        return
    if entries:
        row.status = "no on-time attempt" if on_time_only else "unreadable"


def _fill(row: StudentRow, view: AttemptView, late, declared: TaskFiles) -> None:
    manifest = view.manifest
    assert manifest is not None
    row.status = "collected"
    row.attempt = view.number
    row.receipt = view.receipt
    row.handed_in_at = view.handed_in_at
    row.changed_at = view.changed_at
    row.late_by_s = late.total_seconds() if late is not None else None
    row.files = sorted(view.copied)
    row.missing = declared.missing(view.copied)
    row.complete = not row.missing
    check = manifest.check
    row.claimed_check = (check.status or "unknown") if check.ran else "not run"
    row.anyway = manifest.anyway
    row.problems.extend(f"attempt {view.number}: {p}" for p in view.problems)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
