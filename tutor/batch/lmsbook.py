"""What the Canvas and Moodle gradebook writers share: reading the instructor's export as it
is (BOM, delimiter), the grade each student gets, and the loud list of what did not match."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from tutor.batch.models import StoredResult, Submission
from tutor.errors import UserError


class Matching(BaseModel):
    """How a filled LMS file lines up with the batch: nothing is attributed by guess."""

    lms: str  # "canvas" or "moodle"
    written: str  # the file to import
    column: str = ""
    filled: list[str] = []  # LMS ids given a grade
    no_submission: list[str] = []  # in the export, nothing submitted (left as they were)
    no_student: list[str] = []  # graded, but no such student in the export (not written)
    not_lms: list[str] = []  # graded from a name that carries no id of this LMS
    skipped: list[str] = []  # in both, but not written, and why
    not_graded: list[str] = []  # submitted, but no grade yet (rerun the command)
    neutralised: int = 0  # cells of the export that would have run as formulas
    notes: list[str] = []


@dataclass
class Table:
    """An exported CSV, kept cell for cell so untouched rows go back as they came."""

    rows: list[list[str]]
    delimiter: str
    bom: bool


def read_table(path: Path, what: str) -> Table:
    """Read the instructor's export; a clear one-line error when it is not a CSV."""
    path = path.expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path}: the {what} is not UTF-8 text; download it again as CSV") from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max((",", ";", "\t"), key=first.count) if first else ","
    rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if len(rows) < 1 or len(rows[0]) < 2:
        raise UserError(f"{path}: the {what} is empty or not a CSV file")
    return Table(rows=rows, delimiter=delimiter, bom=bom)


def feedback_for(out: Path, result: StoredResult, spec) -> str:
    """The student's feedback file as `tutor batch` wrote it (instructor paths scrubbed)."""
    try:
        return (out / "feedback" / f"{result.student}.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        from tutor.batch.feedback import feedback_text

        return feedback_text(result.report, spec, result.student)


def grade_out_of(result: StoredResult, maximum: float) -> str:
    """The task's score scaled to the LMS' maximum, as a plain number (two decimals at most,
    as Canvas shows them)."""
    value = round(result.report.score * maximum, 2)
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def by_lms(submissions: list[Submission], results: list[StoredResult], lms: str,
           graded: set[str]) -> tuple[dict[str, StoredResult], list[str], set[str]]:
    """Results keyed by this LMS' id, the students whose names carry no such id, and this LMS'
    students with a submission but no grade yet (a batch stopped early)."""
    lms_of = {s.student: s.lms for s in submissions}
    mine, other, pending = {}, [], set()
    for result in results:
        if lms_of.get(result.student) != lms:
            if result.student in graded:
                other.append(result.student)
        elif result.student in graded:
            mine[result.student] = result
        else:
            pending.add(result.student)
    return mine, sorted(other), pending


def decimal_like(sample: str, text: str) -> str:
    """`text` with the decimal comma when the LMS file writes its numbers that way."""
    return text.replace(".", ",") if "," in sample and "." not in sample else text
