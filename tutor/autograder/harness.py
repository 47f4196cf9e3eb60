"""Grading one submission inside a platform's harness: find the student's folder, grade it with
the real grader, and write the platform's results file atomically. Never raises: whatever the
submission does, the platform gets a valid results file (a traceback would leave none)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Optional

from pydantic import BaseModel

from grader.report import Report
from tutor.batch.safezip import JUNK_PARTS


def submission_folder(root: Path, expected: list[str]) -> Path:
    """The folder holding the task's files: `root` itself, or the one folder inside it that
    has them (a student who uploaded a folder, or a zip Gradescope extracted)."""
    names = set(expected)

    def has(folder: Path) -> bool:
        return any((folder / n).exists() or (folder / n).is_symlink() for n in names)

    if not root.is_dir() or has(root):
        return root
    inner = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
             and p.name not in JUNK_PARTS and not p.name.startswith(".")]
    found = [p for p in inner if has(p)]
    return found[0] if len(found) == 1 else root


def grade(task_id: str, folder: Path, data_dir: Optional[Path] = None):
    """(report, spec or None): the real grader's report, or a could-not-grade one."""
    started = time.monotonic()
    spec = None
    try:
        from grader.api import Grader
        from tutor.context import load_context

        ctx = load_context()
        task = ctx.task(task_id)
        spec = task.spec
        if not folder.is_dir():
            return Report.could_not_grade(task_id, "no files were submitted"), spec
        expected = [*spec.files, *spec.artifacts]
        with Grader(data_dir or ctx.data_dir) as grader:
            return grader.grade(task, submission_folder(folder, expected)), spec
    except Exception as exc:  # the platform must get a results file whatever happened
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Report.could_not_grade(task_id, f"tutor could not grade this submission: {reason}",
                                      time.monotonic() - started), spec


def write_results(path: Path, results: BaseModel) -> None:
    """Write `results.json` atomically (a planted file or link at that name is replaced, not
    followed); the results folder is created, as PrairieLearn's docs say it must be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(results.model_dump_json(indent=2, exclude_none=True) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
