"""Moodle: the assignment's offline grading worksheet, filled for "Upload grading worksheet".

Format rules, each from Moodle's own source:
- Columns (mod/assign/gradingtable.php, download mode): `Identifier` (`recordid`), `Full name`,
  `Email address`, `Status`, `Grade`, `Maximum grade` (`maxgrade`; a scale assignment has `Scale`
  instead), `Grade can be changed`, `Last modified (submission)`, ..., `Last modified (grade)`,
  then one column per feedback plugin editor field (`Feedback comments`).
- Import (mod/assign/feedback/offline/importgradeslib.php, `init` and `next`): the upload is
  refused unless the `Identifier`, `Grade` and `Last modified (grade)` columns are there; the id is
  the Identifier with the `Participant ` prefix (`hiddenuser`) cut off, looked up with
  `get_user_id_for_uniqueid`; feedback columns are found by their description.
- What gets applied (mod/assign/feedback/offline/locallib.php, `process_import_grades`): an
  empty grade is skipped, so is one above the maximum, one that equals the current grade, and one
  whose grade was changed in Moodle after the worksheet's `Last modified (grade)` (unless "Allow
  updating records that have been modified more recently in Moodle" is ticked). We therefore keep
  `Last modified (grade)` as downloaded and scale scores to `Maximum grade`.
- The participant id is the one in Moodle's download names (mod/assign/locallib.php,
  `download_submissions`: `<full name>_<get_uniqueid_for_user>_assignsubmission_...`), see `lms`.
- Feedback comments are stored as HTML by the comments plugin, so the text goes in `<pre>`,
  escaped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from exercises.schema import Exercise
from tutor.batch.cells import csv_text, risky
from tutor.batch.lmsbook import Matching, Table, by_lms, decimal_like, feedback_for, grade_out_of, read_table
from tutor.batch.models import StoredResult, Submission
from tutor.errors import UserError
from tutor.state.atomic import write_atomic

IDENTIFIER = "Identifier"
GRADE = "Grade"
MAXIMUM = "Maximum grade"
MODIFIED = "Last modified (grade)"
CAN_CHANGE = "Grade can be changed"
COMMENTS = "Feedback comments"
TRAILING_ID = re.compile(r"(\d+)\s*$")


def _column(header: list[str], name: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        if name == MAXIMUM and "Scale" in header:
            raise UserError("Moodle worksheet: the assignment is graded on a scale; tutor writes "
                            "points: set the assignment's grade type to Point and download again") from None
        raise UserError(f"Moodle worksheet: no {name!r} column; download it again with Grading action "
                        "> Download grading worksheet (Moodle in English)") from None


def comment_html(out: Path, result: StoredResult, spec: Exercise) -> str:
    return "<pre>" + html.escape(feedback_for(out, result, spec)) + "</pre>"


def fill(table: Table, spec: Exercise, submissions: list[Submission], results: list[StoredResult],
         graded: set[str], out: Path) -> Matching:
    """Write `moodle-worksheet.csv` in `out` and say how the batch matched the worksheet."""
    header = table.rows[0]
    ident, grade, maximum = (_column(header, c) for c in (IDENTIFIER, GRADE, MAXIMUM))
    _column(header, MODIFIED)
    comments = header.index(COMMENTS) if COMMENTS in header else None
    can_change = header.index(CAN_CHANGE) if CAN_CHANGE in header else None
    mine, other, pending = by_lms(submissions, results, "moodle", graded)
    match = Matching(lms="moodle", written=str(out / "moodle-worksheet.csv"), column=GRADE, not_lms=other)
    if comments is None:
        match.notes.append("no 'Feedback comments' column (enable Feedback comments in the assignment "
                           "to upload feedback with the grades)")
    seen = set()
    rows_out = [header]
    for row in table.rows[1:]:
        row = row + [""] * (len(header) - len(row))
        found = TRAILING_ID.search(row[ident])
        pid = found.group(1) if found else ""
        if pid:
            seen.add(pid)
        result = mine.get(pid)
        if not pid:
            pass
        elif pid in pending:
            match.not_graded.append(pid)
        elif result is None:
            match.no_submission.append(pid)
        elif can_change is not None and row[can_change].strip().lower() == "no":
            match.skipped.append(f"{pid}: grade locked in Moodle ('Grade can be changed' is No)")
        else:
            try:
                top = float(row[maximum].replace(",", "."))
            except ValueError:
                match.skipped.append(f"{pid}: no maximum grade in the worksheet")
            else:
                row[grade] = decimal_like(row[maximum], grade_out_of(result, top))
                if comments is not None:
                    row[comments] = comment_html(out, result, spec)
                match.filled.append(pid)
        match.neutralised += sum(1 for cell in row if risky(cell))
        rows_out.append(row)
    match.no_student = sorted(set(mine) - seen)
    match.notes.append("upload with Grading action > Upload grading worksheet; grades changed in "
                       "Moodle after the download are kept unless you tick 'Allow updating records "
                       "that have been modified more recently in Moodle'")
    write_atomic(out / "moodle-worksheet.csv", ("\ufeff" if table.bom else "") + csv_text(rows_out, table.delimiter))
    return match


def write(worksheet: Path, out: Path, spec: Exercise, submissions: list[Submission],
          results: list[StoredResult], graded: set[str]) -> Matching:
    return fill(read_table(worksheet, "Moodle grading worksheet"), spec, submissions, results, graded, out)
