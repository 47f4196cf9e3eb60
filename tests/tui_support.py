"""Helpers for the TUI tests: drive the real app through Textual's pilot."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import traceback
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.conftest import REPO
from tutor.state.student_progress import load_progress
from tutor.tui.app import TutorApp
from tutor.tui.runner import CliResult


def run_app(scenario: Callable[[Pilot, TutorApp], Awaitable[Any]], size=(80, 24),
            **app_kwargs: Any) -> TutorApp:
    """Run `scenario(pilot, app)` against a fresh headless app; returns the app."""
    app_kwargs.setdefault("fetch_jobs", None)
    app_kwargs.setdefault("blink", False)
    app = TutorApp(**app_kwargs)

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot, app)

    try:
        asyncio.run(main())
    except Exception as exc:  # noqa: BLE001
        # Re-raised flat: pytest on Python 3.11.7 can crash the whole session ("AST
        # constructor recursion depth mismatch") while quoting the deep Textual frames.
        where = "".join(traceback.format_exception(exc)[-12:])
        raise AssertionError(f"{type(exc).__name__}: {exc}\n{where}") from None
    return app


async def wait_for(pilot: Pilot, predicate: Callable[[], bool], timeout: float = 60.0,
                   what: str = "condition") -> None:
    """Let the app run until `predicate()` holds (workers run real subprocesses)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            app = pilot.app
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; "
                                 f"notices: {getattr(app, 'notices', None)}; "
                                 f"jobs: {getattr(app, 'jobs', None)}; "
                                 f"jobs error: {getattr(app, 'jobs_error', None)}")
        await pilot.pause(0.1)


def row_keys(table: DataTable) -> list[str]:
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


def cell_text(table: DataTable, row_key: str, column_key: str) -> str:
    return str(table.get_cell(row_key, column_key))


def canned_jobs(jobs: list[dict], code: int = 0, stderr: str = "") -> Callable[[], Awaitable[CliResult]]:
    """A jobs fetcher returning fixed `tutor jobs --json` output (for stable snapshots)."""

    async def fetch() -> CliResult:
        return CliResult(["jobs", "--json"], code, json.dumps(jobs) if code == 0 else "", stderr)

    return fetch


def notices(app: TutorApp, severity: Optional[str] = None) -> list[str]:
    return [m for s, m in app.notices if severity is None or s == severity]


def screen_text(app: TutorApp) -> str:
    """The characters on the terminal right now, one line per row (what the student reads)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)


async def start_with_solution(pilot: Pilot, app: TutorApp, task_id: str) -> Path:
    """Open the task, start its workspace with s, copy the reference solution in."""
    app.open_task(task_id)
    await pilot.pause()
    await pilot.press("s")
    await pilot.pause()
    workspace = Path(load_progress().task(task_id).workspace or "")
    assert workspace.is_dir(), f"s did not start the {task_id} workspace"
    for item in (REPO / "solutions" / task_id).iterdir():
        if item.is_file():
            shutil.copy2(item, workspace / item.name)
    return workspace
