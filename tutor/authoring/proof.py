"""`tutor author check --train`: the reference solution, trained with the task's recipe in the
grader's sandbox (on CPU, on `[recipe] proof_subset` images when set), then graded by the real
grader with hidden checks included. A solution below any bar fails the proof."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from exercises import Task


@dataclass
class Proof:
    status: str  # the graded report's status after training ("passed", "failed", "error")
    accuracy: Optional[float]
    bar: Optional[float]  # the task's min_accuracy, if any
    train_images: Optional[int]
    epochs: Optional[int]
    seconds: float
    problem: Optional[str] = None  # why the solution is not proven (None: proven)


def _subset_task(task: "Task") -> "Task":
    """The task as the proof trains it: `proof_subset` images when the recipe sets it."""
    from exercises import Task

    spec = task.spec
    if not (spec.recipe and spec.recipe.proof_subset and spec.dataset):
        return task
    current = spec.dataset.train_subset
    subset = min(spec.recipe.proof_subset, current) if current else spec.recipe.proof_subset
    dataset = spec.dataset.model_copy(update={"train_subset": subset})
    return Task(spec=spec.model_copy(update={"dataset": dataset}), folder=task.folder)


def prove(task: "Task", solution: Path, grader) -> Proof:
    """Train a copy of `solution` with the recipe and grade it (the solution folder is untouched)."""
    import time

    from grader.checks import FrontEndFacts

    started = time.monotonic()
    bar = next((c.min for c in task.spec.checks if c.kind == "min_accuracy"), None)
    trained_task = _subset_task(task)
    with tempfile.TemporaryDirectory(prefix=f"tutor-proof-{task.id}-") as folder:
        work = Path(folder) / task.id
        shutil.copytree(solution, work, ignore=shutil.ignore_patterns("model.keras", "train.json", "__pycache__"))
        trained = grader.train(trained_task, work)
        if trained.status == "error":
            # The solution's own failure (fit raised, no usable model) or this machine's (data
            # not staged, no test split, sandbox): the second proves nothing either way.
            own = (trained.error or "").startswith(("training failed", "training wrote no usable model"))
            return Proof("error", None, bar, None, None, round(time.monotonic() - started, 1),
                         f"training the reference solution failed: {trained.error}" if own
                         else f"could not train here: {trained.error}")
        report = grader.grade(task, work, FrontEndFacts(include_hidden=True))
    record = trained.meta.get("train") or {}
    proof = Proof(report.status, report.accuracy, bar, record.get("train_size"), record.get("epochs"),
                  round(time.monotonic() - started, 1))
    if report.status != "passed":
        failing = report.failed_checks()
        reason = report.error or (f"{failing[0].id}: {failing[0].message}" if failing else report.status)
        proof.problem = f"the reference solution, trained with the recipe, does not pass: {reason}"
    return proof
