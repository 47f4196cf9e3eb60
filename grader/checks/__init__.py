"""Every check kind the exercise schema declares, applied to a `CheckContext`.

`run_checks(ctx)` is the one entry point: it returns one `CheckResult` per declared check, in
the order the exercise lists them, and never raises for anything a submission can cause (a
check whose inputs are missing reports "error" or "skipped" with a one-line reason).

Statuses: "passed" earns the check's points (a failed check with `partial_credit` earns its
share); "missing": what it reads was not handed in; "manual": a rubric item the instructor
marks; "failed" is the student's to fix; "error" means
the check could not be answered (e.g. the model did not build); "skipped" means this mode does
not answer it (`min_accuracy` under `tutor check`: it needs the trained artifact).
"""

from __future__ import annotations

import importlib
from typing import Callable

from grader.checks.common import result
from grader.checks.context import CheckContext, Evaluation
from grader.report import CheckResult

# kind -> "module:function" inside grader.checks (imported on first use).
REGISTRY: dict[str, str] = {
    "input_shape": "structural:input_shape",
    "output_shape": "structural:output_shape",
    "output_activation": "structural:output_activation",
    "total_params": "structural:total_params",
    "trainable_params": "structural:trainable_params",
    "non_trainable_params": "structural:non_trainable_params",
    "layer_count": "structural:layer_count",
    "frozen_backbone": "structural:frozen_backbone",
    "differs_from_baseline": "baseline:differs_from_baseline",
    "min_accuracy": "accuracy:min_accuracy",
    "script": "scripts:script_check",
    "log": "logs:log_check",
    "job_script": "job_script:job_script_check",
    "files_exist": "files:files_exist",
    "confirm": "files:confirm",
    "manual": "files:manual",
}
# The lecture and assignment packs' kinds (issue #7), one function each in coursework.py.
REGISTRY.update({k: f"coursework:{k}" for k in (
    "augmentation", "trainable_layers", "weighted_layers", "no_pretrained_weights", "compile_settings", "lr_schedule",
    "overfitting", "markdown_sections", "hardware_report", "history_plot", "comparison_table",
)})


def implementation(kind: str) -> Callable:
    module_name, func = REGISTRY[kind].split(":")
    module = importlib.import_module(f"grader.checks.{module_name}")
    return getattr(module, func)


def run_check(check, ctx: CheckContext) -> CheckResult:
    """One check; an unexpected failure inside a check becomes that check's "error" row."""
    try:
        return implementation(check.kind)(check, ctx)
    except Exception as exc:  # a bug in a check must not take the whole report down
        return result(check, "error", f"internal error in the {check.kind} check: {type(exc).__name__}: {exc}")


def run_checks(ctx: CheckContext) -> list[CheckResult]:
    """Apply every check of `ctx.spec`, in order. Hidden checks only when the instructor grades
    (`ctx.extra["include_hidden"]`, set by `tutor batch`): a student never runs or sees them."""
    include_hidden = bool(ctx.extra.get("include_hidden"))
    return [run_check(check, ctx) for check in ctx.spec.checks if include_hidden or not check.hidden]


__all__ = ["CheckContext", "Evaluation", "run_check", "run_checks", "REGISTRY"]
