"""Gradebook CSV, Gradescope and PrairieLearn results.json (validated against their published
schemas), feedback files and the summary, from reports shaped like the grader's."""

from __future__ import annotations

import csv
import json

from exercises import load_catalog
from grader.report import CheckResult, ModelSummary, Report
from tutor.batch import exports, summary
from tutor.batch.models import StoredResult, Unattributed
from tutor.batch.schemas import GradescopeResults, PrairieLearnResults
from rich.console import Console

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


def test_gradescope_and_prairielearn_files_follow_their_schemas(tmp_path):
    for result in RESULTS:
        exports.write_student_files(tmp_path, result, TASK.spec, ["gradescope", "prairielearn"])
    for result in RESULTS:
        gs = GradescopeResults.model_validate_json(
            (tmp_path / "gradescope" / result.student / "results.json").read_text())
        assert gs.score == result.report.points
        assert sum(t.max_score for t in gs.tests) == result.report.max_points
        pl_path = tmp_path / "prairielearn" / result.student / "results.json"
        assert pl_path.stat().st_size < 1 << 20
        pl = PrairieLearnResults.model_validate_json(pl_path.read_text())
        if result.report.status == "error":
            assert pl.gradable is False and "SyntaxError" in pl.format_errors[0]
        else:
            assert pl.score == result.report.score
            assert [t.points for t in pl.tests] == [c.points for c in result.report.checks]
    bob = json.loads((tmp_path / "gradescope" / "bob" / "results.json").read_text())
    statuses = {t["name"]: t["status"] for t in bob["tests"]}
    assert statuses["test accuracy at least 0.975 after the 5-epoch recipe"] == "failed"
    feedback = (tmp_path / "feedback" / "bob.txt").read_text()
    assert "bob" in feedback and "accuracy message" in feedback


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
        exports.write_student_files(tmp_path, result, TASK.spec, ["gradescope", "prairielearn"])
    (tmp_path / "feedback" / "README.md").write_text("the instructor's own notes")
    assert exports.remove_stale(tmp_path, {"alice", "bob"}) == ["carol"]
    assert not (tmp_path / "feedback" / "carol.txt").exists()
    assert not (tmp_path / "gradescope" / "carol").exists()
    assert (tmp_path / "prairielearn" / "bob" / "results.json").exists()
    assert (tmp_path / "feedback" / "README.md").exists()
