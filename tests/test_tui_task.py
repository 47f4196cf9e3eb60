"""The task screen: instructions, hints one at a time, the workspace, the actions' keys."""

from __future__ import annotations

from textual.widgets import Markdown, Static, TabbedContent

from tests.tui_support import notices, run_app, screen_text, wait_for
from tutor.state.student_progress import load_progress


def open_task(app, task_id: str) -> None:
    app.open_task(task_id)


def test_instructions_render_as_markdown():
    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        md = app.screen.query_one("#instructions-md", Markdown)
        assert md.source == app.context.task("task8.1").instructions()
        assert "Improve the basic CNN" in screen_text(app)
        assert "workspace: not started yet (press s)" in screen_text(app)

    run_app(scenario)


def test_hints_are_revealed_one_at_a_time_and_remembered():
    total = None

    async def first_visit(pilot, app):
        nonlocal total
        open_task(app, "task8.1")
        await pilot.pause()
        total = len(app.screen.exercise.spec.hints)
        await pilot.press("h")
        await pilot.pause()
        assert app.screen.query_one("#tabs", TabbedContent).active == "hints"
        text = screen_text(app)
        assert f"Hint 1/{total}" in text and f"Hint 2/{total}" not in text
        assert f"Hints (1/{total})" in text

    run_app(first_visit)
    assert load_progress().task("task8.1").hints_shown == 1
    assert load_progress().task("task8.1").status.value == "in progress"

    async def second_visit(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        text = screen_text(app)
        assert f"Hint 1/{total}" in text and f"Hint 2/{total}" in text

    run_app(second_visit, size=(120, 40))
    assert load_progress().task("task8.1").hints_shown == 2


def test_start_creates_the_workspace_and_shows_its_path(isolated_home):
    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        line = str(app.screen.query_one("#workspace", Static).render())
        assert line.startswith("workspace: ") and line.endswith("task8.1")
        assert any("starter files copied" in n for n in notices(app))

    run_app(scenario, size=(200, 30))
    ws = isolated_home / "work" / "task8.1"
    assert (ws / "model.py").is_file() and (ws / "NOTES.md").is_file()
    assert load_progress().task("task8.1").workspace == str(ws)


def test_check_without_a_workspace_says_what_to_do():
    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        await pilot.pause()
        assert "task8.1 has no workspace yet: press s to start it." in notices(app, "warning")

    run_app(scenario)


def test_keys_follow_the_task_kind():
    async def scenario(pilot, app):
        open_task(app, "task8.5")  # needs a GPU: train is shown but disabled, submit works
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("train", ()) is None
        assert screen.check_action("submit", ()) is True
        await wait_for(pilot, lambda: screen_text(app).splitlines()[-1].strip() != "", what="the footer")
        footer = screen_text(app).splitlines()[-1]
        assert "Submit" in footer and "Done" not in footer
        await pilot.press("escape")
        open_task(app, "task7.1")  # a guide: no check/grade/train/submit, but done
        await pilot.pause()
        await wait_for(pilot, lambda: "Done" in screen_text(app).splitlines()[-1], what="the footer")
        footer = screen_text(app).splitlines()[-1]
        assert "Done" in footer and "Check" not in footer and "Submit" not in footer
        await pilot.press("d")
        await pilot.pause()
        assert load_progress().task("task7.1").status.value == "done"
        await pilot.press("escape")
        await pilot.pause()
        assert "1/" in str(app.screen.query_one("#overall-label", Static).render())

    run_app(scenario, size=(160, 30))


def test_progress_that_cannot_be_saved_is_a_notification_not_a_crash(isolated_home, monkeypatch):
    blocker = isolated_home / "not-a-folder"
    blocker.write_text("a file where the state folder should be\n")
    monkeypatch.setenv("TUTOR_HOME", str(blocker))

    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert any(n.startswith("could not save your progress") for n in notices(app, "error"))
        assert app.screen.exercise.id == "task8.1"  # still here, still working
        await pilot.press("escape")
        await pilot.pause()
        assert "tasks complete" in screen_text(app)

    run_app(scenario)


def test_a_notebook_submission_and_where_its_check_stopped(isolated_home):
    """The workspace holds the chapter-8 notebook (model.py is the untouched starter): the task
    screen says the submission is that notebook, and after `c` at which cell the check stopped."""
    from tests import notebook_support as nb
    from tests.tui_support import wait_for

    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        workspace = isolated_home / "work" / "task8.1"
        nb.chapter8(workspace / "cnn.ipynb", improved=True)
        app.screen.refresh_head()
        await pilot.pause()
        line = str(app.screen.query_one("#submission", Static).render())
        assert line == "submission: cnn.ipynb (notebook)"
        await pilot.press("c")
        await wait_for(pilot, lambda: "task8.1" in app.reports and not app.screen.busy,
                       timeout=300, what="tutor check to finish")
        report = app.reports["task8.1"]
        assert report.status == "passed", report.model_dump_json(indent=1)
        line = str(app.screen.query_one("#submission", Static).render())
        assert "last check ran 3 of 4 code cells, stopped before cell 4 line 4" in line
        assert "stopped before cell 4 line 4" in screen_text(app)  # on the terminal, not only in the widget

    run_app(scenario, size=(200, 40))


def test_no_submission_line_for_model_py(isolated_home):
    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one("#submission", Static).display is False

    run_app(scenario)


def test_a_reason_quoting_student_text_is_shown_as_typed(isolated_home):
    """A failure reason quotes what the student wrote (a file name, an exception message): the
    status line shows it literally, never as Textual markup (which would hide text, or crash
    the app on a stray closing tag)."""
    reason = "tutor check failed: model.py line 3: [/b][bold red]no[/] [link=http://x]click[/link]"

    async def scenario(pilot, app):
        open_task(app, "task8.1")
        await pilot.pause()
        app.screen.set_busy(reason, error=True)
        await pilot.pause(0.3)
        assert "[/b][bold red]no[/] [link=http://x]click[/link]" in screen_text(app)

    run_app(scenario, size=(120, 30))
