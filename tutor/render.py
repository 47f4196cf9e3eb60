"""Human rendering of a grade `Report` with rich: the check table, the score, the model.

Used by `tutor check/grade` (terminal) and by batch grading's per-student feedback files
(`report_text`). Everything a submission wrote (messages, layer names) is shown as plain text,
never interpreted as rich markup.
"""

from __future__ import annotations

import io
import json
from typing import Any, Optional, Union

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from exercises.schema import STRUCTURAL_KINDS, Baseline, BaselineLayer, Exercise
from grader.checks.common import shape_text
from grader.checks.structural import model_layers
from grader.report import LayerSummary, ModelSummary, Report
from tutor.next_step import check_label

MARKS = {
    "passed": ("✓ passed", "green"),
    "failed": ("✗ failed", "red"),
    "error": ("! error", "yellow"),
    "skipped": ("- skipped", "dim"),
    "missing": ("✗ missing", "red"),
    "manual": ("… by hand", "cyan"),
}
REPORT_STYLES = {"passed": "bold green", "failed": "bold red", "error": "bold yellow"}


def cell(value: Any) -> str:
    """A want/got value as table text: strings as they are, shapes as Keras prints them."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list) and all(v is None or isinstance(v, int) for v in value):
        return shape_text(value)
    return json.dumps(value)


def checks_table(report: Report, spec: Optional[Exercise]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("check", overflow="fold", ratio=3)
    table.add_column("status", no_wrap=True)
    table.add_column("want", overflow="fold", ratio=2)
    table.add_column("got", overflow="fold", ratio=2)
    table.add_column("points", justify="right", no_wrap=True)
    for check in report.checks:
        mark, style = MARKS.get(check.status, (check.status, ""))
        name = check_label(check, spec) + ("" if check.required else " (optional)")
        table.add_row(
            Text(name),
            Text(mark, style=style),
            Text(cell(check.expected)),
            Text(cell(check.actual), style=style if check.status in ("failed", "error", "missing") else ""),
            Text(f"{check.points:g}/{check.max_points:g}"),
        )
    return table


def problems(report: Report, spec: Optional[Exercise] = None) -> Optional[Text]:
    """One line per failed or errored check (named as in the table): what is wrong and what to
    do; the checks that depend on a model that did not build are named once, not repeated."""
    lines = Text()
    said: set[str] = set()
    for check in report.checks:
        if check.status in ("failed", "error", "missing"):
            mark, style = MARKS[check.status]
            lines.append(f"{mark[0]} {check_label(check, spec)}: ", style=style)
            cause = check.message.split(": ", 1)[-1] if ": " in check.message else check.message
            lines.append(("the same cause as above" if check.message in said or cause in said else check.message) + "\n")
            said.update((check.message, cause))
    unchecked = not_checked(report, spec)
    if unchecked:
        lines.append(f"- not checked until that is fixed: {', '.join(unchecked)}\n", style="dim")
    return lines if lines.plain else None


def not_checked(report: Report, spec: Optional[Exercise] = None) -> list[str]:
    return [check_label(c, spec) for c in report.checks
            if c.status == "skipped" and c.message.startswith("not checked")]


def score_line(report: Report, headline: Optional[str] = None) -> Text:
    """`task7.3 passed   score 8/8 (100%)`, or with the front end's words for the state
    (`task7.3 structure OK, 5 of 8 points`)."""
    line = Text()
    if headline is not None:
        line.append(f"{report.task} {headline}", style=REPORT_STYLES.get(report.status, ""))
        if report.accuracy is not None:
            line.append(f"   test accuracy {report.accuracy:.4f}")
        line.append(f"   {report.duration_s:.1f} s", style="dim")
        if report.error:
            line.append(f"\ncould not grade: {report.error}", style="yellow")
        return line
    line.append(f"{report.task} {report.status}", style=REPORT_STYLES.get(report.status, ""))
    if report.max_points:
        line.append(f"   score {report.points:g}/{report.max_points:g} ({report.score:.0%})")
    if report.accuracy is not None:
        line.append(f"   test accuracy {report.accuracy:.4f}")
    line.append(f"   {report.duration_s:.1f} s", style="dim")
    if report.error:
        line.append(f"\ncould not grade: {report.error}", style="yellow")
    return line


def _trainable_text(layer: LayerSummary) -> str:
    if layer.sublayers:
        return f"{layer.frozen_sublayers}/{layer.sublayers} frozen"
    return "yes" if layer.trainable else "no"


def _strip_batch(shape: Optional[list], want: list) -> Optional[list]:
    if shape is not None and len(shape) == len(want) + 1:
        return shape[1:]
    return shape


def layer_table(model: ModelSummary, baseline: Optional[list[BaselineLayer]] = None) -> Table:
    """Layer by layer: class, output shape, params, trainable; next to the baseline's if given."""
    title = "your model, layer by layer" + (" (against the baseline)" if baseline else "")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("#", justify="right")
    table.add_column("layer", no_wrap=True)
    table.add_column("output shape", no_wrap=True)
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("trainable", no_wrap=True)
    if baseline:
        table.add_column("baseline", overflow="fold")
    layers = model_layers(model)
    rows = max(len(layers), len(baseline or []))
    for i in range(rows):
        ours = layers[i] if i < len(layers) else None
        cells: list[Union[str, Text]] = [str(i + 1)]
        if ours is not None:
            cells += [Text(ours.class_name), shape_text(ours.output_shape), f"{ours.params:,}", _trainable_text(ours)]
        else:
            cells += [Text("(none)", style="dim"), "", "", ""]
        if baseline:
            theirs = baseline[i] if i < len(baseline) else None
            if theirs is None:
                cells.append(Text("(none)", style="dim"))
            elif ours is not None and (
                ours.class_name == theirs.class_name
                and _strip_batch(ours.output_shape, theirs.output_shape) == theirs.output_shape
                and ours.params == theirs.params
            ):
                cells.append(Text("same", style="dim"))
            else:
                cells.append(Text(f"{theirs.class_name} {shape_text([None, *theirs.output_shape])} {theirs.params:,}", style="yellow"))
        table.add_row(*cells)
    total = f"{model.total_params:,} total, {model.trainable_params:,} trainable, {model.non_trainable_params:,} non-trainable"
    table.caption = total
    table.caption_justify = "left"
    return table


def baseline_comparison(report: Report, baseline: Baseline, produce: str = "tutor train") -> Optional[Text]:
    """Parameters, depth and accuracy next to the published baseline (task 8.1's analysis)."""
    model = report.model
    if model is None:
        return None
    text = Text("\n")
    text.append("against the baseline", style="bold")
    text.append(f" ({baseline.source}: {baseline.description})\n", style="dim")
    base_params = baseline.total_params or sum(layer.params for layer in baseline.layers)
    if base_params:
        diff = model.total_params - base_params
        text.append(f"  parameters  {base_params:,} -> {model.total_params:,} ({diff:+,}, {model.total_params / base_params:.2f}x)\n")
    if baseline.trainable_params is not None:
        diff = model.trainable_params - baseline.trainable_params
        text.append(f"  trainable   {baseline.trainable_params:,} -> {model.trainable_params:,} ({diff:+,})\n")
    if baseline.layers:
        depth = len(model_layers(model))
        base_depth = len(baseline.layers)
        text.append(f"  depth       {base_depth} -> {depth} layers ({depth - base_depth:+d})\n")
    if baseline.accuracy is not None:
        recipe = ", ".join(
            x for x in (
                f"{baseline.epochs} epochs" if baseline.epochs else None,
                baseline.optimizer,
                f"batch {baseline.batch_size}" if baseline.batch_size else None,
            ) if x
        )
        published = f"{baseline.accuracy:.4f} published" + (f" ({recipe})" if recipe else "")
        if report.accuracy is not None:
            diff = report.accuracy - baseline.accuracy
            style = "green" if diff >= 0 else "red"
            text.append(f"  accuracy    {published} -> {report.accuracy:.4f} yours (")
            text.append(f"{diff:+.4f}", style=style)
            text.append(")\n")
        else:
            grade = produce.replace("submit", "grade").replace("train", "grade")
            text.append(f"  accuracy    {published}; yours after `{produce}` and `{grade}`\n")
    return text


def provenance(report: Report) -> Optional[Text]:
    """Which framework trained the artifact (its train.json) and which graded it."""
    artifact = report.meta.get("artifact") or {}
    if not artifact.get("format"):
        return None
    from grader.intake import ArtifactFormat

    def framework(meta: dict) -> str:
        parts = [f"TensorFlow {meta['tensorflow']}" if meta.get("tensorflow") not in (None, "", "none") else "",
                 f"Keras {meta['keras']}" if meta.get("keras") else "",
                 f"on {meta['backend']}" if meta.get("backend") not in (None, "", "tensorflow") else ""]
        return " / ".join(p for p in parts[:2] if p) + (f" {parts[2]}" if parts[2] else "")

    train = report.meta.get("train") or {}
    trained = framework(train) or "an unknown framework (no readable train.json)"
    try:
        kind = ArtifactFormat(artifact["format"]).label
    except ValueError:
        kind = artifact["format"]
    return Text(f"{artifact.get('name', 'model.keras')} ({kind}) trained with {trained}; "
                f"graded with {framework(report.meta) or 'the grader'}", style="dim")


def _structural_failure(report: Report) -> bool:
    return any(c.kind in STRUCTURAL_KINDS and c.status in ("failed", "error", "missing") for c in report.checks)


def render_report(
    report: Report,
    spec: Optional[Exercise] = None,
    *,
    task: Any = None,
    console: Optional[Console] = None,
    headline: Optional[str] = None,
    next_step: Optional[str] = None,
) -> RenderableType:
    """The whole report as one rich renderable; printed on `console` when one is given.
    `spec` is the exercise (or pass `task=`, a catalog Task)."""
    if spec is None and task is not None:
        spec = task.spec
    parts: list[RenderableType] = []
    if spec is not None:
        parts.append(Text(f"{spec.id}  {spec.title}", style="bold"))
    if report.checks:
        parts.append(checks_table(report, spec))
    found = problems(report, spec)
    if found is not None:
        parts.append(found)
    if report.model is not None and _structural_failure(report):
        baseline_layers = spec.baseline.layers if spec and spec.baseline and spec.baseline.layers else None
        parts.append(layer_table(report.model, baseline_layers))
    if spec is not None and spec.baseline is not None and report.model is not None:
        produce = f"tutor {'submit' if spec.needs_gpu else 'train'} {spec.id}"
        comparison = baseline_comparison(report, spec.baseline, produce)
        if comparison is not None:
            parts.append(comparison)
    origin = provenance(report)
    if origin is not None:
        parts.append(origin)
    parts.append(score_line(report, headline))
    if next_step:
        parts.append(Text(f"Next: {next_step.replace('`', '')}", style="bold"))
    group = Group(*parts)
    if console is not None:
        console.print(group)
    return group


def report_text(report: Report, spec: Optional[Exercise] = None, width: int = 100) -> str:
    """The report as plain text (no colour codes), e.g. for a per-student feedback file."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(render_report(report, spec))
    return buffer.getvalue()


__all__ = ["render_report", "report_text", "checks_table", "layer_table", "baseline_comparison", "cell"]
