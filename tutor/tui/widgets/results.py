"""A report on screen: the score, the checks table (want / got / points), the layer-by-layer
comparison when a structural check fails, and the comparison with the task's baseline."""

from __future__ import annotations

from typing import Optional

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from exercises import Task
from exercises.schema import STRUCTURAL_KINDS
from grader.report import Report
from tutor.tui.widgets.format import CHECK_ICON, CHECK_STYLE, points, shape, signed_change, value

STATUS_LINE = {"passed": ("✔ passed", "bold green"), "failed": ("✘ failed", "bold red"),
               "error": ("! could not grade", "bold red")}


def score_line(report: Report, headline: Optional[str] = None, next_step: Optional[str] = None) -> Text:
    """The status and points (in the words of `tutor.next_step` when given), the accuracy,
    and the next step."""
    label, style = STATUS_LINE[report.status]
    text = Text(label, style=style)
    if headline is not None and report.status != "error":
        text = Text(f"{label.split()[0]} {headline[:1].upper()}{headline[1:]}", style=style)
    elif report.status != "error":
        text.append(f"  {points(report.points, report.max_points)} points "
                    f"({report.score:.0%})")
    if report.accuracy is not None:
        text.append(f"  accuracy {report.accuracy:.4f}")
    text.append(f"  {report.duration_s:.1f} s", style="dim")
    if report.error:
        text.append(f"\n{report.error}", style="red")
    if next_step:
        text.append("\nNext: ", style="bold")
        text.append(next_step.replace("`", ""))
    return text


def _unbatched(shape_: Optional[list]) -> Optional[list]:
    """Layer shapes without the batch dimension, as the baseline writes them."""
    return shape_[1:] if shape_ and shape_[0] is None else shape_


def needs_layer_view(report: Report) -> bool:
    return report.model is not None and any(
        c.kind in STRUCTURAL_KINDS for c in report.failed_checks())


def baseline_table(report: Report, task: Task) -> Optional[Table]:
    """Yours against the published baseline (8.1): parameters, depth, accuracy."""
    base = task.spec.baseline
    if base is None or report.model is None:
        return None
    model = report.model
    table = Table(title="against the baseline", caption=base.description, title_justify="left",
                  caption_justify="left", box=None, pad_edge=False, title_style="bold",
                  caption_style="dim")
    table.add_column("")
    table.add_column("yours", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("change", justify="right", style="dim")
    if base.total_params is not None:
        table.add_row("parameters", f"{model.total_params:,}", f"{base.total_params:,}",
                      signed_change(model.total_params, base.total_params))
    if base.trainable_params is not None:
        table.add_row("trainable", f"{model.trainable_params:,}", f"{base.trainable_params:,}",
                      signed_change(model.trainable_params, base.trainable_params))
    if base.layers:
        table.add_row("layers", str(len(model.layers)), str(len(base.layers)),
                      f"{len(model.layers) - len(base.layers):+d}")
    optimizer = (model.optimizer or {}).get("class_name")
    if base.optimizer and optimizer:
        table.add_row("optimizer", optimizer.lower(), base.optimizer.lower(), "")
    if base.accuracy is not None:
        yours = f"{report.accuracy:.4f}" if report.accuracy is not None else "not graded"
        change = (f"{(report.accuracy - base.accuracy) * 100:+.2f} pts"
                  if report.accuracy is not None else "")
        table.add_row("accuracy", yours, f"{base.accuracy:.4f}", change)
    return table


class ResultsView(VerticalScroll):
    """Empty until `show(report, task)`."""

    def compose(self) -> ComposeResult:
        yield Static("No results yet: press c to check, g to grade.", id="score")
        yield Static(id="baseline")  # the accuracy against the baseline: the line that motivates
        yield DataTable(id="checks", cursor_type="row", show_cursor=False)
        yield Static(id="messages")
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
        for label in ("#", "yours", "shape", "params", "train", "expected", "shape ", "params "):
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

    def show(self, report: Report, task: Task, mode: Optional[str] = None) -> None:
        from tutor.next_step import check_label, verdict

        if mode is None:  # a report kept from earlier: a check leaves the accuracy skipped
            mode = "check" if any(c.status == "skipped" and not c.message.startswith("not checked")
                                  for c in report.checks) else "grade"
        words = verdict(report, mode, task, getattr(self.app, "context", None))
        self.query_one("#score", Static).update(score_line(report, words.headline, words.next))
        checks = self.query_one("#checks", DataTable)
        checks.clear()
        for c in report.checks:
            style = CHECK_STYLE[c.status]
            checks.add_row(Text(CHECK_ICON[c.status], style=style),
                           Text(value(check_label(c, task.spec), 40), style=style),
                           value(c.expected), value(c.actual), points(c.points, c.max_points),
                           key=c.id)
        failed = report.failed_checks()
        messages = Text()
        said: set[str] = set()
        for c in failed:
            messages.append(f"{check_label(c, task.spec)}: ", style="bold red")
            messages.append(("the same cause as above" if c.message in said else c.message) + "\n")
            said.add(c.message)
        unchecked = [check_label(c, task.spec) for c in report.checks
                     if c.status == "skipped" and c.message.startswith("not checked")]
        if unchecked:
            messages.append(f"not checked until that is fixed: {', '.join(unchecked)}\n", style="dim")
        self.query_one("#messages", Static).update(messages)
        show_layers = needs_layer_view(report)
        if show_layers:
            self._fill_layers(report, task)
        base = baseline_table(report, task)
        self.query_one("#baseline", Static).update(base if base is not None else "")
        self._visible(bool(report.checks), show_layers)
        self.scroll_home(animate=False)

    def _fill_layers(self, report: Report, task: Task) -> None:
        assert report.model is not None
        table = self.query_one("#layers", DataTable)
        table.clear()
        yours = report.model.layers
        theirs = task.spec.baseline.layers if task.spec.baseline else []
        for i in range(max(len(yours), len(theirs))):
            mine = yours[i] if i < len(yours) else None
            ref = theirs[i] if i < len(theirs) else None
            same = (mine is not None and ref is not None and mine.class_name == ref.class_name
                    and _unbatched(mine.output_shape) == ref.output_shape
                    and mine.params == ref.params)
            style = "dim" if same else ("yellow" if ref is not None else "")
            cells = [str(i + 1)]
            if mine is not None:
                cells += [mine.class_name, shape(_unbatched(mine.output_shape)), f"{mine.params:,}",
                          "yes" if mine.trainable else "no"]
            else:
                cells += ["—", "", "", ""]
            if ref is not None:
                cells += [ref.class_name, shape(ref.output_shape), f"{ref.params:,}"]
            else:
                cells += ["", "", ""]
            table.add_row(*(Text(c, style=style) for c in cells))
