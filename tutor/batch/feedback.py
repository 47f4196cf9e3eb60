"""The per-student feedback text: the same words and want/got tables `tutor grade` shows.

Uses `tutor.render.report_text` (the student-facing renderer) when it is there, so a student
reads the same thing in the gradebook export as in their terminal; a plain rendering of the
report otherwise.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

from exercises.schema import Exercise
from grader.report import Report


def feedback_text(report: Report, spec: Exercise, student: str = "", folders: Iterable[str] = ()) -> str:
    """The student's feedback; `folders` (where their submission sat on the instructor's side)
    are replaced by "your submission", so no instructor path reaches a student."""
    folders = list(folders)

    def clean(text):
        return scrub_paths(text, student, folders) if isinstance(text, str) else text

    report = report.model_copy(update={
        "error": clean(report.error),
        "checks": [c.model_copy(update={"message": clean(c.message), "actual": clean(c.actual)})
                   for c in report.checks]})
    try:
        from tutor.render import report_text  # what `tutor grade` prints, as plain text
    except ImportError:
        body = f"{spec.id}  {spec.title}\n" + plain_text(report, spec)
    else:
        body = report_text(report, spec)
    head = f"Feedback for {student}\n\n" if student else ""
    return scrub_paths(f"{head}{body.rstrip()}\n", student, folders)


# The grader's own temporary folders (a sandbox job's copy of the submission).
SANDBOX_PATH = re.compile(r"(?:/[^\s:'\"`]*)?/tutor-sandbox-[^\s/:'\"`]*/[^\s/:'\"`]+/(?:sub/)?")


def scrub_paths(text: str, student: str, folders: Iterable[str] = ()) -> str:
    """Instructor-side paths out of a student's feedback: the submission folder (as given and
    resolved), any path ending in the student's own folder, the grader's sandbox folders."""
    for folder in sorted({f for f in folders if f and len(f) > 1}, key=len, reverse=True):
        text = text.replace(folder.rstrip("/") + "/", "").replace(folder.rstrip("/"), "your submission")
    if student:
        text = re.sub(r"[^\s'\"`(]*/" + re.escape(student) + r"/", "", text)
        text = re.sub(r"[^\s'\"`(]*/" + re.escape(student) + r"(?=[\s:,;)'\"`]|$)", "your submission", text)
    return SANDBOX_PATH.sub("", text)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def check_title(spec: Exercise, check_id: str) -> str:
    for check in spec.checks:
        if check.id == check_id:
            return check.title or check.id
    return check_id


def plain_text(report: Report, spec: Exercise) -> str:
    lines = [f"status: {report.status}   score: {report.points:g}/{report.max_points:g}"
             f" ({report.score:.0%})"]
    if report.error:
        lines.append(f"could not grade: {report.error}")
    if report.accuracy is not None:
        lines.append(f"test accuracy: {report.accuracy:.4f}")
    if report.model is not None:
        lines.append(f"parameters: {report.model.total_params:,} total, "
                     f"{report.model.trainable_params:,} trainable")
    if report.checks:
        rows = [("check", "status", "want", "got", "points")] + [
            (check_title(spec, c.id), c.status, _cell(c.expected), _cell(c.actual),
             f"{c.points:g}/{c.max_points:g}")
            for c in report.checks
        ]
        widths = [min(40, max(len(r[i]) for r in rows)) for i in range(5)]
        lines.append("")
        for row in rows:
            lines.append("  ".join(cell[:40].ljust(w) for cell, w in zip(row, widths)).rstrip())
        for c in report.checks:
            if c.status in ("failed", "error", "missing") and c.message:
                lines.append(f"- {check_title(spec, c.id)}: {c.message}")
    return "\n".join(lines) + "\n"
