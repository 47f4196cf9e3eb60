"""Atomic JSON files under a lock: the one way tutor writes its state files."""

from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock


def write_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write to a temporary file in the same folder, fsync, then rename into place.

    `mode` sets the file's permissions before the rename (the default is mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_text(data: Any) -> str:
    """How tutor writes a JSON state file."""
    return json.dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def write_json_atomic(path: Path, data: Any) -> None:
    write_atomic(path, json_text(data))


@contextmanager
def locked(path: Path, timeout: float = 30.0) -> Iterator[None]:
    """An exclusive lock next to `path` (`path.lock`), shared by every tutor process."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=timeout):
        yield


def quarantine(path: Path) -> Path:
    """Move a corrupt file aside (never delete a student's state) and return where it went."""
    target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    os.replace(path, target)
    return target
