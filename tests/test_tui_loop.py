"""Issue #19 in the TUI (pilot): the shown pane has the keys, so PageDown scrolls it at once."""

from __future__ import annotations

from tests.test_tui_snapshots import baseline_check_report
from tests.tui_support import run_app


def test_after_a_report_the_results_pane_has_the_keys_and_pagedown_scrolls_it():
    async def scenario(pilot, app):
        app.open_task("task8.1")
        await pilot.pause()
        screen = app.screen
        screen.show_report(baseline_check_report(), "check")  # what c / g / t end with
        await pilot.pause()
        results = screen.query_one("#results-view")
        assert screen.query_one("#tabs").active == "results"
        assert screen.focused is results
        await pilot.press("pagedown")
        await pilot.pause()
        assert results.scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert results.scroll_y == 0
        await pilot.press("i")  # the instructions come back with the keys
        await pilot.pause()
        assert screen.focused is screen.query_one("#instructions-scroll")

    run_app(scenario, size=(80, 24))


def test_the_84_instructions_scroll_with_pagedown_at_80x24():
    async def scenario(pilot, app):
        app.open_task("task8.4")
        await pilot.pause()
        scroll = app.screen.query_one("#instructions-scroll")
        assert app.screen.focused is scroll
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0

    run_app(scenario, size=(80, 24))


def test_clicking_a_tab_gives_its_pane_the_keys():
    async def scenario(pilot, app):
        app.open_task("task8.1")
        await pilot.pause()
        await pilot.click("#tabs Tab#--content-tab-hints")
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#hints-scroll")

    run_app(scenario, size=(80, 24))
