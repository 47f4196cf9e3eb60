"""min_accuracy: computed here, in the trusted parent, from the evaluator's predictions."""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from exercises import schema as s
from grader.checks.common import failed, missing, passed, result
from grader.checks.context import CheckContext, Evaluation
from grader.checks.registry import implements
from grader.report import CheckResult
from grader.shift_probe import gap, suspicious

Z95 = 1.959963984540054


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default)."""
    if n <= 0:
        return (0.0, 1.0)
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def accuracy_of(evaluation: Evaluation) -> Optional[float]:
    """Fraction of predictions equal to the labels, or None if they cannot be compared."""
    predicted = np.asarray(evaluation.predicted).reshape(-1)
    labels = np.asarray(evaluation.labels).reshape(-1)
    if predicted.size == 0 or predicted.shape != labels.shape:
        return None
    return float(np.mean(predicted == labels))


def confusion_of(evaluation: Evaluation, classes: int) -> Optional[list[list[int]]]:
    """Counts of (true class, predicted class): rows are the true class. Trusted parent only."""
    predicted = np.asarray(evaluation.predicted).reshape(-1).astype(np.int64)
    labels = np.asarray(evaluation.labels).reshape(-1).astype(np.int64)
    if predicted.size == 0 or predicted.shape != labels.shape:
        return None
    if predicted.min() < 0 or labels.min() < 0 or max(predicted.max(), labels.max()) >= classes:
        return None
    counts = np.bincount(labels * classes + predicted, minlength=classes * classes)
    return counts.reshape(classes, classes).tolist()


def probe_figures(evaluation: Evaluation) -> Optional[tuple[float, float, int]]:
    """(accuracy on the probe's original images, on their shifted copies, how many), if probed."""
    if evaluation.probe_index is None or evaluation.probe_predicted is None or not len(evaluation.probe_index):
        return None
    original, moved = gap(evaluation.predicted, evaluation.labels, evaluation.probe_index, evaluation.probe_predicted)
    return original, moved, len(evaluation.probe_index)


def _memorised(evaluation: Evaluation) -> str:
    """The reason a model looks like a lookup of the public test images, or ''."""
    figures = probe_figures(evaluation)
    if figures is None or not suspicious(figures[0], figures[1]):
        return ""
    original, moved, n = figures
    return (f"only {moved:.4f} on {n} of the same images shifted by one pixel ({original:.4f} unshifted): "
            "the model recognises the public test images themselves rather than digits; train it on the "
            "training data instead of storing test images")


def produce_command(ctx: CheckContext) -> str:
    """The command that writes the trained artifact for this task."""
    verb = "submit" if ctx.spec.needs_gpu else "train"
    return f"tutor {verb} {ctx.spec.id}"


@implements(s.MinAccuracyCheck)
def min_accuracy(check: s.MinAccuracyCheck, ctx: CheckContext) -> CheckResult:
    want = f">= {check.min:.4g}"
    if ctx.mode == "check":
        return result(check, "skipped", f"needs the trained model: `tutor grade {ctx.spec.id}`", want)
    evaluation = ctx.evaluation
    if evaluation is None:
        if ctx.artifact_error and ctx.artifact_error == ctx.model_error and ctx.summary is None:
            from grader.checks.structural import NOT_CHECKED  # model-loads already says why

            return result(check, "skipped", NOT_CHECKED, want)
        command = produce_command(ctx)
        if ctx.artifact_error is None:  # not there at all
            reason = f"no {check.artifact} in {ctx.submission}: run `{command}` to produce it"
            return missing(check, reason, want, f"no {check.artifact}")
        # It is there but was refused or could not be scored: never "no model.keras".
        reason = ctx.artifact_error
        if command not in reason:
            reason = f"{reason}: run `{command}` again to write a new one"
        return failed(check, reason, want, "not scored")
    acc = accuracy_of(evaluation)
    if acc is None:
        return result(
            check,
            "error",
            f"the evaluator returned {np.asarray(evaluation.predicted).size} predictions "
            f"for {np.asarray(evaluation.labels).size} test images",
            want,
        )
    n = int(np.asarray(evaluation.labels).size)
    scope = f"{n:,} test images"
    got: str = f"{acc:.4f}"
    if evaluation.subset:
        low, high = wilson_interval(round(acc * n), n)
        scope = f"the first {n:,} test images (95 % interval {low:.3f}-{high:.3f})"
        got = f"{acc:.4f} [{low:.3f}, {high:.3f}]"
    memorised = _memorised(evaluation)
    if memorised:
        return failed(check, f"accuracy {acc:.4f} on {scope}, but {memorised}", want, got)
    if acc >= check.min:
        return passed(check, f"accuracy {acc:.4f} on {scope}", want, got)
    return failed(check, f"accuracy {acc:.4f} on {scope}, below {check.min:.4g}", want, got)
