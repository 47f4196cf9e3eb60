"""A grade report in the terminal (rich): `tutor.report_view`'s view laid out as text.

Used by `tutor check/grade` and by batch grading's per-student feedback files (`report_text`).
Everything a submission wrote (messages, layer names) is shown as plain text, never
interpreted as rich markup. No cell takes more than two lines, at any width.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any, Optional

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from exercises.schema import Exercise
from grader.report import Report
from tutor.report_view import BaselineComparison, LayerComparison, ReportView, report_view

MAX_LINES = 2  # a table cell wraps to one extra line at most, then ends in "…"


def clipped(value: str, width: int, style: str = "") -> Text:
    """`value` wrapped to `width`, at most MAX_LINES lines."""
    lines = textwrap.wrap(value, width=max(width, 4), max_lines=MAX_LINES, placeholder=" …",
                          break_long_words=True, break_on_hyphens=False) or [""]
    return Text("\n".join(lines), style=style, no_wrap=True, overflow="ellipsis")


def column_widths(view: ReportView, width: int, fixed: int) -> tuple[int, int, int]:
    """(check label, want, got) widths for a table `width` wide whose other columns and gaps take
    `fixed`: want and got get what they need up to a quarter of the rest each, the label the
    remainder (what the label does not need goes back to want and got)."""
    free = max(36, width - fixed)
    label_need = max(len(r.label) for r in view.checks)
    want_need = max(len("want"), *(len(r.want) for r in view.checks))
    got_need = max(len("got"), *(len(r.got) for r in view.checks))
    cap = max(10, free // 4)
    want_w, got_w = min(want_need, cap), min(got_need, cap)
    label_w = min(label_need, free - want_w - got_w)
    spare = free - label_w - want_w - got_w
    more_want = min(want_need - want_w, spare // 2)
    want_w += more_want
    got_w += min(got_need - got_w, spare - more_want)
    return label_w, want_w, got_w


class ChecksTable:
    """The check rows as a table fitted to the width it is printed at."""

    def __init__(self, view: ReportView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self.view.checks
        status_w = max(len(f"{r.mark.icon} {r.mark.word}") for r in rows)
        points_w = max(6, *(len(r.points) for r in rows))
        label_w, want_w, got_w = column_widths(self.view, options.max_width, status_w + points_w + 3 * 4)
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("check", width=label_w)
        table.add_column("status", width=status_w, no_wrap=True)
        table.add_column("want", width=want_w)
        table.add_column("got", width=got_w)
        table.add_column("points", justify="right", width=points_w, no_wrap=True)
        for row in rows:
            mark = row.mark
            table.add_row(
                clipped(row.label, label_w),
                Text(f"{mark.icon} {mark.word}", style=mark.style),
                clipped(row.want, want_w),
                clipped(row.got, got_w, mark.style if row.status in ("failed", "error", "missing") else ""),
                Text(row.points),
            )
        yield table


def problem_lines(view: ReportView) -> Optional[Text]:
    """One line per failed check (named as in the table), then the checks not run, once."""
    text = Text()
    for line in view.problems:
        text.append(f"{line.mark.icon} {line.label}: ", style=line.mark.style)
        text.append(line.message + "\n")
    if view.not_run is not None:
        text.append(f"{view.not_run.line}\n", style="bold red" if not view.problems else "")
    text.rstrip()
    return text if text.plain else None


def layer_table(layers: LayerComparison) -> Table:
    """Layer by layer: class, output shape, params, trainable; beside the baseline's."""
    table = Table(title=layers.title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  pad_edge=False, caption=layers.totals, caption_justify="left")
    table.add_column("#", justify="right")
    table.add_column("layer", no_wrap=True, overflow="ellipsis")
    table.add_column("output shape", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("trainable", no_wrap=True)
    if layers.against_baseline:
        table.add_column("baseline", no_wrap=True, overflow="ellipsis")
    for row in layers.rows:
        cells: list[Any] = [str(row.number)]
        if row.yours is not None:
            cells += [Text(row.yours.class_name), row.yours.shape, row.yours.params, row.yours.trainable]
        else:
            cells += [Text("(none)", style="dim"), "", "", ""]
        if layers.against_baseline:
            theirs = row.baseline
            if theirs is None:
                cells.append(Text("(none)", style="dim"))
            elif row.same:
                cells.append(Text("same", style="dim"))
            else:
                cells.append(Text(f"{theirs.class_name} {theirs.shape} {theirs.params}", style="yellow"))
        table.add_row(*cells)
    return table


def baseline_table(comparison: BaselineComparison) -> Table:
    """Yours against the published baseline: what, baseline, yours, change."""
    table = Table(title="against the baseline", title_justify="left", title_style="bold", box=None,
                  pad_edge=False)
    table.add_column("")
    table.add_column("baseline", justify="right")
    table.add_column("yours", justify="right")
    table.add_column("change", justify="right")
    for row in comparison.rows:
        style = "" if row.better is None else ("green" if row.better else "red")
        table.add_row(row.what, row.baseline, row.yours, Text(row.change, style=style or "dim"))
    return table


def baseline_part(view: ReportView) -> Optional[RenderableType]:
    """The comparison with the baseline, what the baseline is, and how to measure your accuracy
    when it is not yet."""
    if view.baseline is None:
        return None
    comparison = view.baseline
    parts: list[RenderableType] = [baseline_table(comparison),
                                   Text(f"baseline: {comparison.source}: {comparison.description}", style="dim")]
    if comparison.pending:
        parts.append(Text(comparison.pending))
    return Group(*parts)


def score_text(view: ReportView) -> Text:
    """`✘ task8.1 failed, 4 of 10 points   test accuracy 0.9801   3.2 s` and why it could not grade."""
    text = Text(view.score_line, style=view.mark.style)
    if view.error:
        text.append(f"\ncould not grade: {view.error}", style="yellow")
    return text


def next_text(view: ReportView) -> Optional[Text]:
    return Text(f"Next: {view.next_step}", style="bold") if view.next_step else None


def render_view(view: ReportView) -> RenderableType:
    parts: list[RenderableType] = []
    if view.title:
        parts.append(Text(view.title, style="bold"))
    if view.checks:
        parts.append(ChecksTable(view))
    problems = problem_lines(view)
    if problems is not None:
        parts.append(problems)
    if view.layers is not None:
        parts += [Text(""), layer_table(view.layers)]
    baseline = baseline_part(view)
    if baseline is not None:
        parts += [Text(""), baseline]
    if view.provenance:
        parts.append(Text(view.provenance, style="dim"))
    parts += [Text(""), score_text(view)]
    step = next_text(view)
    if step is not None:
        parts.append(step)
    return Group(*parts)


def render_report(
    report: Report,
    spec: Optional[Exercise] = None,
    *,
    task: Any = None,
    mode: Optional[str] = None,
    context: Any = None,
    console: Optional[Console] = None,
) -> RenderableType:
    """The whole report as one rich renderable; printed on `console` when one is given.
    With `task` (a catalog Task) and `mode` the words are the verdict's (`tutor.next_step`)."""
    view = report_view(report, task if task is not None else spec, mode, context)
    group = render_view(view)
    if console is not None:
        console.print(group)
    return group


def report_text(report: Report, spec: Optional[Exercise] = None, width: int = 100) -> str:
    """The report as plain text (no colour codes), e.g. for a per-student feedback file."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(render_report(report, spec))
    return buffer.getvalue()


__all__ = ["render_report", "render_view", "report_text", "ChecksTable", "layer_table", "baseline_table"]
