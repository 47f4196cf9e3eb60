"""The grader's public API: what the CLI, the TUI, batch grading and hand-in call.

Every function returns a `Report` (never raises for anything a student can cause: a broken
submission is a report with status "failed" or "error" and a one-line reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from exercises import Task
from grader.report import Report

if TYPE_CHECKING:
    from exercises.target import TargetFramework
    from grader.checks.context import FrontEndFacts

ProgressCallback = Callable[[dict], None]


class Grader:
    """Keeps the sandbox machinery (a fork server with TensorFlow preloaded) alive across
    many submissions. Use as a context manager; `check`/`grade` below use a short-lived one.

    The fork server starts on first use (one TensorFlow import, ~2 s); each submission then
    costs one fork, not one import. Not thread-safe: one Grader per thread."""

    def __init__(self, data_dir: Optional[Path] = None, allow_downloads: bool = False,
                 target: Optional["TargetFramework"] = None, verify_source: bool = False) -> None:
        """`target`: what the course's jobs train with (the cluster profile's [framework]);
        checks and advice follow it. Default: tutor's own environment. `verify_source`: the
        student's own grade also builds model.py in the sandbox and refuses a model.keras that is
        not the model it builds now (batch grading leaves it off)."""
        from exercises.target import OWN
        from grader.pipeline import Pipeline

        self.data_dir = data_dir
        self.allow_downloads = allow_downloads
        self._pipeline = Pipeline(data_dir, allow_downloads, target or OWN, verify_source)

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pipeline.close()

    def warm_up(self) -> None:
        """Start the fork server's TensorFlow import in the background (optional: the first
        check/grade/train starts it anyway). Call it early when a model task is coming."""
        self._pipeline.warm_up()

    def check(self, task: Task, submission: Path, facts: Optional[FrontEndFacts] = None) -> Report:
        """Fast structural feedback: build the student's model in the sandbox, no training.
        `facts` are what only the front end knows (a guide step the student confirmed...)."""
        return self._pipeline.run(task, Path(submission), "check", facts)

    def grade(self, task: Task, submission: Path, facts: Optional[FrontEndFacts] = None) -> Report:
        """Everything, on the trained artifact; never runs student code if the artifact exists."""
        return self._pipeline.run(task, Path(submission), "grade", facts)

    def train(
        self,
        task: Task,
        submission: Path,
        epochs: Optional[int] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> Report:
        """Train with the task's recipe in the sandbox, install model.keras + train.json, grade."""
        return self._pipeline.train(task, Path(submission), epochs, on_progress)


def check(task: Task, submission: Path, data_dir: Optional[Path] = None,
          facts: Optional[FrontEndFacts] = None) -> Report:
    with Grader(data_dir) as grader:
        return grader.check(task, submission, facts)


def grade(task: Task, submission: Path, data_dir: Optional[Path] = None,
          facts: Optional[FrontEndFacts] = None) -> Report:
    with Grader(data_dir) as grader:
        return grader.grade(task, submission, facts)


def train(
    task: Task,
    submission: Path,
    data_dir: Optional[Path] = None,
    epochs: Optional[int] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> Report:
    """Train the student's compiled model with the task's recipe in the sandbox; writes
    model.keras and train.json into the submission folder."""
    with Grader(data_dir) as grader:
        return grader.train(task, submission, epochs, on_progress)
