"""Reading attempts back without trusting them: for `tutor handin --list` and `tutor collect`.

Everything is opened relative to an already-opened folder with O_NOFOLLOW and checked to be
owned by the student whose folder it is, so a student cannot make an instructor's collect
follow a symbolic link into someone else's work. The hand-in time is the attempt folder's
ctime, which the kernel (or the file server) sets when tutor seals and renames the folder;
no user can set a ctime back (`touch` sets mtime and moves ctime forward), and any later
change to the folder or a file moves its ctime past the seal, which is reported here.
"""

from __future__ import annotations

import errno
import hashlib
import heapq
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

from tutor.handin.attempt import ATTEMPT_RE, CHUNK
from tutor.handin.deadlines import human_delta
from tutor.handin.layout import course_umask
from tutor.handin.manifest import MANIFEST_NAME, HandinManifest, ManifestError, load_manifest, receipt

MAX_MANIFEST_BYTES = 1 << 20
# What a student can put in their own folder is unbounded; reading it is not.
MAX_SCAN = 100_000  # entries of one task folder looked at
MAX_WALK_DEPTH = 32  # folders below an attempt
MAX_WALK_ENTRIES = 5000  # names under an attempt
MAX_PROBLEMS = 12  # listed per attempt; the rest are counted
# The manifest's own time comes from the student's clock; more than this apart from the
# filesystem's time means the clock was wrong or the attempt was re-sealed later.
CLOCK_TOLERANCE = timedelta(minutes=5)
OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted in place of a file must not hang the instructor's collect.
OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


class Unsafe(Exception):
    """An entry that is not what it must be (a link, not a folder, someone else's)."""


def ctime(st: os.stat_result) -> datetime:
    return datetime.fromtimestamp(st.st_ctime_ns / 1e9, tz=timezone.utc)


def open_dir(name: str, dir_fd: Optional[int], owner: int) -> int:
    """Open a folder entry (never through a link) that must belong to `owner`."""
    try:
        fd = os.open(name, OPEN_DIR, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Unsafe("a symbolic link or not a folder") from None
        raise
    st = os.fstat(fd)
    if st.st_uid != owner:
        os.close(fd)
        raise Unsafe("not owned by the student whose folder it is in")
    return fd


def open_file(rel: str, dir_fd: int, owner: int) -> tuple[int, os.stat_result]:
    """Open `rel` (a path inside `dir_fd`) component by component, never through a link."""
    parts = PurePosixPath(rel).parts
    fds = [dir_fd]
    try:
        for part in parts[:-1]:
            fds.append(open_dir(part, fds[-1], owner))
        try:
            fd = os.open(parts[-1], OPEN_FILE, dir_fd=fds[-1])
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise Unsafe("a symbolic link") from None
            raise
    finally:
        for extra in fds[1:]:
            os.close(extra)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != owner:
        os.close(fd)
        raise Unsafe("not a regular file of the student's")
    return fd, st


ACL_XATTR = "system.posix_acl_access"
ACL_BASE_BYTES = 4 + 3 * 8  # header + user::, group::, other:: (no named entries, no mask)


def sharing(fd: int, label: str) -> Optional[str]:
    """Says so if a folder lets other users in (mode bits for others, or named ACL entries):
    a student can do that to their own folder, and it is worth an instructor's look."""
    mode = os.fstat(fd).st_mode
    if mode & 0o007:
        return f"{label} is open to all users (mode {stat.S_IMODE(mode):o}): others could copy from it"
    try:
        acl = os.getxattr(fd, ACL_XATTR)
    except OSError:
        return None
    if len(acl) > ACL_BASE_BYTES:
        return f"{label} has extra ACL entries (see getfacl): it may be shared with other users"
    return None


def gaps(numbers: list[int]) -> list[int]:
    """Attempt numbers missing below the highest: attempts removed after hand-in."""
    return sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))


@dataclass
class Entries:
    """The attempt folders of one task folder: the newest `keep` of them, and a summary."""

    newest: list[tuple[int, str]]  # (number, name), oldest first
    total: int  # attempt folders seen
    odd: list[str]  # entries that are not sound (the first few)
    odd_count: int = 0
    truncated: bool = False  # more than MAX_SCAN entries: the rest were not read

    def numbering(self, keep: int) -> list[str]:
        """What is wrong with the numbering, in a bounded number of words."""
        notes = []
        if self.truncated:
            notes.append(f"more than {MAX_SCAN} entries in the task folder: the rest were not read")
        if self.total > keep:
            notes.append(f"{self.total} attempt folders, more than the course's limit of {keep}: "
                         f"only the newest {keep} were looked at")
        numbers = [n for n, _ in self.newest]
        highest = max(numbers, default=0)
        if self.total == len(numbers) and highest <= self.total + 20:
            removed = gaps(numbers)
            if removed:
                notes.append(f"attempt {', '.join(map(str, removed))} removed after hand-in")
        elif highest > self.total:
            notes.append(f"attempt numbers run up to {highest} with {self.total} folders "
                         "(numbers skipped or made by hand, not by tutor handin)")
        if self.odd_count > len(self.odd):
            notes.append(f"and {self.odd_count - len(self.odd)} more odd entries")
        return notes


def attempt_entries(task_fd: int, keep: int = 100) -> Entries:
    """The newest `keep` attempt folders (never more in memory), and entries that are not sound."""
    heap: list[tuple[int, str]] = []
    odd: list[str] = []
    total = odd_count = scanned = 0
    truncated = False
    with os.scandir(task_fd) as it:
        for entry in it:
            scanned += 1
            if scanned > MAX_SCAN:
                truncated = True
                break
            match = ATTEMPT_RE.match(entry.name)
            if not match:
                continue
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                odd_count += 1
                if len(odd) < 5:
                    odd.append(f"{entry.name} is a symbolic link or not a folder (ignored)")
                continue
            total += 1
            item = (int(match.group(1)), entry.name)
            if len(heap) < keep:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
    return Entries(sorted(heap), total, odd, odd_count, truncated)


class Budget:
    """Bytes `tutor collect` may still write: class-wide, and for the student in hand."""

    def __init__(self, class_bytes: int, student_bytes: int, file_bytes: int) -> None:
        self.class_left = class_bytes
        self.student_bytes = student_bytes
        self.student_left = student_bytes
        self.file_bytes = file_bytes

    def next_student(self) -> None:
        self.student_left = self.student_bytes

    def refusal(self, rel: str, st: os.stat_result) -> Optional[str]:
        """Why `rel` is not copied (None: it fits, and is now counted)."""
        cost = max(st.st_size, st.st_blocks * 512)  # a sparse file costs its full length in a copy
        if st.st_size > self.file_bytes:
            return (f"{rel} is {_mb(st.st_size)}, over the course's limit of {_mb(self.file_bytes)} "
                    "per file: not collected")
        if cost > self.student_left:
            return (f"{rel} ({_mb(cost)}) would pass this student's collect budget of "
                    f"{_mb(self.student_bytes)}: not collected")
        if cost > self.class_left:
            return f"{rel} ({_mb(cost)}) would pass what this collect may copy in all: not collected"
        self.student_left -= cost
        self.class_left -= cost
        return None


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@dataclass
class AttemptView:
    number: int
    name: str
    handed_in_at: Optional[datetime] = None  # the attempt folder's ctime
    changed_at: Optional[datetime] = None  # the latest ctime of anything in it, if later
    manifest: Optional[HandinManifest] = None
    receipt: Optional[str] = None
    problems: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)  # files copied into `copy_to`
    skipped: list[str] = field(default_factory=list)  # listed files left out (over a limit)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        elif len(self.problems) == MAX_PROBLEMS:
            self.problems.append("(more problems not listed)")

    @property
    def counted_at(self) -> Optional[datetime]:
        """The time lateness is judged by: the seal, or the last change after it."""
        return self.changed_at or self.handed_in_at

    @property
    def usable(self) -> bool:
        return self.manifest is not None and self.handed_in_at is not None

    @property
    def intact(self) -> bool:
        return self.usable and not self.problems


Wanted = Callable[[HandinManifest], tuple[set[str], list[str]]]

# The one read call of a copy: a seam for tests that grow a file between two reads.
_read = os.read


def inspect_attempt(task_fd: int, number: int, name: str, owner: int, copy_to: Optional[Path] = None,
                    budget: Optional[Budget] = None, wanted: Optional[Wanted] = None) -> AttemptView:
    """Verify one attempt against its manifest; with `copy_to`, copy its files while reading.

    `wanted` picks the listed files worth reading (with the reasons for the rest), `budget`
    bounds the bytes read and written; without them every listed file is read (--list)."""
    view = AttemptView(number, name)
    try:
        fd = open_dir(name, task_fd, owner)
    except (Unsafe, OSError) as exc:
        view.problem(f"cannot open {name}: {_why(exc)}")
        return view
    try:
        _inspect(fd, view, owner, copy_to, budget, wanted)
    finally:
        os.close(fd)
    return view


def _inspect(fd: int, view: AttemptView, owner: int, copy_to: Optional[Path],
             budget: Optional[Budget], wanted: Optional[Wanted]) -> None:
    st = os.fstat(fd)
    sealed = ctime(st)
    view.handed_in_at = sealed
    if st.st_mode & 0o222:
        view.problem("the attempt folder was made writable again after hand-in")
    try:
        mfd, mst = open_file(MANIFEST_NAME, fd, owner)
        with os.fdopen(mfd, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ManifestError("too large")
        manifest = load_manifest(data)
    except (Unsafe, OSError, ManifestError) as exc:
        view.problem(f"{MANIFEST_NAME} is unreadable: {_why(exc)}")
        return
    view.manifest, view.receipt = manifest, receipt(data)
    if ctime(mst) > sealed:
        view.problem(f"{MANIFEST_NAME} was changed after hand-in")
        _later(view, ctime(mst))
    if manifest.attempt != view.number:
        view.problem(f"{MANIFEST_NAME} is for attempt {manifest.attempt}: the folder was renamed")
    if manifest.uid != owner:
        view.problem(f"{MANIFEST_NAME} names uid {manifest.uid}, but the folder is uid {owner}'s")
    skew = sealed - manifest.created_at
    if skew > CLOCK_TOLERANCE:
        view.problem(f"the attempt folder's time is {human_delta(skew)} later than the "
                     "manifest's time (re-sealed after hand-in, or a wrong clock)")
    elif -skew > CLOCK_TOLERANCE:
        view.problem(f"the hand-in clock was {human_delta(skew)} ahead of the filesystem's")
    chosen = {f.path for f in manifest.files}
    if wanted is not None:
        chosen, reasons = wanted(manifest)
        for reason in reasons:
            view.problem(reason)
    for item in manifest.files:
        if item.path not in chosen:
            view.skipped.append(item.path)
            continue
        problem, changed = _check_file(fd, item.path, item.size, item.sha256, sealed, owner, copy_to, budget)
        if problem:
            view.problem(problem)
        elif copy_to is not None:
            view.copied.append(item.path)
        if changed is not None and changed > sealed:
            _later(view, changed)
    listed = {f.path for f in manifest.files} | {MANIFEST_NAME}
    found, notes = _walk(fd, owner)
    for note in notes:
        view.problem(note)
    for extra in sorted(set(found) - listed):
        view.problem(f"{extra} was added after hand-in")


def _later(view: AttemptView, when: datetime) -> None:
    view.changed_at = max(when, view.changed_at or when)


def _check_file(dir_fd: int, rel: str, size: int, sha256: str, sealed: datetime, owner: int,
                copy_to: Optional[Path], budget: Optional[Budget]) -> tuple[Optional[str], Optional[datetime]]:
    """(what is wrong with one listed file or None, its ctime), copying it if asked.

    Exactly `size` bytes are read (the size the manifest and fstat agree on): a file that
    grows while it is read is cut off there and reported, never copied in full."""
    try:
        fd, st = open_file(rel, dir_fd, owner)
    except FileNotFoundError:
        return f"{rel} is missing (removed after hand-in)", None
    except (Unsafe, OSError) as exc:
        return f"{rel}: {_why(exc)}", None
    try:
        if st.st_size != size:  # neither read nor copied: it could be anything, of any size
            return (f"{rel} is {st.st_size} bytes, not the {size} in the manifest (changed after "
                    "hand-in; not collected)"), ctime(st)
        refused = budget.refusal(rel, st) if budget is not None else None
        if refused:
            return refused, ctime(st)
        target = copy_to / rel if copy_to is not None else None
        try:
            digest, problem = _copy_exactly(fd, size, target)
        except OSError as exc:
            problem, digest = f"{rel}: cannot copy it ({_why(exc)}); not collected", None
        if problem or digest != sha256:
            if target is not None:
                _unlink(target)
        if problem:
            return f"{rel} {problem}" if not problem.startswith(rel) else problem, ctime(os.fstat(fd))
    finally:
        os.close(fd)
    changed = ctime(st)
    if digest != sha256:
        return f"{rel} does not match its SHA-256 in the manifest (changed after hand-in)", changed
    if changed > sealed:
        return f"{rel} was changed after hand-in (its ctime is later than the seal)", changed
    if st.st_mode & 0o222:
        return f"{rel} was made writable after hand-in", changed
    return None, changed


def _copy_exactly(fd: int, size: int, target: Optional[Path]) -> tuple[Optional[str], Optional[str]]:
    """(SHA-256 of the first `size` bytes, what went wrong), writing them to `target` if given."""
    digest = hashlib.sha256()
    out = None
    if target is not None:
        with course_umask():
            os.makedirs(target.parent, exist_ok=True)
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        left = size
        while left:
            chunk = _read(fd, min(CHUNK, left))
            if not chunk:
                return None, f"shrank while being read ({size - left} of {size} bytes); not collected"
            left -= len(chunk)
            digest.update(chunk)
            if out is not None:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(out, view):]
        if _read(fd, 1):
            return None, (f"grew while being read: cut off at the {size} bytes in the manifest; "
                          "not collected")
    finally:
        if out is not None:
            os.close(out)
    return digest.hexdigest(), None


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _walk(fd: int, owner: int) -> tuple[list[str], list[str]]:
    """Every file path under an attempt folder (links and special files included, by name),
    at most MAX_WALK_ENTRIES names and MAX_WALK_DEPTH folders deep (one open folder per level);
    and notes on what was cut."""
    found: list[str] = []
    notes: list[str] = []
    seen = [0]

    def visit(dir_fd: int, prefix: str, depth: int) -> bool:
        with os.scandir(dir_fd) as it:
            for entry in it:
                seen[0] += 1
                if seen[0] > MAX_WALK_ENTRIES:
                    notes.append(f"more than {MAX_WALK_ENTRIES} names in the attempt: the rest not read")
                    return False
                rel = prefix + entry.name
                if not entry.is_dir(follow_symlinks=False):
                    found.append(rel)
                    continue
                if depth + 1 >= MAX_WALK_DEPTH:
                    found.append(rel)
                    if not any("nested" in n for n in notes):
                        notes.append(f"folders nested more than {MAX_WALK_DEPTH} deep: not read further")
                    continue
                try:
                    sub = open_dir(entry.name, dir_fd, owner)
                except (Unsafe, OSError):
                    found.append(rel)
                    continue
                try:
                    if not visit(sub, rel + "/", depth + 1):
                        return False
                finally:
                    os.close(sub)
        return True

    try:
        visit(fd, "", 0)
    except OSError as exc:
        notes.append(f"cannot list a folder in the attempt ({_why(exc)})")
    return found, notes


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def read_attempts(task_dir: Path, owner: int, keep: int = 100) -> tuple[list[AttemptView], list[str]]:
    """The newest `keep` attempts in one of the student's own task folders, verified (for --list)."""
    try:
        fd = os.open(task_dir, OPEN_DIR)
    except FileNotFoundError:
        return [], []
    try:
        entries = attempt_entries(fd, keep)
        views = [inspect_attempt(fd, n, name, owner) for n, name in entries.newest]
        return views, entries.odd + entries.numbering(keep)
    finally:
        os.close(fd)
