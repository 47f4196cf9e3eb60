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

from typing import Any

from grader.checks.common import result
from grader.checks.context import CheckContext, Evaluation, FrontEndFacts
from grader.checks.registry import CheckFunction, check_functions
from grader.report import CheckResult


def implementation(kind: str) -> CheckFunction:
    """The function grading `kind` (each declares its schema model with @implements)."""
    return check_functions()[kind]


def __getattr__(name: str) -> Any:
    if name == "REGISTRY":  # kind -> function, built on first use (it imports every check module)
        return check_functions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_check(check, ctx: CheckContext) -> CheckResult:
    """One check; an unexpected failure inside a check becomes that check's "error" row."""
    try:
        return implementation(check.kind)(check, ctx)
    except Exception as exc:  # a bug in a check must not take the whole report down
        return result(check, "error", f"internal error in the {check.kind} check: {type(exc).__name__}: {exc}")


def run_checks(ctx: CheckContext) -> list[CheckResult]:
    """Apply every check of `ctx.spec`, in order. Hidden checks only when the instructor grades
    (`ctx.facts.include_hidden`, set by `tutor batch`): a student never runs or sees them."""
    check_functions()  # a kind without its function stops here, loudly, not as one "internal error" row
    include_hidden = ctx.facts.include_hidden
    return [run_check(check, ctx) for check in ctx.spec.checks if include_hidden or not check.hidden]


__all__ = ["CheckContext", "Evaluation", "FrontEndFacts", "implementation", "run_check", "run_checks", "REGISTRY"]
