"""The grade report: the JSON contract in DESIGN.md, shared by the CLI, TUI, batch and LMS exports.

Field names are fixed by the design; add fields only where the contract allows (e.g. extra
keys inside `model` or `meta` are for humans, consumers must not rely on them).
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["passed", "failed", "error"]
# "missing": what the check reads (an artifact, a file) was not handed in; "manual": a rubric
# item the instructor marks (no points until then).
CheckStatus = Literal["passed", "failed", "skipped", "error", "missing", "manual"]


# A check that waits for a run (a log check before the job ran): its skipped message starts with
# NOT_YET and says what comes first; its `actual` is NO_LOG_YET (tutor.next_step reads both).
NOT_YET = "not yet: "
NO_LOG_YET = "no log yet"

class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    status: CheckStatus
    message: str
    expected: Any = None
    actual: Any = None
    points: float = 0.0
    # Not in the JSON contract's required fields but useful to every front end.
    max_points: float = 0.0
    required: bool = True


# The pipeline's own rows saying whether there is a model at all (it built / it loaded).
MODEL_ROWS = ("model-builds", "model-loads")
PROBLEM_STATUSES = ("failed", "error", "missing")


class LayerSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    class_name: str
    output_shape: Optional[list[Optional[int]]] = None
    params: int = 0
    trainable_params: int = 0
    trainable: bool = True
    activation: Optional[str] = None
    # Nested sub-model layers (e.g. a MobileNetV2 backbone) are summarised as one entry
    # whose `sublayers` counts its own layers, and `frozen_sublayers` its non-trainable ones.
    sublayers: int = 0
    frozen_sublayers: int = 0
    # Class name -> how many of the nested layers (at any depth) are of that class, so checks
    # that count layers see what a nested model hides (two Conv2D in a nested Sequential).
    sublayer_classes: dict[str, int] = {}


class ModelSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    total_params: int
    trainable_params: int
    non_trainable_params: int
    input_shape: list[Optional[int]]
    output_shape: list[Optional[int]]
    layers: list[LayerSummary]
    # The compiled optimizer as Keras serialises it ({"class_name", "config"}; a learning-rate
    # schedule appears as a dict in config["learning_rate"]) and the loss name; None if unknown.
    optimizer: Optional[dict[str, Any]] = None
    loss: Optional[str] = None


class Report(BaseModel):
    """What `tutor check/grade --json` prints on stdout."""

    model_config = ConfigDict(extra="forbid")

    task: str
    status: Status
    score: float = Field(ge=0, le=1)
    points: float
    max_points: float
    checks: list[CheckResult]
    model: Optional[ModelSummary] = None
    accuracy: Optional[float] = None
    duration_s: float
    # One line saying why grading could not finish (status "error"), else None.
    error: Optional[str] = None
    # Reproducibility: seed, tensorflow/keras versions, device, evaluated subset...
    meta: dict[str, Any] = {}

    @classmethod
    def could_not_grade(cls, task: str, reason: str, duration_s: float = 0.0) -> "Report":
        return cls(
            task=task,
            status="error",
            score=0.0,
            points=0.0,
            max_points=0.0,
            checks=[],
            duration_s=round(duration_s, 3),
            error=reason,
        )

    @property
    def exit_code(self) -> int:
        """0 passed, 1 graded and failed, 2 could not grade (DESIGN.md)."""
        return {"passed": 0, "failed": 1, "error": 2}[self.status]

    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status in PROBLEM_STATUSES]

    def model_failure(self) -> Optional[CheckResult]:
        """The pipeline's row saying the model did not build or load, when it did not."""
        return next((c for c in self.checks if c.id in MODEL_ROWS and c.status in PROBLEM_STATUSES), None)

    def not_run(self) -> list[CheckResult]:
        """The checks that read the model (their kind's `reads` trait) and were skipped because it
        did not build or load."""
        if self.model_failure() is None:
            return []
        from exercises.schema import CHECK_MODELS

        needs_model = {m.KIND for m in CHECK_MODELS if m.reads & {"model", "trained_model"}}
        return [c for c in self.checks if c.status == "skipped" and c.kind in needs_model]
