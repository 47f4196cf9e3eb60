"""The course screen: what a student sees first, driven through Textual's pilot."""

from __future__ import annotations

from textual.widgets import DataTable, Input, ProgressBar, Static

from tests.tui_support import cell_text, notices, row_keys, run_app, screen_text
from tutor.context import load_context
from tutor.state.student_progress import record_done, record_result
from tutor.tui.screens.course import CourseScreen
from tutor.tui.screens.help import HelpScreen
from tutor.tui.screens.task import TaskScreen


def all_tasks() -> list[str]:
    return [t.id for t in load_context().catalog]


def task_rows(app) -> list[str]:
    table = app.screen.query_one("#tasks", DataTable)
    return [k.removeprefix("task:") for k in row_keys(table) if k.startswith("task:")]


def test_course_lists_every_chapter_and_task_with_status():
    record_result("task8.1", "check", "passed", 0.6)
    record_done("task7.1")

    async def scenario(pilot, app):
        assert isinstance(app.screen, CourseScreen)
        assert task_rows(app) == all_tasks()
        assert {"task7.1", "task8.1", "task8.5"} <= set(task_rows(app))
        table = app.screen.query_one("#tasks", DataTable)
        chapters = [cell_text(table, k, "title") for k in row_keys(table) if k.startswith("chapter:")]
        assert chapters[0].startswith("Chapter 7") and chapters[1].startswith("Chapter 8")
        assert "checks pass" in cell_text(table, "task:task8.1", "status")
        assert "done" in cell_text(table, "task:task7.1", "status")
        assert "not started" in cell_text(table, "task:task8.4", "status")
        assert "GPU" in cell_text(table, "task:task8.5", "kind")
        label = app.screen.query_one("#overall-label", Static)
        assert str(label.render()) == f"1/{len(all_tasks())} tasks complete"
        assert app.screen.query_one(ProgressBar).progress == 1

    run_app(scenario)


def test_filter_narrows_the_list_and_escape_clears_it():
    async def scenario(pilot, app):
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#filter", Input)
        await pilot.press(*"slurm gpu")
        await pilot.pause()
        rows = task_rows(app)
        assert rows[0] == "task8.4" and "task8.1" not in rows and len(rows) < len(all_tasks())
        await pilot.press("enter")  # back to the list, filter kept
        assert isinstance(app.focused, DataTable)
        await pilot.press("enter")  # opens the first match
        await pilot.pause()
        assert isinstance(app.screen, TaskScreen) and app.screen.exercise.id == "task8.4"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert task_rows(app) == all_tasks()

    run_app(scenario)


def test_enter_opens_the_highlighted_task_and_escape_returns():
    async def scenario(pilot, app):
        await pilot.press("down", "down", "down", "down")  # 7.1 -> 7.2, 7.3, chapter 8, 8.1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskScreen)
        assert app.screen.exercise.id == "task8.1"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CourseScreen)

    run_app(scenario)


def test_mouse_click_on_a_task_opens_it():
    async def scenario(pilot, app):
        table = app.screen.query_one("#tasks", DataTable)
        row = row_keys(table).index("task:task7.2")
        await pilot.click("#tasks", offset=(4, row + 1))  # +1: the header row
        await pilot.click("#tasks", offset=(4, row + 1))
        await pilot.pause()
        assert isinstance(app.screen, TaskScreen) and app.screen.exercise.id == "task7.2"

    run_app(scenario)


def test_help_lists_every_key_of_every_screen():
    async def scenario(pilot, app):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(screen_text(app).split())
        from tutor.tui.app import TutorApp
        from tutor.tui.screens.jobs import JobsScreen

        for binding in TutorApp.BINDINGS + TaskScreen.BINDINGS + JobsScreen.BINDINGS:
            assert " ".join((binding.tooltip or binding.description).split()) in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CourseScreen)

    run_app(scenario, size=(160, 80))


def test_q_quits():
    async def scenario(pilot, app):
        await pilot.press("q")
        await pilot.pause()

    app = run_app(scenario)
    assert app.return_code == 0


def test_a_corrupt_progress_file_is_a_warning_and_a_fresh_start(isolated_home):
    state = isolated_home / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "progress.json").write_text("{ not json")

    async def scenario(pilot, app):
        assert isinstance(app.screen, CourseScreen)
        assert any("was unreadable" in n for n in notices(app, "warning"))
        assert "0/" in str(app.screen.query_one("#overall-label", Static).render())

    run_app(scenario)
