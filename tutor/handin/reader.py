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
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Optional

from tutor.handin.attempt import ATTEMPT_RE, CHUNK
from tutor.handin.deadlines import human_delta
from tutor.handin.manifest import MANIFEST_NAME, Manifest, ManifestError, load_manifest, receipt

MAX_MANIFEST_BYTES = 1 << 20
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
class AttemptView:
    number: int
    name: str
    handed_in_at: Optional[datetime] = None  # the attempt folder's ctime
    changed_at: Optional[datetime] = None  # the latest ctime of anything in it, if later
    manifest: Optional[Manifest] = None
    receipt: Optional[str] = None
    problems: list[str] = field(default_factory=list)

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


def attempt_entries(task_fd: int) -> tuple[list[tuple[int, str]], list[str]]:
    """(number, name) of every attempt folder, oldest first, and entries that are not sound."""
    found, odd = [], []
    for entry in os.scandir(task_fd):
        match = ATTEMPT_RE.match(entry.name)
        if not match:
            continue
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            odd.append(f"{entry.name} is a symbolic link or not a folder (ignored)")
            continue
        found.append((int(match.group(1)), entry.name))
    return sorted(found), odd


def inspect_attempt(task_fd: int, number: int, name: str, owner: int,
                    copy_to: Optional[Path] = None) -> AttemptView:
    """Verify one attempt against its manifest; with `copy_to`, copy its files while reading."""
    view = AttemptView(number, name)
    try:
        fd = open_dir(name, task_fd, owner)
    except (Unsafe, OSError) as exc:
        view.problems.append(f"cannot open {name}: {_why(exc)}")
        return view
    try:
        _inspect(fd, view, owner, copy_to)
    finally:
        os.close(fd)
    return view


def _inspect(fd: int, view: AttemptView, owner: int, copy_to: Optional[Path]) -> None:
    st = os.fstat(fd)
    sealed = ctime(st)
    view.handed_in_at = sealed
    if st.st_mode & 0o222:
        view.problems.append("the attempt folder was made writable again after hand-in")
    try:
        mfd, mst = open_file(MANIFEST_NAME, fd, owner)
        with os.fdopen(mfd, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ManifestError("too large")
        manifest = load_manifest(data)
    except (Unsafe, OSError, ManifestError) as exc:
        view.problems.append(f"{MANIFEST_NAME} is unreadable: {_why(exc)}")
        return
    view.manifest, view.receipt = manifest, receipt(data)
    if ctime(mst) > sealed:
        view.problems.append(f"{MANIFEST_NAME} was changed after hand-in")
        _later(view, ctime(mst))
    if manifest.attempt != view.number:
        view.problems.append(f"{MANIFEST_NAME} is for attempt {manifest.attempt}: the folder was renamed")
    if manifest.uid != owner:
        view.problems.append(f"{MANIFEST_NAME} names uid {manifest.uid}, but the folder is uid {owner}'s")
    skew = sealed - manifest.created_at
    if skew > CLOCK_TOLERANCE:
        view.problems.append(f"the attempt folder's time is {human_delta(skew)} later than the "
                             "manifest's time (re-sealed after hand-in, or a wrong clock)")
    elif -skew > CLOCK_TOLERANCE:
        view.problems.append(f"the hand-in clock was {human_delta(skew)} ahead of the filesystem's")
    for item in manifest.files:
        problem, changed = _check_file(fd, item.path, item.size, item.sha256, sealed, owner, copy_to)
        if problem:
            view.problems.append(problem)
        if changed is not None and changed > sealed:
            _later(view, changed)
    listed = {f.path for f in manifest.files} | {MANIFEST_NAME}
    for extra in sorted(set(_walk(fd, owner)) - listed):
        view.problems.append(f"{extra} was added after hand-in")


def _later(view: AttemptView, when: datetime) -> None:
    view.changed_at = max(when, view.changed_at or when)


def _check_file(dir_fd: int, rel: str, size: int, sha256: str, sealed: datetime, owner: int,
                copy_to: Optional[Path]) -> tuple[Optional[str], Optional[datetime]]:
    """(what is wrong with one listed file or None, its ctime), copying it if asked."""
    try:
        fd, st = open_file(rel, dir_fd, owner)
    except FileNotFoundError:
        return f"{rel} is missing (removed after hand-in)", None
    except (Unsafe, OSError) as exc:
        return f"{rel}: {_why(exc)}", None
    if st.st_size != size:  # neither read nor copied: it could be anything, of any size
        os.close(fd)
        return (f"{rel} is {st.st_size} bytes, not the {size} in the manifest (changed after "
                "hand-in; not collected)"), ctime(st)
    digest = hashlib.sha256()
    out = None
    try:
        if copy_to is not None:
            target = copy_to / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "xb")
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
    finally:
        if out is not None:
            out.close()
    changed = ctime(st)
    if digest.hexdigest() != sha256:
        return f"{rel} does not match its SHA-256 in the manifest (changed after hand-in)", changed
    if changed > sealed:
        return f"{rel} was changed after hand-in (its ctime is later than the seal)", changed
    if st.st_mode & 0o222:
        return f"{rel} was made writable after hand-in", changed
    return None, changed


def _walk(fd: int, owner: int, prefix: str = "") -> list[str]:
    """Every file path under an attempt folder (links and special files included, by name)."""
    found = []
    for entry in os.scandir(fd):
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            try:
                sub = open_dir(entry.name, fd, owner)
            except (Unsafe, OSError):
                found.append(rel)
                continue
            try:
                found.extend(_walk(sub, owner, rel + "/"))
            finally:
                os.close(sub)
        else:
            found.append(rel)
    return found


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def read_attempts(task_dir: Path, owner: int) -> tuple[list[AttemptView], list[str]]:
    """Every attempt in one of the student's own task folders, verified (for --list)."""
    try:
        fd = os.open(task_dir, OPEN_DIR)
    except FileNotFoundError:
        return [], []
    try:
        entries, odd = attempt_entries(fd)
        return [inspect_attempt(fd, n, name, owner) for n, name in entries], odd
    finally:
        os.close(fd)
