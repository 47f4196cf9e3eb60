"""Is the trained model.keras the model the student's model.py builds now?

"Change one thing, train, note the accuracy": a student who edits model.py and runs `tutor
grade` without training again would be graded on the old artifact and write down the wrong
number. For the student's own grade (never batch grading: handed-in files carry no trustworthy
times, and grading an artifact there runs no student code) the front end asks the pipeline to
also build model.py in the sandbox; this module compares the two.

- A different architecture (layers, shapes, parameters) or compile settings (optimizer, its
  learning rate, loss): grading is refused, with the command that trains again.
- model.py newer than model.keras but the same architecture: graded, with a loud optional row
  (a change tutor cannot see, such as a comment or a data step, needs no retraining; anything
  else does).
"""

from __future__ import annotations

from typing import Any, Optional

from grader.checks.structural import model_layers
from grader.intake import Submission
from grader.report import CheckResult, ModelSummary

ROW = "artifact-current"
TOLERANCE_S = 1.0  # file systems round times; tutor train writes the artifact after reading model.py


def produce(task: Any) -> str:
    return f"tutor {'submit' if task.spec.needs_gpu else 'train'} {task.id}"


def source_newer_by(submission: Submission) -> Optional[float]:
    """Seconds by which the newest .py source is newer than the model artifact, if it is."""
    model = submission.model
    sources = [s for s in submission.sources if s.name.endswith(".py") and "/" not in s.name]
    if model is None or not model.mtime or not sources:
        return None
    newest = max(s.mtime for s in sources)
    return newest - model.mtime if newest - model.mtime > TOLERANCE_S else None


def _shape(layer) -> str:
    return "x".join("?" if d is None else str(d) for d in (layer.output_shape or [])[1:]) or "?"


def _describe(summary: ModelSummary) -> str:
    layers = model_layers(summary)
    return f"{len(layers)} layers, {summary.total_params:,} parameters"


def _learning_rate(summary: ModelSummary) -> Optional[float]:
    config = (summary.optimizer or {}).get("config") or {}
    rate = config.get("learning_rate")
    return round(float(rate), 10) if isinstance(rate, (int, float)) else None


def difference(trained: ModelSummary, built: ModelSummary) -> Optional[str]:
    """What differs between the trained artifact and what build_model() returns, or None."""
    ours, theirs = model_layers(trained), model_layers(built)
    if len(ours) != len(theirs):
        return f"model.keras has {_describe(trained)}, build_model() now returns {_describe(built)}"
    for i, (a, b) in enumerate(zip(ours, theirs), 1):
        if (a.class_name, _shape(a), a.params) != (b.class_name, _shape(b), b.params):
            return (f"layer {i} is {a.class_name} ({_shape(a)}, {a.params:,} parameters) in model.keras but "
                    f"{b.class_name} ({_shape(b)}, {b.params:,} parameters) in build_model()")
        if (a.activation or "") != (b.activation or "") and a.activation and b.activation:
            return f"layer {i} ({a.class_name}) has activation {a.activation} in model.keras, {b.activation} in build_model()"
    opt_a = str((trained.optimizer or {}).get("class_name", "")).lower()
    opt_b = str((built.optimizer or {}).get("class_name", "")).lower()
    if opt_a and opt_b and opt_a != opt_b:
        return f"model.keras was compiled with {opt_a}, build_model() now compiles with {opt_b}"
    rate_a, rate_b = _learning_rate(trained), _learning_rate(built)
    if rate_a is not None and rate_b is not None and rate_a != rate_b:
        return f"model.keras was trained with learning rate {rate_a:g}, build_model() now sets {rate_b:g}"
    if trained.loss and built.loss and trained.loss != built.loss:
        return f"model.keras was trained with loss {trained.loss}, build_model() now uses {built.loss}"
    return None


def judge(task: Any, submission: Submission, trained: ModelSummary, built: Optional[ModelSummary],
          build_error: Optional[str]) -> tuple[Optional[str], Optional[CheckResult]]:
    """(a reason to refuse grading, or None; an optional flag row, or None)."""
    newer = source_newer_by(submission)
    again = f"run `{produce(task)}` again, then `tutor grade {task.id}`"
    if built is not None:
        changed = difference(trained, built)
        if changed:
            when = f" (model.py was changed {_ago(newer)} after it was trained)" if newer else ""
            return (f"model.keras is not the model your model.py builds now: {changed}{when}; "
                    f"its accuracy would not be your model's: {again}"), None
    if newer is None:
        return None, None
    if built is None:
        message = (f"model.py changed {_ago(newer)} after model.keras was trained and does not build now "
                   f"({build_error or 'see tutor check'}): the grade below is the old model's; fix it, then {again}")
    else:
        message = (f"model.py changed {_ago(newer)} after model.keras was trained; the layers and compile "
                   f"settings are the same, but if you changed anything else that matters (epochs, data "
                   f"steps), the grade below is the old model's: {again}")
    return None, CheckResult(id=ROW, kind="artifact", status="failed", message=message,
                             expected="model.keras trained from this model.py", actual="model.py is newer",
                             required=False)


def _ago(seconds: Optional[float]) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
