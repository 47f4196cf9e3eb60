"""Checks answered from the model summary the evaluator returned (no training, no artifact)."""

from __future__ import annotations

from typing import Optional

from exercises import schema as s
from grader.checks.common import bounds_text, failed, passed, result, shape_text, within
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.report import CheckResult, LayerSummary, ModelSummary

INPUT_CLASSES = frozenset({"InputLayer"})


NOT_CHECKED = "not checked: the model did not build or load (the first problem says why)"


def no_model(check, ctx: CheckContext) -> CheckResult:
    """The summary is missing (the model did not build or load). The pipeline's own first row
    (model-builds / model-loads) carries the reason once; the checks that depend on the model
    are "not checked" rather than repeating it."""
    if ctx.model_error is None:
        return result(check, "error", "not checked: the model could not be built")
    return result(check, "skipped", NOT_CHECKED)


def without_batch(shape: Optional[list], want: list) -> Optional[list]:
    """Drop the leading batch dimension when `want` is written without it."""
    if shape is None:
        return None
    if len(shape) == len(want) + 1:
        return list(shape[1:])
    return list(shape)


def _same_shape(got: Optional[list], want: list) -> bool:
    """Equal, a None in `want` matching any size."""
    if got is None or len(got) != len(want):
        return False
    return all(w is None or g == w for g, w in zip(got, want))


def model_layers(summary: ModelSummary) -> list[LayerSummary]:
    """The layers that count for depth and comparisons (Input layers are not layers in a table)."""
    return [layer for layer in summary.layers if layer.class_name not in INPUT_CLASSES]


def _shape_check(check, ctx: CheckContext, which: str) -> CheckResult:
    summary = ctx.summary
    if summary is None:
        return no_model(check, ctx)
    got = summary.input_shape if which == "input" else summary.output_shape
    accepted = check.accepted
    shown = [w if (w and w[0] is None) else [None, *w] for w in accepted]
    display_want = shown[0] if len(shown) == 1 else " or ".join(shape_text(w) for w in shown)
    for want in accepted:
        if _same_shape(without_batch(got, want), want):
            return passed(check, f"{which} shape {shape_text(got)}", display_want, got)
    expected = " or ".join(shape_text(w) for w in shown)
    hint = _shape_hint(which, got, shown[0])
    return failed(
        check,
        f"{which} shape is {shape_text(got)}, expected {expected}: {hint}",
        display_want,
        got,
    )


def _shape_hint(which: str, got: Optional[list], want: list) -> str:
    """What to do about a wrong shape; a model whose input has more axes than the data (a 3-D
    input to Dense keeps its extra axis all the way to the output) is told so, not "units"."""
    extra_axes = got is not None and len(got) > len(want)
    if which == "input":
        if extra_axes or (got is not None and len(got) < len(want)):
            return (f"tutor feeds {shape_text(want)} batches: use keras.Input(shape={tuple(want[1:])!r}), "
                    "or add a Flatten() first if you keep a 2-D input")
        return "set keras.Input(shape=...) to the shape the data arrives in"
    if extra_axes and got[-1] == want[-1]:
        return (f"the last layer has the right {want[-1]} units, but the output keeps {len(got) - len(want)} "
                "extra axis: Dense works on the last axis only, so a multi-axis input (e.g. "
                "keras.Input(shape=(28, 28))) stays multi-axis: use keras.Input(shape=(784,)) or a Flatten() "
                "before the Dense layers")
    if extra_axes:
        return "flatten before the classifier (Flatten() or GlobalAveragePooling2D()), and give the last layer one unit per class"
    return "the last layer needs one unit per class"


@implements(s.InputShapeCheck)
def input_shape(check: s.InputShapeCheck, ctx: CheckContext) -> CheckResult:
    return _shape_check(check, ctx, "input")


@implements(s.OutputShapeCheck)
def output_shape(check: s.OutputShapeCheck, ctx: CheckContext) -> CheckResult:
    return _shape_check(check, ctx, "output")


def last_activation(summary: ModelSummary) -> Optional[str]:
    """The activation the model ends with: the last layer's, or a trailing Softmax/Activation."""
    for layer in reversed(model_layers(summary)):
        if layer.class_name == "Softmax":
            return "softmax"
        if layer.activation and layer.activation != "linear":
            return layer.activation
        if layer.class_name in ("Dropout", "Flatten", "Reshape"):
            continue  # pass-through layers after the classifier do not change the activation
        return layer.activation or "linear"
    return None


@implements(s.OutputActivationCheck)
def output_activation(check: s.OutputActivationCheck, ctx: CheckContext) -> CheckResult:
    if ctx.summary is None:
        return no_model(check, ctx)
    got = last_activation(ctx.summary)
    want = check.activation.lower()
    if (got or "").lower() == want:
        return passed(check, f"the model ends in {want}", want, got)
    return failed(
        check,
        f"the last layer's activation is {got or 'none'}; use activation=\"{want}\" on the output layer",
        want,
        got or "none",
    )


def _params_check(check, ctx: CheckContext, field: str, label: str) -> CheckResult:
    if ctx.summary is None:
        return no_model(check, ctx)
    got = int(getattr(ctx.summary, field))
    want = bounds_text(check.exact, check.min, check.max)
    if within(got, check.exact, check.min, check.max):
        return passed(check, f"{got:,} {label} parameters", want, got)
    if check.exact is not None:
        diff = got - check.exact
        why = f"{got:,} {label} parameters, expected exactly {check.exact:,} ({diff:+,})"
    elif check.min is not None and got < check.min:
        why = f"{got:,} {label} parameters, fewer than the minimum {check.min:,}"
    else:
        why = f"{got:,} {label} parameters, more than the maximum {check.max:,}"
    return failed(check, why, want, got)


@implements(s.TotalParamsCheck)
def total_params(check: s.TotalParamsCheck, ctx: CheckContext) -> CheckResult:
    return _params_check(check, ctx, "total_params", "total")


@implements(s.TrainableParamsCheck)
def trainable_params(check: s.TrainableParamsCheck, ctx: CheckContext) -> CheckResult:
    return _params_check(check, ctx, "trainable_params", "trainable")


@implements(s.NonTrainableParamsCheck)
def non_trainable_params(check: s.NonTrainableParamsCheck, ctx: CheckContext) -> CheckResult:
    return _params_check(check, ctx, "non_trainable_params", "non-trainable")


def count_of(layer: LayerSummary, class_name: str) -> int:
    """How many layers of `class_name` (lower case) this entry is, nested models included."""
    own = 1 if layer.class_name.lower() == class_name else 0
    return own + sum(n for cls, n in layer.sublayer_classes.items() if cls.lower() == class_name)


@implements(s.LayerCountCheck)
def layer_count(check: s.LayerCountCheck, ctx: CheckContext) -> CheckResult:
    if ctx.summary is None:
        return no_model(check, ctx)
    name = check.layer.lower()
    got = sum(count_of(layer, name) for layer in ctx.summary.layers)
    want = bounds_text(check.exact, check.min, check.max)
    if within(got, check.exact, check.min, check.max):
        return passed(check, f"{got} {check.layer} layer(s)", want, got)
    return failed(check, f"{got} {check.layer} layer(s), want {want}", want, got)


def find_backbone(summary: ModelSummary, prefix: Optional[str]) -> Optional[LayerSummary]:
    """The named (by prefix) or else the first nested sub-model of the summary."""
    for layer in summary.layers:
        if prefix is not None:
            if layer.name.startswith(prefix):
                return layer
        elif layer.sublayers > 0:
            return layer
    return None


@implements(s.FrozenBackboneCheck)
def frozen_backbone(check: s.FrozenBackboneCheck, ctx: CheckContext) -> CheckResult:
    summary = ctx.summary
    if summary is None:
        return no_model(check, ctx)
    limit = check.max_trainable_params
    want = "backbone frozen" + (f", trainable <= {limit:,}" if limit is not None else "")
    backbone = find_backbone(summary, check.backbone)
    if backbone is None:
        what = f"no layer named {check.backbone}*" if check.backbone else "no pretrained sub-model"
        return failed(
            check,
            f"{what} in the model: put the pretrained network (e.g. MobileNetV2) inside it as one layer",
            want,
            what,
        )
    unfrozen = backbone.sublayers - backbone.frozen_sublayers
    got = (
        f"{backbone.name}: {backbone.frozen_sublayers}/{backbone.sublayers} layers frozen, "
        f"{summary.trainable_params:,} trainable"
    )
    if unfrozen > 0 or backbone.trainable_params > 0:
        return failed(
            check,
            f"{backbone.name} still trains ({unfrozen} of {backbone.sublayers} layers, "
            f"{backbone.trainable_params:,} parameters): set base.trainable = False before compile()",
            want,
            got,
        )
    if limit is not None and summary.trainable_params > limit:
        return failed(
            check,
            f"the backbone is frozen but {summary.trainable_params:,} parameters still train "
            f"(at most {limit:,}): keep the new head small",
            want,
            got,
        )
    return passed(check, f"{backbone.name} frozen, {summary.trainable_params:,} trainable parameters", want, got)
