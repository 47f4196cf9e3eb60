"""differs_from_baseline: the model must not be the task's published baseline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from exercises import schema as s
from grader.checks.common import failed, passed, result
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.checks.structural import model_layers, no_model, without_batch
from grader.report import CheckResult, ModelSummary


@dataclass(frozen=True)
class Comparison:
    """How a model compares with the baseline: parameters and depth, and whether it is the same."""

    params: int
    baseline_params: int
    depth: int
    baseline_depth: int
    same_layers: bool

    @property
    def text(self) -> str:
        return (
            f"parameters {self.baseline_params:,} -> {self.params:,} "
            f"({self.params - self.baseline_params:+,}), depth {self.baseline_depth} -> "
            f"{self.depth} layers ({self.depth - self.baseline_depth:+d})"
        )


def layer_key(class_name: str, shape: Optional[list], params: int, want_len: int) -> tuple:
    return (class_name, tuple(without_batch(shape, [0] * want_len) or ()), params)


def compare(summary: ModelSummary, baseline: s.Baseline) -> Comparison:
    """Compare the summary's layers (class, output shape, params) with the baseline's."""
    layers = model_layers(summary)
    ours = [
        layer_key(layer.class_name, layer.output_shape, layer.params, len(b.output_shape))
        for layer, b in zip(layers, baseline.layers)
    ]
    theirs = [(b.class_name, tuple(b.output_shape), b.params) for b in baseline.layers]
    baseline_params = baseline.total_params or sum(b.params for b in baseline.layers)
    return Comparison(
        params=summary.total_params,
        baseline_params=baseline_params,
        depth=len(layers),
        baseline_depth=len(baseline.layers),
        same_layers=len(layers) == len(baseline.layers) and ours == theirs,
    )


@implements(s.DiffersFromBaselineCheck)
def differs_from_baseline(check: s.DiffersFromBaselineCheck, ctx: CheckContext) -> CheckResult:
    baseline = ctx.spec.baseline
    if baseline is None or not baseline.layers:
        return result(check, "error", "the exercise declares no baseline layers to compare with")
    if ctx.summary is None:
        return no_model(check, ctx)
    cmp = compare(ctx.summary, baseline)
    want = f"not the baseline ({cmp.baseline_params:,} params, {cmp.baseline_depth} layers)"
    got = f"{cmp.params:,} params, {cmp.depth} layers"
    if not cmp.same_layers:
        return passed(check, f"changed from the baseline: {cmp.text}", want, got)
    # Same layers: an optimizer change is still a change (the pipeline reports the optimizer).
    optimizer = ctx.optimizer
    if optimizer and baseline.optimizer and optimizer != baseline.optimizer.lower():
        return passed(
            check,
            f"same layers as the baseline, optimizer changed {baseline.optimizer} -> {optimizer}",
            want,
            f"{got}, optimizer {optimizer}",
        )
    return failed(
        check,
        f"this is the baseline itself ({cmp.params:,} parameters, {cmp.depth} layers): "
        "change its layers or its optimizer",
        want,
        got,
    )
