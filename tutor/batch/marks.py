"""What the instructor adds to automatic grades: rubric marks for `manual` checks (OUT/marks.csv,
filled in by hand and merged on the next run) and late penalties from the course deadlines (the
hand-in times `tutor collect` recorded in SOURCE/.collect.json)."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from exercises.schema import Exercise
from tutor.batch.cells import csv_text, plain_cell
from tutor.batch.models import StoredResult
from tutor.state.atomic import write_atomic

MARKS = "marks.csv"
MARK_COLUMNS = ["student", "name", "check", "max_points", "points", "comment", "rubric"]
EXTRA_COLUMNS = ["manual_points", "total_points", "total_max", "late_days", "late_penalty", "final_score"]


@dataclass
class Adjustments:
    """Per student: manual points given, lateness, and what the instructor should know."""

    manual: dict[str, float] = field(default_factory=dict)
    late_days: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def manual_checks(spec: Exercise) -> list:
    return [c for c in spec.checks if c.kind == "manual"]


def _read_marks(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The rows as the instructor left them, every cell as tutor was given it (`plain_cell`).

    A spreadsheet saves it its own way: a BOM ("CSV UTF-8"), CRLF, `;` or tab as the separator
    (locales with a decimal comma). All are read. A file that cannot be read as such is refused
    with a UserError and left untouched: rewriting it would wipe the marks typed into it."""
    from tutor.errors import UserError

    if not path.exists():
        return {}
    redo = "save it again as CSV UTF-8 and rerun `tutor batch` (it was left as it is; nothing is regraded)"
    try:
        text = path.read_bytes().decode("utf-8-sig")
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = max((",", ";", "\t"), key=first.count) if first else ","
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [{key.strip(): plain_cell(value or "") for key, value in row.items() if isinstance(key, str)}
                for row in reader]
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text (a spreadsheet's legacy CSV?): {redo}") from None
    except (OSError, csv.Error) as exc:
        raise UserError(f"{path} cannot be read as CSV ({exc}): {redo}") from None
    if text.strip() and not {"student", "check", "points"} <= {k.strip() for k in reader.fieldnames or []}:
        raise UserError(f"{path} has no student, check and points columns: {redo}")
    return {(row.get("student", ""), row.get("check", "")): row for row in rows}


def merge_marks(out: Path, spec: Exercise, results: Iterable[StoredResult], adjust: Adjustments) -> None:
    """Write OUT/marks.csv with a row per student and manual check, keeping what was filled in,
    and add the filled-in points to `adjust.manual` (a bad value is a warning, not a mark)."""
    checks = manual_checks(spec)
    path = out / MARKS
    if not checks:
        return
    old = _read_marks(path)
    rows: list[list[str]] = [MARK_COLUMNS]
    for result in results:
        for check in checks:
            row = old.get((result.student, check.id), {})
            points_text = (row.get("points") or "").strip()
            if points_text:
                try:
                    points = float(points_text)
                    if not 0 <= points <= check.points or math.isnan(points):
                        raise ValueError
                    adjust.manual[result.student] = adjust.manual.get(result.student, 0.0) + points
                except ValueError:
                    adjust.warnings.append(f"{path}: {result.student}, {check.id}: points {points_text!r} is not "
                                           f"a number from 0 to {check.points:g}; not counted")
            rows.append([result.student, result.name, check.id, f"{check.points:g}", points_text,
                         row.get("comment", ""), check.rubric])
    text = csv_text(rows)  # the instructor opens it in a spreadsheet: no student cell is a formula
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, text)


def late_days(source: Path, task_id: str, adjust: Adjustments) -> None:
    """Days late (started days) per student, from `tutor collect`'s report in the source folder."""
    path = Path(source) / ".collect.json"
    if not path.is_file():
        return
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        adjust.warnings.append(f"{path}: unreadable, so no late penalties were applied")
        return
    if report.get("task") not in (None, task_id):
        adjust.warnings.append(f"{path} is for {report.get('task')}, not {task_id}: no late penalties applied")
        return
    for row in report.get("rows", []):
        late = row.get("late_by_s")
        if isinstance(late, (int, float)) and late > 0:
            adjust.late_days[str(row.get("student"))] = math.ceil(late / 86400)


def extra_columns(result: StoredResult, spec: Exercise, adjust: Adjustments, per_day: float,
                  cap: float) -> dict[str, str]:
    """manual_points, total_points/total_max (automatic + manual), lateness and final_score."""
    r = result.report
    manual_max = sum(c.points for c in manual_checks(spec))
    manual = adjust.manual.get(result.student)
    total = r.points + (manual or 0.0)
    total_max = r.max_points + manual_max
    days = adjust.late_days.get(result.student, 0)
    penalty = min(days * per_day, cap) if per_day else 0.0
    base = total / total_max if total_max else r.score
    return {
        "manual_points": "" if manual is None else f"{manual:g}",
        "total_points": f"{total:g}",
        "total_max": f"{total_max:g}",
        "late_days": str(days) if days else "",
        "late_penalty": f"{penalty:.2f}" if penalty else "",
        "final_score": f"{base * (1 - penalty):.4f}",
    }


def feedback_note(columns: dict[str, str]) -> str:
    """What the gradebook adds for this student, in words for their feedback file."""
    lines = []
    if columns.get("manual_points"):
        lines.append(f"marked by your instructor: {columns['manual_points']} points")
    if columns.get("late_days"):
        lines.append(f"handed in late ({columns['late_days']} started day(s)): penalty "
                     f"{float(columns['late_penalty'] or 0):.0%}")
    if not lines:
        return ""
    lines.append(f"total {columns['total_points']}/{columns['total_max']}, final score "
                 f"{float(columns['final_score']):.0%}")
    return "\n" + "\n".join(lines) + "\n"


def adjustments(out: Path, source: Path, spec: Exercise, results: list[StoredResult]) -> Adjustments:
    adjust = Adjustments()
    merge_marks(out, spec, results, adjust)
    late_days(source, spec.id, adjust)
    return adjust


def columns_for(results: list[StoredResult], spec: Exercise, adjust: Adjustments,
                per_day: float, cap: float) -> dict[str, dict[str, str]]:
    return {r.student: extra_columns(r, spec, adjust, per_day, cap) for r in results}


__all__ = ["Adjustments", "EXTRA_COLUMNS", "adjustments", "columns_for", "MARKS"]

