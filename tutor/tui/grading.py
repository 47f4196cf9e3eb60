"""Check and grade through the real CLI, recording the outcome in the student's progress
when the CLI did not already do so."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from grader.report import Report
from tutor.state.student_progress import load_progress, record_result
from tutor.tui.runner import CliResult, run_cli


def _stamp(task_id: str, mode: str) -> object:
    entry = load_progress().task(task_id)
    result = entry.last_grade if mode == "grade" else entry.last_check
    return result.at if result else None


async def run_report(mode: str, task_id: str,
                     path: Optional[Path]) -> tuple[CliResult, Optional[Report]]:
    """`tutor check|grade TASK --json [--path DIR]`: the result and its report (None when the
    CLI printed no valid report; `result.reason` then says why).

    Raises OSError only when the progress file cannot be read or written."""
    stamp = _stamp(task_id, mode)
    args = [mode, task_id, "--json"] + (["--path", str(path)] if path is not None else [])
    result = await run_cli(*args)
    report = result.report()
    if report is not None and _stamp(task_id, mode) == stamp:
        record_result(task_id, mode, report.status, report.score)
    return result, report
