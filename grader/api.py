"""The grader's public API: what the CLI, the TUI, batch grading and hand-in call.

Stub signatures fixed for coordination; implemented by the grader issue (#3). Every function
returns a `Report` (never raises for anything a student can cause: a broken submission is a
report with status "failed" or "error" and a one-line reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

from exercises import Task
from grader.report import Report

ProgressCallback = Callable[[dict], None]


class Grader:
    """Keeps the sandbox machinery (e.g. a fork server with TensorFlow preloaded) alive across
    many submissions. Use as a context manager; `check`/`grade` below use a short-lived one."""

    def __init__(self, data_dir: Optional[Path] = None, allow_downloads: bool = False) -> None:
        self.data_dir = data_dir
        self.allow_downloads = allow_downloads

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def check(self, task: Task, submission: Path) -> Report:
        """Fast structural feedback: build the student's model in the sandbox, no training."""
        raise NotImplementedError

    def grade(self, task: Task, submission: Path) -> Report:
        """Everything, on the trained artifact; never runs student code if the artifact exists."""
        raise NotImplementedError


def check(task: Task, submission: Path, data_dir: Optional[Path] = None) -> Report:
    with Grader(data_dir) as grader:
        return grader.check(task, submission)


def grade(task: Task, submission: Path, data_dir: Optional[Path] = None) -> Report:
    with Grader(data_dir) as grader:
        return grader.grade(task, submission)


def train(
    task: Task,
    submission: Path,
    data_dir: Optional[Path] = None,
    epochs: Optional[int] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> Report:
    """Train the student's compiled model with the task's recipe in the sandbox; writes
    model.keras and train.json into the submission folder."""
    raise NotImplementedError
