"""What `tutor batch` leaves in `--out`: the gradebook CSV and a feedback file per student
(the Canvas and Moodle files are `canvas` and `moodle`; Gradescope and PrairieLearn run tutor
inside their own harness, see `tutor.autograder`). Every file is written to a temporary name
and renamed into place, so a reader never sees half a file; every CSV cell goes through
`cells.safe_cell`, so nothing a student wrote runs as a spreadsheet formula."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from exercises.schema import Exercise
from grader.report import Report
from tutor.batch.cells import csv_text
from tutor.batch.feedback import feedback_text
from tutor.batch.models import StoredResult, Unattributed
from tutor.state.atomic import write_atomic

FORMATS = ("csv",)
MOVED = {
    "gradescope": "Gradescope runs tutor itself: build its autograder with "
                  "`tutor autograder gradescope TASK -o autograder.zip`",
    "prairielearn": "PrairieLearn runs tutor itself: see `tutor autograder prairielearn --help`",
    "canvas": "fill Canvas' gradebook export with --canvas-gradebook EXPORT.csv",
    "moodle": "fill Moodle's grading worksheet with --moodle-worksheet WORKSHEET.csv",
}
LEGACY = ("gradescope", "prairielearn")  # per-student results.json folders of older versions
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


def write_gradebook(path: Path, results: Iterable[StoredResult],
                    extra: Optional[dict[str, dict[str, str]]] = None) -> None:
    """`extra`: per student, the columns tutor.batch.marks adds (manual marks, lateness)."""
    from tutor.batch.marks import EXTRA_COLUMNS

    columns = COLUMNS + EXTRA_COLUMNS
    rows = [columns] + [[{**gradebook_row(r), **(extra or {}).get(r.student, {})}.get(c, "") for c in columns]
                        for r in results]
    _write_if_changed(path, csv_text(rows))


def write_unattributed(path: Path, items: list[Unattributed]) -> None:
    """`unattributed.txt`: path and reason, tab-separated (a spreadsheet opens it too)."""
    if items:
        write_atomic(path, csv_text([(u.path, u.reason) for u in items], delimiter="\t"))
    else:
        path.unlink(missing_ok=True)


def write_student_files(out: Path, result: StoredResult, spec: Exercise, folders: Iterable[str] = (),
                        note: str = "") -> None:
    """The feedback file a student (or the LMS comment box) gets; `folders` (where the
    submission sat on the instructor's side) are kept out of it; `note`: marks and lateness."""
    text = feedback_text(result.report, spec, result.student, folders) + note
    _write_if_changed(out / "feedback" / f"{result.student}.txt", text)


def remove_stale(out: Path, students: set[str]) -> list[str]:
    """Drop per-student files of students no longer in the batch (e.g. a misnamed upload
    that is now attributed correctly), so --out never shows a grade the gradebook lacks."""
    removed = []
    for path in (out / "feedback").glob("*.txt"):
        if path.stem not in students:
            path.unlink()
            removed.append(path.stem)
    for kind in LEGACY:  # no platform reads them: an older version's, removed whole
        for result in (out / kind).glob("*/results.json"):
            result.unlink()
            for folder in (result.parent, result.parent.parent):
                try:
                    folder.rmdir()
                except OSError:
                    pass
    return sorted(set(removed))


def parse_formats(value: Optional[str]) -> list[str]:
    from tutor.errors import UserError

    names = [v.strip().lower() for v in (value or "csv").split(",") if v.strip()]
    moved = [n for n in names if n in MOVED]
    if moved:
        raise UserError(f"--format {moved[0]}: {MOVED[moved[0]]}")
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UserError(f"unknown --format {', '.join(unknown)}: choose from {', '.join(FORMATS)}")
    return names or ["csv"]
