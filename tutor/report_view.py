"""One grade report as a person sees it, built once and rendered by every front end.

`report_view(report, task, mode)` decides everything the CLI (`tutor/render.py`), the TUI
(`tutor/tui/widgets/results.py`) and batch feedback files show: the verdict and next step
(`tutor.next_step`), one row per check (named by `check_label`), one line for the checks that
could not run because the model did not build or load, the layer-by-layer comparison and the
comparison with the task's published baseline. The front ends only lay it out.

Rules decided here, once:
- a layer's output shape is shown without its batch axis (the leading `None` Keras reports),
  as the exercises write baseline shapes; it is compared with the baseline the same way;
- "trainable" is `yes` or `no`, and for a nested model (a pretrained backbone) how many of its
  layers train: `20 of 154`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from exercises import Task
from exercises.schema import STRUCTURAL_KINDS, Baseline, Exercise
from grader.checks.common import shape_text
from grader.checks.structural import model_layers
from grader.report import PROBLEM_STATUSES, CheckResult, LayerSummary, ModelSummary, Report
from tutor.next_step import check_label, produce_command, verdict

if TYPE_CHECKING:
    from tutor.context import Context



@dataclass(frozen=True)
class Mark:
    """How a status looks: an icon, a word and a rich style."""

    icon: str
    word: str
    style: str


# A check's status; "not run" is a check that needs a model that did not build or load.
CHECK_MARKS = {
    "passed": Mark("✔", "passed", "green"),
    "failed": Mark("✘", "failed", "bold red"),
    "error": Mark("!", "error", "bold red"),
    "missing": Mark("∅", "missing", "bold red"),
    "skipped": Mark("–", "skipped", "dim"),
    "not run": Mark("–", "not run", "dim"),
    "manual": Mark("✎", "by hand", "cyan"),
}
REPORT_MARKS = {
    "passed": Mark("✔", "passed", "bold green"),
    "failed": Mark("✘", "failed", "bold red"),
    "error": Mark("!", "could not grade", "bold red"),
}

# What the failure of the pipeline's model rows (grader.report.MODEL_ROWS) means.
MODEL_ROW_FAILURE = {"model-builds": "the model did not build", "model-loads": "{artifact} could not be opened"}


def cell(value: Any) -> str:
    """A want/got value as text: shapes as Keras prints them, numbers with separators."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        if all(v is None or isinstance(v, int) for v in value):
            return shape_text(list(value))
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {cell(v)}" for k, v in value.items())
    return str(value)


def points_text(got: float, of: float) -> str:
    return f"{got:g}/{of:g}"


def unbatched(shape: Optional[list]) -> Optional[list]:
    """A layer's output shape without the batch axis (the leading None Keras reports)."""
    return list(shape[1:]) if shape and shape[0] is None else shape


def trainable_text(layer: LayerSummary) -> str:
    """`yes`/`no`; for a nested model, how many of its layers train (`20 of 154`)."""
    if not layer.trainable:
        return "no"
    if layer.sublayers:
        training = layer.sublayers - layer.frozen_sublayers
        if training == 0:
            return "no"
        return "yes" if training == layer.sublayers else f"{training} of {layer.sublayers}"
    return "yes"


@dataclass(frozen=True)
class CheckRow:
    id: str
    label: str  # check_label, with " (optional)" for an optional check
    status: str  # a CHECK_MARKS key
    want: str
    got: str
    points: str

    @property
    def mark(self) -> Mark:
        return CHECK_MARKS.get(self.status, Mark("?", self.status, ""))


@dataclass(frozen=True)
class ProblemLine:
    """A failed/errored/missing check: what is wrong and what to do."""

    label: str
    status: str
    message: str  # "the same cause as above" when an earlier line said it

    @property
    def mark(self) -> Mark:
        return CHECK_MARKS[self.status]


@dataclass(frozen=True)
class NotRunSummary:
    """The checks that need a model that did not build or load, said once."""

    labels: tuple[str, ...]
    reason: str  # "model.keras could not be opened: <why>"

    @property
    def line(self) -> str:
        n = len(self.labels)
        return f"{n} check{'s' if n != 1 else ''} not run: {self.reason}"


@dataclass(frozen=True)
class LayerCells:
    class_name: str
    shape: str  # without the batch axis
    params: str
    trainable: str = ""  # empty for the baseline's layers (the baseline does not say)


@dataclass(frozen=True)
class LayerRow:
    number: int
    yours: Optional[LayerCells]
    baseline: Optional[LayerCells]
    same: bool  # the same class, shape and parameters as the baseline's layer


@dataclass(frozen=True)
class LayerComparison:
    rows: tuple[LayerRow, ...]
    against_baseline: bool
    totals: str  # "62,346 total, 62,346 trainable, 0 non-trainable"

    @property
    def title(self) -> str:
        return "your model, layer by layer" + (" (against the baseline)" if self.against_baseline else "")


@dataclass(frozen=True)
class ComparisonRow:
    what: str
    baseline: str
    yours: str
    change: str
    better: Optional[bool] = None  # accuracy: colour the change


@dataclass(frozen=True)
class BaselineComparison:
    """Yours against the task's published baseline (task 8.1's analysis)."""

    source: str
    description: str
    rows: tuple[ComparisonRow, ...]
    pending: Optional[str] = None  # how to get your accuracy when it is not measured yet


@dataclass(frozen=True)
class ReportView:
    task_id: str
    title: Optional[str]
    status: str
    headline: str  # "passed, 8 of 8 points" or the verdict's words for the mode
    accuracy: Optional[float]
    duration_s: float
    error: Optional[str]
    next_step: Optional[str]  # a sentence naming the command to run next (backticks removed)
    checks: tuple[CheckRow, ...]
    problems: tuple[ProblemLine, ...]
    not_run: Optional[NotRunSummary]
    layers: Optional[LayerComparison]
    baseline: Optional[BaselineComparison]
    provenance: Optional[str]

    @property
    def mark(self) -> Mark:
        return REPORT_MARKS[self.status]

    @property
    def score_line(self) -> str:
        """`✘ task8.1 failed, 4 of 10 points   test accuracy 0.9801   3.2 s`"""
        line = f"{self.mark.icon} {self.task_id} {self.headline}"
        if self.accuracy is not None:
            line += f"   test accuracy {self.accuracy:.4f}"
        return line + f"   {self.duration_s:.1f} s"


def _check_rows(report: Report, spec: Optional[Exercise]) -> tuple[CheckRow, ...]:
    skipped = {id(c) for c in report.not_run()}
    rows = []
    for c in report.checks:
        status = "not run" if id(c) in skipped else c.status
        rows.append(CheckRow(
            id=c.id,
            label=check_label(c, spec) + ("" if c.required else " (optional)"),
            status=status,
            want=cell(c.expected),
            got="—" if status == "not run" else cell(c.actual),
            points=points_text(c.points, c.max_points),
        ))
    return tuple(rows)


def _not_run(report: Report, spec: Optional[Exercise]) -> Optional[NotRunSummary]:
    """The one line for the checks that were not run because the model did not build or load."""
    skipped = report.not_run()
    root = report.model_failure()
    if not skipped or root is None:
        return None
    artifact = (report.meta or {}).get("artifact") or {}
    what = MODEL_ROW_FAILURE[root.id].format(artifact=artifact.get("name") or "model.keras")
    return NotRunSummary(tuple(check_label(c, spec) for c in skipped), f"{what}: {root.message}")


def _problems(report: Report, spec: Optional[Exercise], said_elsewhere: Optional[CheckResult]) -> tuple[ProblemLine, ...]:
    lines = []
    said: set[str] = set()
    for c in report.checks:
        if c.status not in PROBLEM_STATUSES or c is said_elsewhere:
            continue
        cause = c.message.split(": ", 1)[-1]
        message = "the same cause as above" if c.message in said or cause in said else c.message
        said.update((c.message, cause))
        lines.append(ProblemLine(check_label(c, spec), c.status, message))
    return tuple(lines)


def _layer_cells(layer: LayerSummary) -> LayerCells:
    return LayerCells(layer.class_name, shape_text(unbatched(layer.output_shape)), f"{layer.params:,}",
                      trainable_text(layer))


def layer_comparison(model: ModelSummary, baseline: Optional[Baseline]) -> LayerComparison:
    """Layer by layer (Input layers left out), beside the baseline's layers when it has them."""
    yours = model_layers(model)
    theirs = list(baseline.layers) if baseline is not None else []
    rows = []
    for i in range(max(len(yours), len(theirs))):
        mine = yours[i] if i < len(yours) else None
        ref = theirs[i] if i < len(theirs) else None
        same = (mine is not None and ref is not None and mine.class_name == ref.class_name
                and unbatched(mine.output_shape) == list(ref.output_shape) and mine.params == ref.params)
        rows.append(LayerRow(
            number=i + 1,
            yours=_layer_cells(mine) if mine is not None else None,
            baseline=LayerCells(ref.class_name, shape_text(list(ref.output_shape)), f"{ref.params:,}") if ref else None,
            same=same,
        ))
    totals = (f"{model.total_params:,} total, {model.trainable_params:,} trainable, "
              f"{model.non_trainable_params:,} non-trainable")
    return LayerComparison(tuple(rows), bool(theirs), totals)


def _signed(diff: float, base: float) -> str:
    return f"{diff:+,.0f} ({diff / base:+.0%})" if base else f"{diff:+,.0f}"


def baseline_comparison(report: Report, base: Baseline, produce: str) -> Optional[BaselineComparison]:
    """Parameters, trainable parameters, depth, optimizer and accuracy against the baseline."""
    model = report.model
    if model is None:
        return None
    rows = []
    base_params = base.total_params or sum(layer.params for layer in base.layers)
    if base_params:
        rows.append(ComparisonRow("parameters", f"{base_params:,}", f"{model.total_params:,}",
                                  _signed(model.total_params - base_params, base_params)))
    if base.trainable_params is not None:
        rows.append(ComparisonRow("trainable", f"{base.trainable_params:,}", f"{model.trainable_params:,}",
                                  _signed(model.trainable_params - base.trainable_params, base.trainable_params)))
    if base.layers:
        depth, base_depth = len(model_layers(model)), len(base.layers)
        rows.append(ComparisonRow("layers", str(base_depth), str(depth), f"{depth - base_depth:+d}"))
    optimizer = (model.optimizer or {}).get("class_name")
    if base.optimizer and optimizer:
        rows.append(ComparisonRow("optimizer", base.optimizer.lower(), str(optimizer).lower(), ""))
    pending = None
    if base.accuracy is not None:
        if report.accuracy is not None:
            diff = report.accuracy - base.accuracy
            rows.append(ComparisonRow("accuracy", f"{base.accuracy:.4f}", f"{report.accuracy:.4f}",
                                      f"{diff:+.4f}", better=diff >= 0))
        else:
            rows.append(ComparisonRow("accuracy", f"{base.accuracy:.4f}", "not measured", ""))
            grade = produce.replace("submit", "grade").replace("train", "grade")
            pending = f"your accuracy after `{produce}` and `{grade}`"
    recipe = ", ".join(x for x in (f"{base.epochs} epochs" if base.epochs else None, base.optimizer,
                                   f"batch {base.batch_size}" if base.batch_size else None) if x)
    description = base.description + (f"; trained {recipe}" if recipe else "")
    return BaselineComparison(base.source, description, tuple(rows), pending)


def provenance(report: Report) -> Optional[str]:
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
    return (f"{artifact.get('name', 'model.keras')} ({kind}) trained with {trained}; "
            f"graded with {framework(report.meta) or 'the grader'}")


def structural_failure(report: Report) -> bool:
    """A check on the model's structure failed: the layer-by-layer view helps."""
    return report.model is not None and any(c.kind in STRUCTURAL_KINDS and c.status in PROBLEM_STATUSES
                                            for c in report.checks)


def _default_headline(report: Report) -> str:
    if report.status == "error":
        return "could not grade"
    return f"{report.status}, {report.points:g} of {report.max_points:g} points ({report.score:.0%})"


def report_view(report: Report, task: Union[Task, Exercise, None] = None, mode: Optional[str] = None,
                ctx: Optional["Context"] = None) -> ReportView:
    """The report as both front ends show it. With a `Task` and a `mode` ("check", "grade")
    the headline and next step are `tutor.next_step.verdict`'s; without, the status and points."""
    spec = task.spec if isinstance(task, Task) else task
    headline, next_step = _default_headline(report), None
    if isinstance(task, Task) and mode is not None:
        words = verdict(report, mode, task, ctx)
        headline, next_step = words.headline, words.next.replace("`", "")
    summary = _not_run(report, spec)
    said = report.model_failure() if summary is not None else None
    layers = None
    if report.model is not None and structural_failure(report):
        layers = layer_comparison(report.model, spec.baseline if spec is not None else None)
    comparison = None
    if spec is not None and spec.baseline is not None and report.model is not None:
        comparison = baseline_comparison(report, spec.baseline, produce_command(spec))
    return ReportView(
        task_id=report.task,
        title=f"{spec.id}  {spec.title}" if spec is not None else None,
        status=report.status,
        headline=headline,
        accuracy=report.accuracy,
        duration_s=report.duration_s,
        error=report.error,
        next_step=next_step,
        checks=_check_rows(report, spec),
        problems=_problems(report, spec, said),
        not_run=summary,
        layers=layers,
        baseline=comparison,
        provenance=provenance(report),
    )
