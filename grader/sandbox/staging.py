"""Copying a submission into a private folder (artifacts are sized up in grader.intake).

Nothing of the student's is used in place: the sandbox works on a copy, so a submission
cannot change its own folder (or anyone else's) while it is graded. A symlink that leaves
the submission folder is refused; one that stays inside is copied as the file it names.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Iterable

MiB = 1 << 20
SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", ".venv", "venv", "node_modules"}


class StagingError(Exception):
    """A submission or artifact that cannot be used; the message is the one-line reason."""


def open_regular(path: Path) -> int:
    """An fd on `path` only if it is a regular file itself: never through a symlink (in its
    last part), never a FIFO or device that would block or never end. Raises StagingError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: a symlink
            raise StagingError(f"{path.name} is a symlink; put the file itself there") from None
        raise StagingError(f"{path.name} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StagingError(f"{path.name} is not a regular file")
    return fd


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file (see open_regular), refused past `max_bytes`."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise StagingError(f"{path.name} is larger than {max_bytes // MiB or 1} MiB")
    return data


def copy_regular(source: Path, dest: Path) -> None:
    """Copy a regular file (see open_regular) to a new file `dest` (an existing one, or a
    symlink there, is replaced, never written through)."""
    fd = open_regular(source)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with os.fdopen(fd, "rb") as src, open(tmp, "xb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def _walk(root: Path) -> Iterable[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        here = Path(dirpath)
        for name in sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]:
            yield here / name


def copy_submission(
    source: Path,
    target: Path,
    exclude: Iterable[str] = (),
    max_bytes: int = 64 * MiB,
    max_files: int = 2000,
) -> list[str]:
    """Copy `source` into `target` (which must not exist); returns the copied relative paths."""
    source = Path(source)
    root = source.resolve()
    if not root.is_dir():
        raise StagingError(f"{source}: no such folder")
    excluded = set(exclude)
    copied: list[str] = []
    total = 0
    target.mkdir(parents=True)
    for path in _walk(root):
        rel = path.relative_to(root)
        if str(rel) in excluded:
            continue
        if path.is_symlink():
            real = path.resolve()
            if not real.is_relative_to(root):
                raise StagingError(
                    f"{rel} is a symlink to {os.readlink(path)}, outside the submission folder; "
                    "replace it with the file itself"
                )
            if real.is_dir():
                continue  # its files are copied from where they really are
        try:
            info = path.stat()
        except OSError:
            continue  # a dangling link inside the folder: nothing to copy
        if not stat.S_ISREG(info.st_mode):
            continue
        total += info.st_size
        if total > max_bytes or len(copied) >= max_files:
            raise StagingError(
                f"the submission folder holds more than {max_bytes // MiB} MiB or {max_files} files; "
                "keep only your code and notes in it"
            )
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            copy_regular(path.resolve() if path.is_symlink() else path, dest)
        except StagingError:
            raise StagingError(f"{rel} cannot be read (permission denied, or changed while copied); "
                               "fix its permissions") from None
        copied.append(str(rel))
    return copied
