"""How the CLI shows one grading report, shared by `tutor check/grade` (grading.py), `tutor
watch` (watching.py) and `tutor export` (notebooks.py): the report itself (tutor/render.py), the
notebook's summary lines, and the one reason line for a report that did not pass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from rich.console import Console

from tutor.cli.output import out
from tutor.context import load_context
from tutor.next_step import check_label
from tutor.render import render_report

if TYPE_CHECKING:
    from exercises import Task
    from grader.report import Report


def show_report(report: "Report", task: "Task", mode: str, notes_to: Console) -> None:
    """The report on stdout with its verdict and next step, then a notebook's summary lines
    on `notes_to`."""
    render_report(report, task=task, mode=mode, context=load_context(), console=out)
    for line in notebook_lines(report):
        notes_to.print(line, markup=False, highlight=False)


def reason_line(report: "Report", task: Optional["Task"] = None) -> str:
    """The one line on stderr for a report that did not pass (checks named as in the table)."""
    if report.status == "error":
        return report.error or "could not grade"
    failing = [c for c in report.checks if c.required and c.status in ("failed", "error", "missing")]
    if not failing:
        not_run = report.not_run()
        failing = [c for c in report.checks if c.required and c.status != "passed" and c not in not_run]
    first = failing[0] if failing else None
    label = check_label(first, task.spec if task else None) if first else ""
    what = f"{label}: {first.message}" if first else "not every required check passed"
    more = f" (+{len(failing) - 1} more)" if len(failing) > 1 else ""
    return f"{report.task} {report.status}: {what}{more}"


def notebook_lines(report: "Report", notes: int = 5) -> list[str]:
    """'lab.ipynb: ran 4 of 5 code cells, stopped before cell 5 line 2 (...)' and its notes."""
    info = (report.meta or {}).get("notebook") if report.meta else None
    if not isinstance(info, dict) or not info.get("summary"):
        return []
    lines = [f"notebook {info['summary']}"]
    skipped = [str(n) for n in info.get("notes") or []]
    lines += [f"  {n}" for n in skipped[:notes]]
    if len(skipped) > notes:
        lines.append(f"  (+{len(skipped) - notes} more left out)")
    return lines
