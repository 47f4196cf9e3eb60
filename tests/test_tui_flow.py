"""The main flow, for real: browse -> open task 8.1 -> reveal a hint -> start the workspace ->
copy in a solution -> check (the real `tutor check` in a subprocess) -> the checks pass and
the progress changes. And a broken submission shows its reason instead of crashing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.conftest import REPO
from tests.tui_support import cell_text, notices, run_app, screen_text, start_with_solution, wait_for
from tutor.state.student_progress import load_progress
from tutor.tui.screens.course import CourseScreen
from tutor.tui.screens.task import TaskScreen


def put_solution(workspace: Path) -> None:
    """The reference solution if the grader issue has shipped it, else the starter changed
    the way hint 3 suggests (a hidden Dense layer and Adam)."""
    reference = REPO / "solutions" / "task8.1"
    if (reference / "model.py").is_file():
        for item in reference.iterdir():
            if item.is_file():
                shutil.copy2(item, workspace / item.name)
        return
    model = workspace / "model.py"
    source = model.read_text()
    source = source.replace("layers.Flatten(),",
                            'layers.Flatten(),\n            layers.Dense(64, activation="relu"),')
    model.write_text(source.replace('optimizer="sgd"', 'optimizer="adam"'))


def checks_table(app) -> DataTable:
    return app.screen.query_one("#checks", DataTable)


def test_browse_hint_start_solve_check(isolated_home):
    async def scenario(pilot, app):
        assert isinstance(app.screen, CourseScreen)
        await pilot.press("slash", *"task8.1", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskScreen) and app.screen.exercise.id == "task8.1"
        await pilot.press("h")
        await pilot.pause()
        assert "Hint 1/" in screen_text(app)
        await pilot.press("s")
        await pilot.pause()
        workspace = isolated_home / "work" / "task8.1"
        assert (workspace / "model.py").is_file()
        assert str(app.screen.query_one("#workspace", Static).render()).endswith("task8.1")
        put_solution(workspace)
        await pilot.press("c")
        await wait_for(pilot, lambda: "task8.1" in app.reports and not app.screen.busy,
                       timeout=180, what="tutor check to finish")
        report = app.reports["task8.1"]
        assert report.status == "passed", report.model_dump_json(indent=1)
        table = checks_table(app)
        assert table.row_count == len(report.checks) >= 6
        for check in report.checks:
            icon = cell_text(table, check.id, "icon")
            assert icon == ("–" if check.status == "skipped" else "✔"), check
        await pilot.pause(0.5)  # let the Results pane finish its refresh
        assert "✔ task8.1 structure OK" in screen_text(app)  # the CLI's score line
        assert any(n.startswith("Structure OK") and "Next: tutor train task8.1" in n for n in notices(app))
        await pilot.press("escape")
        await pilot.pause()
        course = app.screen.query_one("#tasks", DataTable)
        assert "checks pass" in cell_text(course, "task:task8.1", "status")

    run_app(scenario, size=(120, 40))
    entry = load_progress().task("task8.1")
    assert entry.status.value == "checks pass" and entry.hints_shown == 1
    assert entry.last_check is not None and entry.last_check.status == "passed"


def test_a_broken_submission_shows_its_reason(isolated_home):
    async def scenario(pilot, app):
        app.open_task("task8.1")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        (isolated_home / "work" / "task8.1" / "model.py").write_text("def build_model(:\n")
        await pilot.press("c")
        await wait_for(pilot, lambda: "task8.1" in app.reports and not app.screen.busy,
                       timeout=180, what="tutor check to finish")
        assert app.reports["task8.1"].status == "failed"
        warning = notices(app, "warning")[-1]
        assert "syntax error" in warning and "model.py line 1" in warning
        await pilot.pause(0.5)
        assert "✘ " in screen_text(app) and "syntax error" in screen_text(app)
        # could not grade (exit 2): the CLI's one-line reason arrives as an error notification
        model = isolated_home / "work" / "task8.1" / "model.py"
        model.unlink()
        model.symlink_to("/etc/hostname")
        await pilot.press("c")
        await wait_for(pilot, lambda: bool(notices(app, "error")), timeout=120,
                       what="the error notification")
        assert "symlink" in notices(app, "error")[-1]
        assert "could not grade" in screen_text(app)
        assert isinstance(app.screen, TaskScreen)  # no crash

    run_app(scenario, size=(120, 40))
    assert load_progress().task("task8.1").status.value == "in progress"


@pytest.mark.slow
def test_train_locally_then_grade(isolated_home):
    """Task 7.2 trains here (no GPU needed): progress streams into the status line, then g
    grades the trained model and the task is graded, with the baseline comparison."""
    seen: list[str] = []

    async def scenario(pilot, app):
        await start_with_solution(pilot, app, "task7.2")
        await pilot.press("t")
        await pilot.pause()

        def trained() -> bool:
            seen.append(str(app.screen.query_one("#busy", Static).render()))
            return app.screen.busy is None

        await wait_for(pilot, trained, timeout=600, what="tutor train to finish")
        assert any(line.startswith("training: epoch 5/5") for line in seen), seen
        assert (isolated_home / "work" / "task7.2" / "model.keras").is_file()
        # `t` behaves like `tutor train`: the trained model is graded and shown at once.
        trained_report = app.reports["task7.2"]
        assert trained_report.accuracy is not None
        assert app.screen.query_one("#tabs").active == "results"
        assert app.screen.focused is app.screen.query_one("#results-view")
        assert f"{trained_report.accuracy:.4f}" in screen_text(app)
        await pilot.press("g")
        await wait_for(pilot, lambda: "task7.2" in app.reports and not app.screen.busy,
                       timeout=300, what="tutor grade to finish")
        report = app.reports["task7.2"]
        assert report.status == "passed" and report.accuracy is not None
        text = screen_text(app)
        assert "against the baseline" in text and f"{report.accuracy:.4f}" in text

    run_app(scenario, size=(100, 40))
    assert load_progress().task("task7.2").status.value == "graded"
