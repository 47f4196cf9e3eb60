"""Content hashes: what decides whether a stored result is still valid."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from exercises import Task
from grader.intake.artifact import open_regular

IGNORED = {"__pycache__", ".DS_Store", ".ipynb_checkpoints", ".git"}
# Bump when batch results must be recomputed even for unchanged submissions.
RESULT_FORMAT = "1"


def folder_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (symlinks by their target, never
    followed), so renaming, editing, adding or removing a file changes it."""
    digest = hashlib.sha256()
    if folder.is_file():
        _file(digest, folder)
        return digest.hexdigest()
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED)
        base = Path(root)
        for name in sorted(files):
            if name in IGNORED:
                continue
            path = base / name
            rel = path.relative_to(folder).as_posix()
            digest.update(b"\0path\0" + rel.encode("utf-8", "surrogateescape"))
            if path.is_symlink():
                digest.update(b"\0link\0" + os.readlink(path).encode("utf-8", "surrogateescape"))
            else:
                _file(digest, path)
        for name in dirs:
            if (base / name).is_symlink():
                digest.update(b"\0dirlink\0" + (base / name).relative_to(folder).as_posix().encode())
    return digest.hexdigest()


def _file(digest: "hashlib._Hash", path: Path) -> None:
    try:  # a regular file only: a FIFO left in one submission must not hang the whole batch
        with open_regular(path) as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        digest.update(f"\0unreadable\0{exc.errno}".encode())


def spec_hash(task: Task) -> str:
    """Changes when the exercise's checks, recipe or data change, or the result format does."""
    payload = json.dumps(
        {"spec": task.spec.model_dump(mode="json"), "format": RESULT_FORMAT}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()
