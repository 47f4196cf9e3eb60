"""A tutor `Report` as the one `results.json` each platform's harness reads back.

Field rules: Gradescope's "Autograder Specifications"
(gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format") and PrairieLearn's
docs/externalGrading.md ("Grading results"); both modelled in `tutor.batch.schemas`, which
refuses any key the platform does not define.
"""

from __future__ import annotations

import math

from exercises.schema import Exercise
from grader.report import Report
from tutor.batch.schemas import (
    PRAIRIELEARN_MAX_BYTES,
    GradescopeResults,
    GradescopeTest,
    PrairieLearnResults,
    PrairieLearnTest,
)
from tutor.next_step import label_of


def _check_output(message: str, expected: object, actual: object, status: str) -> str:
    lines = [f"{status}: {message}"] if message else [status]
    if expected is not None or actual is not None:
        lines.append(f"want: {expected!r}")
        lines.append(f"got:  {actual!r}")
    return "\n".join(lines)


def cap(text: str, limit: int) -> str:
    """At most `limit` characters, saying so when cut."""
    return text if len(text) <= limit else text[:limit] + "\n[... truncated]\n"


def gradescope(report: Report, spec: Exercise, feedback: str) -> GradescopeResults:
    """Top-level `score` in points (it overrides the tests' sum, per the spec), one test per
    check with `score`/`max_score`/`status`, `output` for the student, stdout hidden."""
    tests = [
        GradescopeTest(
            name=label_of(c.id, spec),
            number=str(i),
            score=c.points,
            max_score=c.max_points,
            status="passed" if c.status == "passed" else "failed",
            output=cap(_check_output(c.message, c.expected, c.actual, c.status), 20_000),
            tags=[c.kind],
            visibility="visible",
        )
        for i, c in enumerate(report.checks, 1)
    ]
    extra: dict = {"task": report.task, "status": report.status}
    if report.accuracy is not None:
        extra["accuracy"] = report.accuracy
    return GradescopeResults(
        score=report.points,
        execution_time=math.ceil(report.duration_s),  # whole seconds, as in the spec's example
        output=cap(feedback, 200_000),
        output_format="text",  # the feedback is plain text with want/got tables
        test_output_format="text",
        visibility="visible",
        stdout_visibility="hidden",  # the harness log is for the instructor
        tests=tests,
        extra_data=extra,
    )


def prairielearn(report: Report, spec: Exercise, feedback: str) -> PrairieLearnResults:
    """`score` in [0, 1] when gradable; a submission tutor could not grade (no model, a syntax
    error) is `gradable: false` with `format_errors`, so the attempt is not counted."""
    budget = PRAIRIELEARN_MAX_BYTES // 4  # the whole file must stay under 1 MB
    if report.status == "error":
        reason = cap(report.error or "could not grade", 2000)
        return PrairieLearnResults(gradable=False, format_errors=[reason], message=reason,
                                   output=cap(feedback, budget))
    return PrairieLearnResults(
        gradable=True,
        score=report.score,
        message=f"{report.points:g}/{report.max_points:g} points ({report.status})",
        output=cap(feedback, budget),
        tests=[
            PrairieLearnTest(
                name=label_of(c.id, spec),
                description=f"{c.kind} check '{c.id}'",
                points=c.points,
                max_points=c.max_points,
                message=cap(c.message or "", 2000),
                output=cap(_check_output("", c.expected, c.actual, c.status), 4000),
            )
            for c in report.checks
        ],
    )
