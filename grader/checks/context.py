"""What a check sees: the submission folder and what the sandbox/evaluator reported.

Built by the pipeline (trusted parent) and handed to `grader.checks.run_checks`. Checks never
run student code and never open untrusted artifacts themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Optional

import numpy as np

from exercises.schema import Exercise
from exercises.target import OWN, TargetFramework
from grader.report import ModelSummary

if TYPE_CHECKING:
    from grader.intake import Submission

Mode = Literal["check", "grade"]


@dataclass
class Evaluation:
    """Predictions from the evaluator sandbox and the labels the trusted parent holds."""

    predicted: np.ndarray  # predicted class per held-out input
    labels: np.ndarray  # true classes (never sent to the evaluator)
    subset: Optional[int] = None  # first N test images, or None for the whole test set
    probe_index: Optional[np.ndarray] = None  # test images also shown shifted by one pixel (grader.shift_probe)
    probe_predicted: Optional[np.ndarray] = None  # predicted class per shifted copy


@dataclass(frozen=True)
class FrontEndFacts:
    """What only the front end knows and checks read (passed to `grader.check/grade`)."""

    confirmed: bool = False  # the student confirmed this guide step (`tutor done`): confirm checks
    include_hidden: bool = False  # instructor grading (`tutor batch`, `tutor author check`): hidden checks run


@dataclass
class CheckContext:
    """Everything a check may read, typed. A check kind's `reads` (exercises/schema.py) says which."""

    spec: Exercise
    submission: Path
    mode: Mode
    summary: Optional[ModelSummary] = None  # None when the model could not be built/loaded
    model_error: Optional[str] = None  # one-line reason when summary is None
    evaluation: Optional[Evaluation] = None  # grade mode with an artifact
    artifact_error: Optional[str] = None  # e.g. "no model.keras: run `tutor train task8.1`"
    facts: FrontEndFacts = field(default_factory=FrontEndFacts)
    # Grade mode: the further trained models checks name (a1.4's finetuned.keras), opened in the
    # evaluator like model.keras: their summaries, or the one-line reason one could not be opened.
    artifact_summaries: dict[str, ModelSummary] = field(default_factory=dict)
    artifact_errors: dict[str, str] = field(default_factory=dict)
    intake: Optional["Submission"] = None  # the submission as resolved once at intake
    target: TargetFramework = OWN  # what the course's jobs train with (the cluster profile's [framework])

    @property
    def optimizer(self) -> str:
        """The compiled optimizer's class name in lower case ("adam"), or "" when unknown."""
        if self.summary is None or not self.summary.optimizer:
            return ""
        return str(self.summary.optimizer.get("class_name", "")).lower()
