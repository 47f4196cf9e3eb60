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


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


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
            if not _inside(real, root):
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
            shutil.copyfile(path, dest)
        except PermissionError:
            raise StagingError(f"{rel} cannot be read (permission denied); fix its permissions") from None
        copied.append(str(rel))
    return copied
