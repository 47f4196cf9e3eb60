"""The end-of-batch summary: pass rate, score histogram, most common failed checks and the
slowest submissions, printed for the instructor and saved as `summary.json`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from exercises.schema import Exercise
from tutor.batch.lmsbook import Matching
from tutor.batch.models import StoredResult, Unattributed
from tutor.console import escape
from tutor.next_step import label_of
from tutor.state.atomic import write_atomic

BINS = 10


class Summary(BaseModel):
    task: str
    total: int
    passed: int
    failed: int
    errors: int
    pass_rate: float
    mean_score: float
    histogram: list[int]  # counts of scores in [0, .1), [.1, .2) ... [.9, 1.0]
    failed_checks: list[tuple[str, str, int]]  # id, title, students
    slowest: list[tuple[str, float]]  # student, grading seconds
    common_error: Optional[str] = None  # set when every submission failed the same way
    graded_now: int = 0
    skipped_unchanged: int = 0
    unattributed: list[Unattributed] = []
    wall_s: Optional[float] = None
    lms: list[Matching] = []
    isolation: Optional[str] = None  # how student code was isolated (grader.sandbox.isolation), plainly


def isolation_of(results: list[StoredResult]) -> Optional[str]:
    """The weakest isolation any report records (reports name it in meta), else this machine's."""
    seen = {str(r.report.meta["isolation"]) for r in results if r.report.meta.get("isolation")}
    if seen:
        return max(seen, key=_strength)
    from grader.sandbox.isolation import available, describe

    return describe(available())


def _strength(text: str) -> int:
    """0 for the strongest level (grader.sandbox.isolation.LEVELS); higher is weaker."""
    level = text.split(":")[0]
    return ("namespaces", "landlock", "none").index(level) if level in ("namespaces", "landlock", "none") else 3


def summarise(spec: Exercise, results: list[StoredResult], unattributed: list[Unattributed],
              graded_now: int = 0, skipped: int = 0, wall_s: Optional[float] = None,
              lms: Optional[list[Matching]] = None) -> Summary:
    statuses = Counter(r.report.status for r in results)
    histogram = [0] * BINS
    for r in results:
        histogram[min(BINS - 1, int(r.report.score * BINS))] += 1
    failed = Counter(c.id for r in results for c in r.report.failed_checks())
    slow = sorted(results, key=lambda r: r.report.duration_s, reverse=True)[:5]
    total = len(results)
    errors = {r.report.error for r in results if r.report.status == "error"}
    common = errors.pop() if total > 1 and statuses["error"] == total and len(errors) == 1 else None
    return Summary(
        common_error=common,
        task=spec.id,
        total=total,
        passed=statuses["passed"],
        failed=statuses["failed"],
        errors=statuses["error"],
        pass_rate=statuses["passed"] / total if total else 0.0,
        mean_score=sum(r.report.score for r in results) / total if total else 0.0,
        histogram=histogram,
        failed_checks=[(cid, label_of(cid, spec), n) for cid, n in failed.most_common(5)],
        slowest=[(r.student, round(r.report.duration_s, 2)) for r in slow],
        graded_now=graded_now,
        skipped_unchanged=skipped,
        unattributed=unattributed,
        wall_s=wall_s,
        lms=lms or [],
        isolation=isolation_of(results),
    )


def save(out: Path, summary: Summary) -> None:
    write_atomic(out / "summary.json", summary.model_dump_json(indent=2) + "\n")


def render(console: Console, summary: Summary, out: Path) -> None:
    s = summary
    console.print(
        f"[bold]{escape(s.task)}[/]: {s.total} submissions, {s.passed} passed, {s.failed} failed, "
        f"{s.errors} could not be graded; pass rate {s.pass_rate:.0%}, mean score {s.mean_score:.0%}", markup=True
    )
    rate = f" in {s.wall_s:.0f} s" if s.wall_s else ""
    console.print(f"graded now: {s.graded_now}{rate}; unchanged since the last run: {s.skipped_unchanged}")
    if s.isolation:
        weak = not s.isolation.startswith("namespaces")
        console.print(f"isolation {s.isolation}", style="bold yellow" if weak else "", markup=False)
    widest = max(s.histogram) or 1
    console.print("score histogram:")
    for i, count in enumerate(s.histogram):
        low, high = i * 10, (i + 1) * 10
        label = f"{low:3d}-{high:<3d}%" if i < BINS - 1 else f"{low:3d}-100%"
        console.print(f"  {label} {'#' * round(30 * count / widest):<30} {count}", markup=False)
    if s.failed_checks:
        table = Table("most failed check", "students", box=None, pad_edge=False)
        for cid, title, n in s.failed_checks:
            table.add_row(Text(f"{title} ({cid})" if title != cid else cid), str(n))
        console.print(table)
    if s.slowest:
        console.print(escape("slowest: " + ", ".join(f"{who} {sec:.1f} s" for who, sec in s.slowest)),
                      markup=True)
    if s.common_error:
        console.print(f"[bold yellow]every submission failed the same way:[/] {escape(s.common_error)}", markup=True)
        console.print("that is likely the setup, not the students: fix it, then rerun with "
                      "--regrade errors", markup=False)
    if s.unattributed:
        console.print(f"{len(s.unattributed)} input(s) could not be attributed to a student:", style="yellow",
                      markup=False)
        for item in s.unattributed:
            console.print(escape(f"  {item.path}: {item.reason}"), markup=True)
    for match in s.lms:
        render_matching(console, match)
    console.print(f"gradebook: {out / 'gradebook.csv'}; integrity flags: {out / 'integrity.txt'}",
                  markup=False)


def render_matching(console: Console, m: Matching) -> None:
    """Loud: every student who did not line up with the LMS file is named."""
    lms = {"canvas": "Canvas", "moodle": "Moodle"}[m.lms]
    console.print(f"[bold]{lms}[/]: {len(m.filled)} grade(s) written to {escape(m.written)}"
                  + (escape(f" (column {m.column!r})") if m.column else ""), highlight=False, markup=True)
    problems = [
        (m.no_submission, "in the export with no submission (left as they were)"),
        (m.no_student, f"graded but not in the {lms} file (not written)"),
        (m.not_lms, f"graded from names that carry no {lms} id (not written)"),
        (m.skipped, "not written"),
        (m.not_graded, "submitted but not graded yet (rerun the same command), left as they were"),
    ]
    for items, what in problems:
        if items:
            console.print(f"  [yellow]{len(items)} {what}:[/] " + escape(", ".join(items)), highlight=False,
                          markup=True)
    if m.neutralised:
        console.print(f"  {m.neutralised} cell(s) that a spreadsheet would run as a formula were "
                      "prefixed with ' (OWASP CSV-injection rule)", markup=False)
    for note in m.notes:
        console.print(escape(f"  {note}"), markup=True)
