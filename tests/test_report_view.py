"""One report view (tutor/report_view.py) behind the CLI, the TUI and batch feedback (#15 items 2, 4):
the same report gives the same rows and rules in `tutor grade`'s text and on the TUI's Results
pane; a model.keras that cannot be opened is one line ("7 checks not run: ..."), never "no
model.keras"; and no check cell takes three lines at 80 columns, in the real CLI or at 80x24."""

from __future__ import annotations

import json
import re
import shutil

from rich.console import Console
from textual.widgets import DataTable, Static

from exercises import load_catalog
from grader.report import CheckResult, LayerSummary, Report
from tests.checks_helpers import BASELINE_81, run, spec, summary
from tests.conftest import REPO, run_tutor
from tests.tui_support import run_app, screen_text, wait_for
from tutor.render import render_report, report_text
from tutor.report_view import CHECK_MARKS, report_view

NOT_RUN = re.compile(r"^(\d+) checks not run: model\.keras could not be opened: (.+)$")


def report_of(task_id: str, model, mode: str = "check", **fields) -> Report:
    checks = list(run(task_id, mode=mode, summary=model, **fields).values())
    points = sum(c.points for c in checks)
    max_points = sum(c.max_points for c in checks)
    return Report(task=task_id, status="failed", score=points / max_points, points=points,
                  max_points=max_points, checks=checks, model=model, duration_s=2.0)


def backbone_report() -> Report:
    """Task 8.1 with a pretrained, partly frozen backbone in front: a structural check fails
    (so the layer table shows), the backbone's trainable count is partial."""
    model = summary(BASELINE_81, [None, 28, 28, 1])
    backbone = LayerSummary(name="backbone", class_name="Functional", output_shape=[None, 24, 24, 32], params=832,
                            trainable_params=100, trainable=True, sublayers=154, frozen_sublayers=134)
    model = model.model_copy(update={"layers": [backbone, *model.layers[1:]]})
    return report_of("task8.1", model)


def tui_results(report: Report, size=(80, 24), mode: str = "check") -> dict:
    """What the TUI's Results pane holds for `report` shown after `tutor {mode}`, once its
    score line is on screen."""
    score = report_view(report, load_catalog().get(report.task), mode).score_line.split("   ")[0]
    seen: dict = {}

    async def scenario(pilot, app):
        app.open_task("task8.1")
        await pilot.pause()
        app.screen.show_report(report, mode)
        await wait_for(pilot, lambda: score in screen_text(app), what=f"{score!r} on screen")
        checks = app.screen.query_one("#checks", DataTable)
        layers = app.screen.query_one("#layers", DataTable)
        seen["checks"] = {row.key.value: [str(c) for c in checks.get_row(row.key)] for row in checks.ordered_rows}
        seen["heights"] = {row.key.value: row.height for row in checks.ordered_rows}
        seen["layers"] = [[str(c) for c in layers.get_row(row.key)] for row in layers.ordered_rows] \
            if layers.display else []
        seen["messages"] = str(app.screen.query_one("#messages", Static).render())
        seen["screen"] = screen_text(app)

    run_app(scenario, size=size)
    return seen


def test_the_same_report_gives_the_same_rows_in_the_cli_and_the_tui():
    report = backbone_report()
    task = load_catalog().get("task8.1")
    view = report_view(report, task, "check")
    console = Console(record=True, width=120, color_system=None)
    render_report(report, task=task, mode="check", console=console)  # what `tutor check` prints
    text = console.export_text()
    tui = tui_results(report, size=(120, 40))
    # Checks: one label rule (titles), the same want / got / points in both.
    assert [r.id for r in view.checks] == list(tui["checks"])
    for row in view.checks:
        shown = [" ".join(cell.split()) for cell in tui["checks"][row.id]]  # cells wrap to 2 lines
        assert shown == [row.mark.icon, row.label, row.want, row.got, row.points]
        line = next(line for line in text.splitlines() if line.startswith(row.label[:30]))
        assert f"{row.mark.icon} {row.mark.word}" in line and row.points in line and row.want[:12] in line
    # Layers: the batch axis left out and "trainable" by one rule in both.
    assert view.layers is not None
    first = view.layers.rows[0].yours
    assert first is not None and (first.shape, first.trainable) == ("(24, 24, 32)", "20 of 154")
    assert tui["layers"][0][:5] == ["1", "Functional", "(24, 24, 32)", "832", "20 of 154"]
    assert re.search(r"^1 +Functional +\(24, 24, 32\) +832 +20 of 154 ", text, re.M), text
    assert "(None, 24, 24, 32)" not in text and "frozen" not in text
    for i, row in enumerate(view.layers.rows[1:], start=1):  # the rest is the baseline's own
        assert row.same and tui["layers"][i][1:4] == [row.yours.class_name, row.yours.shape, row.yours.params]
    # The same problem lines and the same verdict.
    for line in view.problems:
        assert f"{line.label}: {line.message}" in " ".join(tui["messages"].split())
    assert view.score_line.split("   ")[0] in text and view.score_line.split("   ")[0] in tui["screen"]


def test_a_model_that_could_not_be_opened_is_one_line_not_one_per_check():
    model_row = run("task8.1", mode="grade", model_error="model.keras is corrupt: not a Keras archive",
                    artifact_error="model.keras is corrupt: not a Keras archive")
    loads = CheckResult(id="model-loads", kind="artifact", status="failed",
                        message="model.keras is corrupt: not a Keras archive")
    # A skipped check that does not read the model (its kind's trait) is not one of them.
    logs = CheckResult(id="logs", kind="log", status="skipped", message="not yet: submit the job")
    checks = [loads, *model_row.values(), logs]
    report = Report(task="task8.1", status="failed", score=0, points=0, max_points=10, checks=checks, duration_s=1)
    view = report_view(report, spec("task8.1"))
    assert view.not_run is not None
    assert view.not_run.line == (f"{len(checks) - 2} checks not run: model.keras could not be opened: "
                                 "model.keras is corrupt: not a Keras archive")
    assert view.problems == ()  # the model-loads row's reason is the summary's, said once
    assert [r.status for r in view.checks] == ["failed"] + ["not run"] * (len(checks) - 2) + ["skipped"]
    text = " ".join(report_text(report, spec("task8.1"), width=80).split())
    assert text.count("not a Keras archive") == 1 and "no model.keras" not in text


def test_a_model_keras_that_cannot_be_scored_never_says_there_is_none():
    refused = run("task8.1", mode="grade", summary=summary(BASELINE_81, [None, 28, 28, 1]),
                  artifact_error="model.keras cannot be scored: predict() failed")["accuracy"]
    assert refused.status == "failed" and refused.actual == "not scored", refused
    assert "no model.keras" not in refused.message and refused.message.startswith("model.keras cannot be scored")
    absent = run("task8.1", mode="grade")["accuracy"]
    assert absent.status == "missing" and absent.actual == "no model.keras"


MARKS = {mark.icon for mark in CHECK_MARKS.values()}


def table_rows(text: str) -> list[list[str]]:
    """The check table's rows of a report printed as text: each row's lines (a row starts where
    the status column holds a mark)."""
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("check ") and " status " in line)
    status_at = lines[head].index("status")
    rows: list[list[str]] = []
    for line in lines[head + 2:]:
        if not line.strip() or len(line) <= status_at:
            break
        if line[status_at] in MARKS:
            rows.append([line])
        elif line[status_at] == " " and rows:
            rows[-1].append(line)
        else:
            break
    return rows


def test_long_titles_and_values_take_two_lines_at_most_at_80_columns():
    text = report_text(backbone_report(), spec("task8.1"), width=80)
    rows = table_rows(text)
    assert len(rows) == len(backbone_report().checks)
    assert all(len(row) <= 2 for row in rows) and any(len(row) == 2 for row in rows), text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    # Cut text ends in "…", and the titles start as written.
    assert any(row[0].startswith("differs from the") for row in rows)


def test_a_corrupt_model_keras_at_80_columns_in_tutor_grade_and_the_tui(isolated_home):
    folder = isolated_home / "work" / "task8.1"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "solutions" / "task8.1" / "model.py", folder / "model.py")
    (folder / "model.keras").write_bytes(b"\x89not a model" * 300)
    proc = run_tutor("grade", "task8.1", "--path", str(folder), env={"COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    summary_lines = [m for m in map(NOT_RUN.match, out.splitlines()) if m]
    assert len(summary_lines) == 1, out
    count, reason = summary_lines[0].groups()
    assert int(count) >= 6 and reason and reason in proc.stderr
    assert out.count(reason) == 1, out  # the cause once, not once per check
    assert "no model.keras" not in out + proc.stderr and "not checked" not in out
    rows = table_rows(out)
    assert len(rows) == int(count) + 1, out  # model-loads, then every check that could not run
    assert all(len(row) <= 2 for row in rows), "\n".join("\n".join(r) for r in rows)
    assert all(len(line) <= 80 for row in rows for line in row)
    assert sum("not run" in row[0] for row in rows) == int(count)

    # The same report on the TUI's Results pane at 80x24: the same one line, no tall rows.
    graded = run_tutor("grade", "task8.1", "--path", str(folder), "--json")
    report = Report.model_validate(json.loads(graded.stdout))
    tui = tui_results(report, mode="grade")
    assert all(height <= 2 for height in tui["heights"].values()), tui["heights"]
    assert " ".join(tui["messages"].split()).count(reason) == 1
    assert f"{count} checks not run: model.keras could not be opened" in tui["screen"], tui["screen"]
