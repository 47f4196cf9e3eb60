"""Writing an attempt: exactly the files the exercise declares, copied with their SHA-256
sums into a temporary folder, sealed read-only and renamed into place in one step.

An interrupted hand-in (an error, Ctrl-C, SIGTERM, even SIGKILL) never leaves a folder named
`attempt-NNN`: only a `.incoming-*` folder, which nothing reads and the next hand-in removes.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from filelock import Timeout

from exercises.schema import Exercise, ExerciseKind
from tutor.errors import UserError
from tutor.handin.layout import (
    FOLDER_MODE,
    INCOMING_PREFIX,
    SEALED_DIR,
    SEALED_FILE,
    course_umask,
    write_error,
)
from tutor.handin.manifest import MANIFEST_NAME, HandinManifest, ManifestFile, dump_manifest
from tutor.state.atomic import locked

ATTEMPT_RE = re.compile(r"^attempt-(\d{3,})$")
GLOB_CHARS = frozenset("*?[")
CHUNK = 1 << 20

# The one write call the copy makes: a seam for tests that inject a failure mid-copy
# (e.g. ENOSPC after the first megabyte) without filling a real disk.
_write = os.write


def attempt_name(number: int) -> str:
    return f"attempt-{number:03d}"


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@dataclass
class Chosen:
    rel: str  # path inside the submission (and the attempt), POSIX form
    source: Path
    size: int


@dataclass
class Selection:
    files: list[Chosen]
    missing: list[str]  # declared names or patterns with nothing to hand in
    refused: list[str]  # symbolic links, special files, files over the limit: never handed in


NOTEBOOKS = "*.ipynb"


def optional_patterns(spec: Exercise) -> list[str]:
    """Handed in when present, never missing: a model task's notebooks (the notebook flow, where
    a student keeps the model in lab.ipynb instead of model.py)."""
    return [NOTEBOOKS] if spec.kind is ExerciseKind.model else []


def stand_ins(spec: Exercise, pattern: str) -> list[str]:
    """Names that may stand in for a declared artifact, as the grader's intake accepts them:
    model.h5 (what Keras 2 saves) for model.keras."""
    if pattern in spec.artifacts and pattern.endswith(".keras"):
        return [pattern.removesuffix(".keras") + ".h5"]
    return []


def declared(spec: Exercise) -> list[str]:
    """What a hand-in may hold: the exercise's files and artifacts, and its optional patterns."""
    return list(dict.fromkeys([*spec.files, *spec.artifacts, *optional_patterns(spec)]))


def still_missing(spec: Exercise, missing: list[str], present: list[str]) -> list[str]:
    """`missing` without what is not needed: the optional patterns, and model.py when a notebook
    beside it is handed in (the notebook holds the model then)."""
    optional = optional_patterns(spec)
    notebook = any(PurePosixPath(rel).suffix == ".ipynb" and "/" not in rel for rel in present)
    return [m for m in missing if m not in optional and not (m == "model.py" and notebook and optional)]


def choose_files(spec: Exercise, submission: Path, max_bytes: int, per_pattern: int = 20) -> Selection:
    """The declared files (`files` + `artifacts`, globs allowed) found in `submission`."""
    chosen: dict[str, Chosen] = {}
    missing: list[str] = []
    refused: list[str] = []
    for pattern in declared(spec):
        if GLOB_CHARS & set(pattern):
            candidates = sorted(itertools.islice(submission.glob(pattern), per_pattern + 1))
            if len(candidates) > per_pattern:
                refused.append(f"{pattern}: more than {per_pattern} files match, the course's limit "
                               "(max_files_per_pattern); hand in only the runs that matter")
                continue
        else:
            names = [pattern, *stand_ins(spec, pattern)]
            candidates = [submission / name for name in names if os.path.lexists(submission / name)][:1]
        found = False
        for candidate in candidates:
            rel = candidate.relative_to(submission).as_posix()
            if rel in chosen:
                found = True
                continue
            problem = _refusal(submission, rel, max_bytes)
            if problem:
                refused.append(problem)
                found = True
                continue
            if candidate.is_dir():
                continue
            chosen[rel] = Chosen(rel, candidate, candidate.lstat().st_size)
            found = True
        if not found:
            missing.append(pattern)
    return Selection(sorted(chosen.values(), key=lambda c: c.rel), still_missing(spec, missing, list(chosen)), refused)


def _refusal(submission: Path, rel: str, max_bytes: int) -> str | None:
    parts = PurePosixPath(rel).parts
    if ".." in parts or any(p.startswith(".") for p in parts):
        return f"{rel}: hidden or outside the submission folder; it is not handed in"
    here = submission
    for i, part in enumerate(parts):
        here = here / part
        st = here.lstat()
        if stat.S_ISLNK(st.st_mode):
            return (f"{rel}: {'is' if i == len(parts) - 1 else 'goes through'} a symbolic link; "
                    f"hand in the real file (copy it in place of the link)")
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        return f"{rel}: not a regular file; it cannot be handed in"
    if st.st_size > max_bytes:
        return (f"{rel}: {mb(st.st_size)}, over the course limit of {mb(max_bytes)} per file "
                "(max_handin_mb in tutor.toml); make it smaller or ask your instructor")
    return None


@dataclass
class Written:
    number: int
    path: Path
    manifest: HandinManifest
    manifest_bytes: bytes
    handed_in_at: datetime  # the attempt folder's ctime: set by the filesystem, not by us


ManifestMaker = Callable[[int, list[ManifestFile]], HandinManifest]


def attempt_numbers(task_dir: Path) -> list[int]:
    try:
        names = os.listdir(task_dir)
    except FileNotFoundError:
        return []
    return sorted(int(m.group(1)) for m in map(ATTEMPT_RE.match, names) if m)


def write_attempt(task_dir: Path, chosen: list[Chosen], make_manifest: ManifestMaker,
                  max_bytes: int, max_total: int = 1 << 62, max_attempts: int = 1 << 30) -> Written:
    """Copy `chosen` into `task_dir` as the next numbered attempt, atomically."""
    try:
        with locked(task_dir / ".handin"), _sigterm_as_interrupt():
            _sweep_incoming(task_dir)
            numbers = attempt_numbers(task_dir)
            if len(numbers) >= max_attempts:
                raise UserError(f"you have handed in {len(numbers)} attempts of this task, the course's "
                                f"limit (max_attempts); nothing was handed in: ask your instructor")
            number = (numbers or [0])[-1] + 1
            tmp = Path(tempfile.mkdtemp(prefix=INCOMING_PREFIX, dir=task_dir))
            try:
                files, left = [], max_total
                for item in chosen:
                    files.append(_copy_in(item, tmp, min(max_bytes, left)))
                    left -= files[-1].size
                manifest = make_manifest(number, files)
                data = dump_manifest(manifest)
                _write_new(tmp / MANIFEST_NAME, data)
                _seal(tmp)
                final = task_dir / attempt_name(number)
                os.rename(tmp, final)  # the one step that makes the attempt exist
            except BaseException:
                _remove_tree(tmp)
                raise
            try:
                _fsync_dir(task_dir)  # the attempt exists now; a failing fsync does not undo it
            except OSError:
                pass
            ctime_ns = os.stat(final).st_ctime_ns
    except Timeout:
        raise UserError(f"another hand-in of this task is still running ({task_dir}); "
                        "wait for it and try again") from None
    except OSError as exc:
        raise write_error(exc, task_dir) from None
    handed_in_at = datetime.fromtimestamp(ctime_ns / 1e9, tz=timezone.utc)
    return Written(number, final, manifest, data, handed_in_at)


def _copy_in(item: Chosen, tmp: Path, max_bytes: int) -> ManifestFile:
    dest = tmp / item.rel
    if dest.parent != tmp:
        with course_umask():
            dest.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    try:
        src = os.open(item.source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise UserError(f"{item.rel}: cannot read it ({exc.strerror}); nothing was handed in") from None
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):
            raise UserError(f"{item.rel}: not a regular file; nothing was handed in")
        out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            digest, size = hashlib.sha256(), 0
            while chunk := os.read(src, CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UserError(f"{item.rel}: grew past the course limit of {mb(max_bytes)} "
                                    "while being copied; nothing was handed in")
                digest.update(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[_write(out, view):]
            os.fsync(out)
            os.fchmod(out, SEALED_FILE)
        finally:
            os.close(out)
    finally:
        os.close(src)
    return ManifestFile(path=item.rel, size=size, sha256=digest.hexdigest())


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[_write(fd, view):]
        os.fsync(fd)
        os.fchmod(fd, SEALED_FILE)
    finally:
        os.close(fd)


def _seal(folder: Path) -> None:
    """Read-only for its owner and the instructors: deepest folders first, then the top."""
    for root, dirs, _ in os.walk(folder, topdown=False):
        for name in dirs:
            os.chmod(os.path.join(root, name), SEALED_DIR)
    _fsync_dir(folder)
    os.chmod(folder, SEALED_DIR)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    """Remove a half-written attempt of ours (sealed folders are made writable first)."""
    if not path.exists():
        return
    for root, dirs, _ in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
    os.chmod(path, 0o700)
    shutil.rmtree(path, ignore_errors=True)


def _sweep_incoming(task_dir: Path) -> None:
    """Leftovers of hand-ins that were killed; we hold the lock, so none is in progress."""
    for name in os.listdir(task_dir):
        if name.startswith(INCOMING_PREFIX):
            _remove_tree(task_dir / name)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let SIGTERM unwind like Ctrl-C, so the temporary folder is removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
