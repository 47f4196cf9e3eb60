"""TensorFlow never enters the TUI process: driven in a fresh interpreter, where no other
test can have imported it first, through the course, a task, a hint, help, a check (its report
comes back from a `tutor check` child) and the jobs screen. This is the one such test: an
in-process assert could not fail once any earlier test had imported Keras."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

SCRIPT = r"""
import sys
sys.path.insert(0, {repo!r})
from tests.tui_support import canned_jobs, run_app, start_with_solution, wait_for

async def scenario(pilot, app):
    await pilot.press("enter")          # open the first task
    await pilot.pause()
    await pilot.press("h")              # reveal a hint
    await pilot.pause()
    await pilot.press("escape", "question_mark")
    await pilot.pause()
    await pilot.press("escape")
    await start_with_solution(pilot, app, "task8.1")
    await pilot.press("c")              # check: tutor check runs in a child, the report comes back
    await wait_for(pilot, lambda: "task8.1" in app.reports and not app.screen.busy,
                   timeout=240, what="tutor check to finish")
    assert app.reports["task8.1"].status == "passed"
    await pilot.press("j")              # the jobs screen
    await pilot.pause()

run_app(scenario, size=(80, 24), fetch_jobs=canned_jobs([]))
heavy = [m for m in ("tensorflow", "keras") if m in sys.modules]
print("HEAVY", heavy)
"""


def test_the_tui_process_never_imports_tensorflow():
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO))],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HEAVY []" in result.stdout, result.stdout[-500:]
