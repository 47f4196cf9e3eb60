"""The human rendering of a report: want/got table, score, layer table, baseline comparison."""

import re

from rich.console import Console

from exercises import load_catalog
from grader.report import Report
from tests.checks_helpers import BASELINE_81, run, spec, summary
from tutor.render import render_report, report_text


def report_for(task_id: str, model, mode="check", **fields) -> Report:
    checks = list(run(task_id, mode=mode, summary=model, **fields).values())
    points = sum(c.points for c in checks)
    max_points = sum(c.max_points for c in checks)
    failed = any(c.status in ("failed", "error") for c in checks)
    return Report(
        task=task_id,
        status="failed" if failed else "passed",
        score=points / max_points,
        points=points,
        max_points=max_points,
        checks=checks,
        model=model,
        duration_s=1.25,
        accuracy=fields.get("accuracy"),
    )


def test_failed_checks_show_want_got_points_and_the_fix():
    dense = summary([("Dense", [None, 10], 7850, "relu")], [None, 784])
    text = report_text(report_for("task8.1", dense), spec("task8.1"))
    assert "want" in text and "got" in text and "points" in text
    row = next(line for line in text.splitlines() if line.startswith("input-shape"))
    assert "✘ failed" in row and "(None, 28, 28, 1)" in row and "(None, 784)" in row and "0/1" in row
    assert "keras.Input(shape=(28, 28, 1))" in text
    assert "✘ task8.1 failed, 4 of 10 points (40%)" in text
    assert "\x1b[" not in text  # plain text for feedback files


def test_failed_structural_check_shows_the_layer_table_against_the_baseline():
    baseline = summary(BASELINE_81, [None, 28, 28, 1])
    text = report_text(report_for("task8.1", baseline), spec("task8.1"), width=100)
    assert "layer by layer (against the baseline)" in text
    layer_rows = [line for line in text.splitlines() if line.split()[:1] in (["1"], ["2"], ["3"], ["4"], ["5"], ["6"])]
    assert len(layer_rows) == 6 and all(line.rstrip().endswith("same") for line in layer_rows)
    assert "51,264" in text and "62,346 total, 62,346 trainable, 0 non-trainable" in text
    assert re.search(r"^layers +6 +6 +\+0$", text, re.M), text


def test_passing_structure_has_no_layer_table_but_compares_accuracy_with_the_book():
    bigger = summary(
        [("Conv2D", [None, 28, 28, 32], 832, "relu"), *BASELINE_81[1:]],
        [None, 28, 28, 1],
    )
    report = report_for("task8.1", bigger, mode="grade")
    report = report.model_copy(update={"accuracy": 0.9851})
    text = report_text(report, spec("task8.1"))
    assert "layer by layer" not in text
    assert re.search(r"^accuracy +0.9704 +0.9851 +\+0.0147$", text, re.M), text
    assert "trained 5 epochs, sgd, batch 100" in " ".join(text.split())


def test_gpu_task_points_to_submit():
    frozen = summary([("Dense", [None, 10], 12810, "softmax")], [None, 96, 96, 3])
    text = report_text(report_for("task8.5", frozen), spec("task8.5"), width=120)
    assert "your accuracy after `tutor submit task8.5` and `tutor grade task8.5`" in text


def test_messages_are_not_rich_markup():
    dense = summary([("Dense", [None, 10], 7850, "relu")], [None, 784])
    report = report_for("task8.1", dense)
    report.checks[0].message = "[bold red]injected[/bold red] text"
    assert "[bold red]injected[/bold red] text" in report_text(report, spec("task8.1"), width=200)


def test_render_report_prints_on_a_console_given_a_task():
    task = load_catalog().get("task8.1")
    console = Console(record=True, width=100)
    render_report(Report.could_not_grade("task8.1", "model.py line 3: SyntaxError"), task=task, console=console)
    text = console.export_text()
    assert "task8.1  Improve the basic CNN" in text
    assert "could not grade: model.py line 3: SyntaxError" in text
