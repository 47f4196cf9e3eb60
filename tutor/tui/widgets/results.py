"""A report on screen: `tutor.report_view`'s view in widgets. The score and next step, the
comparison with the task's baseline and the problem lines are the CLI's own rich pieces
(`tutor.render`); the checks and the layer-by-layer comparison are tables you can scroll."""

from __future__ import annotations

from typing import Optional

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from exercises import Task
from grader.report import Report
from tutor.render import baseline_part, clipped, column_widths, next_text, problem_lines, score_text
from tutor.report_view import ReportView, report_view

# DataTable pads each cell by one column on both sides; the checks table has 5 columns.
CELL_PADDING = 2 * 5


class ResultsView(VerticalScroll):
    """Empty until `show(report, task)`."""

    def compose(self) -> ComposeResult:
        yield Static("No results yet: press c to check, g to grade.", id="score")
        yield Static(id="baseline")  # the accuracy against the baseline: the line that motivates
        yield Static(id="messages")  # what is wrong and what to do, before the table's details
        yield DataTable(id="checks", cursor_type="row", show_cursor=False)
        yield Static("layer by layer", id="layers-title", classes="section")
        yield DataTable(id="layers", cursor_type="row", show_cursor=False)

    def running(self, what: str) -> None:
        """While a new check/grade/train runs, the old result says it is the old one."""
        shown = self.query_one("#score", Static)
        text = Text(f"{what}: running… ", style="bold yellow")
        text.append("(what follows is the previous result)" if self.query_one("#checks").display
                    else "", style="dim")
        shown.update(text)

    def on_mount(self) -> None:
        checks = self.query_one("#checks", DataTable)
        checks.add_column("", key="icon", width=1)
        checks.add_column("check", key="check")
        checks.add_column("want", key="want")
        checks.add_column("got", key="got")
        checks.add_column("points", key="points")
        layers = self.query_one("#layers", DataTable)
        for label in ("#", "yours", "output shape", "params", "trainable", "baseline", "shape", "params "):
            layers.add_column(label)
        self._visible(False, False)

    def _visible(self, checks: bool, layers: bool) -> None:
        self.query_one("#checks").display = checks
        self.query_one("#layers-title").display = layers
        self.query_one("#layers").display = layers

    def stopped(self, what: str, reason: str) -> None:
        """A run that produced no report: say so above the previous result."""
        text = Text(f"{what} failed: ", style="bold red")
        text.append(reason)
        if self.query_one("#checks").display:
            text.append("\n(what follows is the previous result)", style="dim")
        self.query_one("#score", Static).update(text)

    def show(self, report: Report, task: Task, mode: Optional[str] = None) -> ReportView:
        """Lay out the report's view; returns it (the screen words its notification from it)."""
        if mode is None:  # a report kept from earlier: a check leaves the accuracy skipped
            not_run = report.not_run()
            mode = "check" if any(c.status == "skipped" and c not in not_run for c in report.checks) else "grade"
        view = report_view(report, task, mode, getattr(self.app, "context", None))
        score = score_text(view)
        step = next_text(view)
        if step is not None:
            score.append("\n").append_text(step)
        self.query_one("#score", Static).update(score)
        self._fill_checks(view)
        for name, part in (("#baseline", baseline_part(view)), ("#messages", problem_lines(view))):
            static = self.query_one(name, Static)
            static.update(part or "")
            static.display = part is not None
        if view.layers is not None:
            self._fill_layers(view)
        self._visible(bool(view.checks), view.layers is not None)
        self.scroll_home(animate=False)
        return view

    def _fill_checks(self, view: ReportView) -> None:
        """One row per check, no cell over two lines at the width the pane has."""
        table = self.query_one("#checks", DataTable)
        table.clear()
        if not view.checks:
            return
        width = (self.size.width or self.app.size.width) - 4  # padding and the scroll bar
        points_w = max(len("points"), *(len(r.points) for r in view.checks))
        label_w, want_w, got_w = column_widths(view, width, CELL_PADDING + 1 + points_w)
        for row in view.checks:
            style = row.mark.style
            table.add_row(Text(row.mark.icon, style=style), clipped(row.label, label_w, style),
                          clipped(row.want, want_w), clipped(row.got, got_w), row.points,
                          key=row.id, height=None)

    def _fill_layers(self, view: ReportView) -> None:
        assert view.layers is not None
        table = self.query_one("#layers", DataTable)
        table.clear()
        self.query_one("#layers-title", Static).update(view.layers.title)
        for row in view.layers.rows:
            style = "dim" if row.same else ("yellow" if row.baseline is not None else "")
            mine, ref = row.yours, row.baseline
            cells = [str(row.number)]
            cells += [mine.class_name, mine.shape, mine.params, mine.trainable] if mine else ["—", "", "", ""]
            cells += [ref.class_name, ref.shape, ref.params] if ref else ["", "", ""]
            table.add_row(*(Text(c, style=style) for c in cells))
