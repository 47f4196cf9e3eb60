"""Canvas: the instructor's gradebook export, filled for Canvas' "Import" and a zip of feedback
files for "Upload Feedback Comments".

Format rules, each from canvas-lms' own source:
- Export layout (lib/gradebook_exporter.rb, `csv_data`): a header row `Student` (or `LastName`,
  `FirstName`), `ID` (the Canvas user id), optional `SIS User ID`, `SIS Login ID`, optional
  `Integration ID` and `Root Account`, `Section`, custom columns, one column per assignment named
  `title_with_id` (`Title (123)`), then read-only totals. An optional "Manual Posting" row, then
  the `    Points Possible` row, then one row per student; a score is written with at most two
  decimals, `EX` for excused, `N/A` where the student cannot see the assignment.
- Import: we keep the export's student columns and the task's column only (the other
  assignments' and the totals' cells would be imported too, and could undo a grade entered in
  Canvas since the export). A student we have no submission for keeps the cell the export had.
- Students are matched by the user id Canvas writes in bulk-download names (see `lms`).
- Feedback comments (app/models/assignment.rb, `generate_comments_from_files` /
  `infer_comment_context_from_filename`): Canvas reads the first two all-digit `_` fields of
  each file name in the uploaded zip as user id and attachment id, and takes the file only if
  that attachment belongs to the student's submission; so each feedback file is named
  `<name>_<user id>_<attachment id>_feedback.txt` with an attachment id from the download.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Optional

from exercises.schema import Exercise
from tutor.batch.cells import csv_text, risky
from tutor.batch.lmsbook import Matching, Table, by_lms, decimal_like, feedback_for, grade_out_of, read_table
from tutor.batch.models import StoredResult, Submission
from tutor.errors import UserError
from tutor.state.atomic import write_atomic

STUDENT_COLUMNS = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
                   "Integration ID", "Root Account", "Section")
ASSIGNMENT = re.compile(r"^(?P<title>.*\S) \((?P<id>\d+)\)$")
POINTS_ROW = "Points Possible"
MANUAL_POSTING = "Manual Posting"


def _normal(text: str) -> str:
    return re.sub(r"[\s_\-:]+", "", text.lower())


def task_column(header: list[str], spec: Exercise, choice: str = "") -> int:
    """The export's column for this task: the one named `choice`, else the one assignment
    whose title names the task id (or its title). Asks when there is not exactly one."""
    assignments = [i for i, h in enumerate(header) if ASSIGNMENT.match(h)]
    if choice:
        hits = [i for i in assignments if header[i] == choice or ASSIGNMENT.match(header[i])["title"] == choice
                or ASSIGNMENT.match(header[i])["id"] == choice]
    else:
        task = re.compile(re.escape(_normal(spec.id)) + r"(?!\d)")
        title = _normal(spec.title)
        hits = [i for i in assignments
                if task.search(_normal(ASSIGNMENT.match(header[i])["title"]))
                or (title and _normal(ASSIGNMENT.match(header[i])["title"]) == title)]
    if len(hits) == 1:
        return hits[0]
    names = ", ".join(repr(header[i]) for i in assignments[:12]) or "none"
    what = f"no assignment column named {choice!r}" if choice else (
        f"{'no' if not hits else 'more than one'} assignment column names {spec.id}")
    raise UserError(f"Canvas gradebook: {what}; pick one with --lms-column (columns: {names})")


def _points(rows: list[list[str]], col: int) -> tuple[Optional[int], float]:
    for index, row in enumerate(rows[1:4], 1):
        if row and row[0].strip() == POINTS_ROW:
            try:
                return index, float(row[col].replace(",", "."))
            except (ValueError, IndexError):
                break
    raise UserError("Canvas gradebook: no 'Points Possible' for the task's column; export the "
                    "gradebook again from Canvas (Gradebook > Export) and pass that file")


def fill(table: Table, spec: Exercise, submissions: list[Submission], results: list[StoredResult],
         graded: set[str], out: Path, choice: str = "") -> Matching:
    """Write `canvas-gradebook.csv` in `out` and say how the batch matched the export."""
    header = table.rows[0]
    if "ID" not in header:
        raise UserError("Canvas gradebook: no 'ID' column; pass the CSV from Gradebook > Export")
    col = task_column(header, spec, choice)
    points_at, possible = _points(table.rows, col)
    id_col = header.index("ID")
    keep = [i for i, h in enumerate(header) if h in STUDENT_COLUMNS] + [col]
    mine, other, pending = by_lms(submissions, results, "canvas", graded)
    match = Matching(lms="canvas", written=str(out / "canvas-gradebook.csv"), column=header[col],
                     not_lms=other)
    seen = set()
    rows_out = []
    for index, row in enumerate(table.rows):
        row = row + [""] * (len(header) - len(row))
        meta = index == 0 or index == points_at or (index < (points_at or 0) and not row[id_col])
        if not meta and row[id_col]:
            uid = row[id_col].strip()
            seen.add(uid)
            result = mine.get(uid)
            if uid in pending:
                match.not_graded.append(uid)
            elif result is None:
                match.no_submission.append(uid)
            elif row[col].strip() in ("EX", "N/A"):
                why = "excused" if row[col].strip() == "EX" else "cannot see the assignment"
                match.skipped.append(f"{uid}: {why} in Canvas; left as it was")
            else:
                row[col] = decimal_like(table.rows[points_at][col], grade_out_of(result, possible))
                match.filled.append(uid)
        picked = [row[i] for i in keep]
        match.neutralised += sum(1 for cell in picked if risky(cell))
        rows_out.append(picked)
    match.no_student = sorted(set(mine) - seen)
    match.notes.append(f"{header[col]}: scores scaled to {possible:g} points possible")
    text = csv_text(rows_out, table.delimiter)
    write_atomic(out / "canvas-gradebook.csv", ("\ufeff" if table.bom else "") + text)
    return match


def comments_zip(out: Path, spec: Exercise, submissions: list[Submission],
                 results: list[StoredResult], graded: set[str], match: Matching) -> Path:
    """`canvas-comments.zip`: one feedback file per student given a grade, named so Canvas'
    "Upload Feedback Comments" attaches it to that student's submission."""
    subs = {s.student: s for s in submissions}
    filled = set(match.filled)  # students of this export only: nothing for a stranger
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for result in results:
            sub = subs.get(result.student)
            if sub is None or result.student not in filled:
                continue
            if not sub.attachments:
                match.notes.append(f"{result.student}: no uploaded file to attach a comment to "
                                   "(paste feedback/{0}.txt by hand)".format(result.student))
                continue
            name = re.sub(r"\W", "", sub.name) or "student"
            entry = f"{name}_{result.student}_{sub.attachments[-1]}_feedback.txt"
            archive.writestr(entry, feedback_for(out, result, spec))
    path = out / "canvas-comments.zip"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)
    return path


def write(export: Path, out: Path, spec: Exercise, submissions: list[Submission],
          results: list[StoredResult], graded: set[str], choice: str = "") -> Matching:
    table = read_table(export, "Canvas gradebook export")
    match = fill(table, spec, submissions, results, graded, out, choice)
    comments_zip(out, spec, submissions, results, graded, match)
    return match
