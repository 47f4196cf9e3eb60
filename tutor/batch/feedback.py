"""The per-student feedback text: the same view and want/got table `tutor grade` shows
(`tutor.render.report_text` of `tutor.report_view`), so a student reads the same thing in the
gradebook export as in their terminal, with instructor-side paths removed.
"""

from __future__ import annotations

import re
from typing import Iterable

from exercises.schema import Exercise
from grader.report import Report
from tutor.render import report_text


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
