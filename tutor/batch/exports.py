"""What `tutor batch` leaves in `--out`: the gradebook CSV, Gradescope and PrairieLearn
`results.json` per student, and a feedback file per student. Every file is written to a
temporary name and renamed into place, so a reader never sees half a file."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Iterable, Optional

from exercises.schema import Exercise
from grader.report import Report
from tutor.batch.feedback import check_title, feedback_text
from tutor.batch.models import StoredResult
from tutor.batch.schemas import (
    PRAIRIELEARN_MAX_BYTES,
    GradescopeResults,
    GradescopeTest,
    PrairieLearnResults,
    PrairieLearnTest,
)
from tutor.state.atomic import write_atomic

FORMATS = ("csv", "gradescope", "prairielearn")
COLUMNS = [
    "student", "name", "task", "status", "score", "points", "max_points", "accuracy",
    "total_params", "trainable_params", "failed_checks", "duration_s", "graded_at", "reason",
]


def _write_if_changed(path: Path, text: str) -> None:
    """Atomic write, skipped when the file already says exactly this (fast reruns)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)


def gradebook_row(result: StoredResult) -> dict:
    r = result.report
    return {
        "student": result.student,
        "name": result.name,
        "task": result.task,
        "status": r.status,
        "score": f"{r.score:.4f}",
        "points": f"{r.points:g}",
        "max_points": f"{r.max_points:g}",
        "accuracy": "" if r.accuracy is None else f"{r.accuracy:.4f}",
        "total_params": "" if r.model is None else r.model.total_params,
        "trainable_params": "" if r.model is None else r.model.trainable_params,
        "failed_checks": ";".join(c.id for c in r.failed_checks()),
        "duration_s": f"{r.duration_s:.2f}",
        "graded_at": result.graded_at,
        "reason": _reason(r),
    }


def _reason(report: Report) -> str:
    if report.error:
        return report.error
    failed = report.failed_checks()
    return failed[0].message if failed else ""


def write_gradebook(path: Path, results: Iterable[StoredResult]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow(gradebook_row(result))
    _write_if_changed(path, buffer.getvalue())


def gradescope_results(result: StoredResult, spec: Exercise, feedback: str) -> GradescopeResults:
    r = result.report
    tests = [
        GradescopeTest(
            name=check_title(spec, c.id),
            number=str(i),
            score=c.points,
            max_score=c.max_points,
            status="passed" if c.status == "passed" else "failed",
            output=_check_output(c.message, c.expected, c.actual, c.status),
            tags=[c.kind],
        )
        for i, c in enumerate(r.checks, 1)
    ]
    extra: dict = {"task": result.task, "status": r.status, "content_hash": result.content_hash}
    if r.accuracy is not None:
        extra["accuracy"] = r.accuracy
    return GradescopeResults(
        score=r.points,
        execution_time=math.ceil(r.duration_s),  # whole seconds, as in the spec's example
        output=feedback,
        output_format="text",  # the feedback is plain text with want/got tables
        test_output_format="text",
        tests=tests,
        extra_data=extra,
    )


def prairielearn_results(result: StoredResult, spec: Exercise, feedback: str) -> PrairieLearnResults:
    r = result.report
    if r.status == "error":
        return PrairieLearnResults(
            gradable=False,
            format_errors=[r.error or "could not grade"],
            message=r.error or "could not grade",
            output=_cap(feedback),
        )
    return PrairieLearnResults(
        gradable=True,
        score=r.score,
        message=f"{r.points:g}/{r.max_points:g} points ({r.status})",
        output=_cap(feedback),
        tests=[
            PrairieLearnTest(
                name=check_title(spec, c.id),
                description=f"{c.kind} check '{c.id}'",
                points=c.points,
                max_points=c.max_points,
                message=c.message,
                output=_check_output("", c.expected, c.actual, c.status),
            )
            for c in r.checks
        ],
    )


def _check_output(message: str, expected: object, actual: object, status: str) -> str:
    lines = [f"{status}: {message}"] if message else [status]
    if expected is not None or actual is not None:
        lines.append(f"want: {expected!r}")
        lines.append(f"got:  {actual!r}")
    return "\n".join(lines)


def _cap(text: str, limit: int = PRAIRIELEARN_MAX_BYTES // 4) -> str:
    return text if len(text) <= limit else text[:limit] + "\n[... truncated]\n"


def write_student_files(out: Path, result: StoredResult, spec: Exercise,
                        formats: Iterable[str]) -> None:
    """Feedback always; Gradescope and PrairieLearn results where asked."""
    formats = set(formats)
    text = feedback_text(result.report, spec, result.student)
    _write_if_changed(out / "feedback" / f"{result.student}.txt", text)
    if "gradescope" in formats:
        doc = gradescope_results(result, spec, text)
        _write_if_changed(out / "gradescope" / result.student / "results.json",
                          doc.model_dump_json(indent=2, exclude_none=True) + "\n")
    if "prairielearn" in formats:
        doc = prairielearn_results(result, spec, text)
        _write_if_changed(out / "prairielearn" / result.student / "results.json",
                          doc.model_dump_json(indent=2, exclude_none=True) + "\n")


def remove_stale(out: Path, students: set[str]) -> list[str]:
    """Drop per-student files of students no longer in the batch (e.g. a misnamed upload
    that is now attributed correctly), so --out never shows a grade the gradebook lacks."""
    removed = []
    for path in (out / "feedback").glob("*.txt"):
        if path.stem not in students:
            path.unlink()
            removed.append(path.stem)
    for kind in ("gradescope", "prairielearn"):
        for result in (out / kind).glob("*/results.json"):
            if result.parent.name not in students:
                result.unlink()
                try:
                    result.parent.rmdir()
                except OSError:
                    pass
                removed.append(result.parent.name)
    return sorted(set(removed))


def parse_formats(value: Optional[str]) -> list[str]:
    from tutor.errors import UserError

    names = [v.strip().lower() for v in (value or "csv").split(",") if v.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UserError(f"unknown --format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    return names or ["csv"]
