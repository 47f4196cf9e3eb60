"""TensorFlow never enters the TUI process: driven in a fresh interpreter, where no other
test can have imported it first (the in-process TUI tests can only tell when it was absent)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

SCRIPT = r"""
import sys
sys.path.insert(0, {repo!r})
from tests.tui_support import run_app

async def scenario(pilot, app):
    await pilot.press("enter")          # open the first task
    await pilot.pause()
    await pilot.press("h")              # reveal a hint
    await pilot.pause()
    await pilot.press("escape", "question_mark")
    await pilot.pause()

app = run_app(scenario, size=(80, 24))
heavy = [m for m in ("tensorflow", "keras") if m in sys.modules]
print("HEAVY", heavy, app.imported_tensorflow)
"""


def test_the_tui_process_never_imports_tensorflow():
    result = subprocess.run([sys.executable, "-c", SCRIPT.format(repo=str(REPO))],
                            capture_output=True, text=True, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HEAVY [] False" in result.stdout, result.stdout[-500:]
