"""A Keras model -> `grader.report.ModelSummary`: per-layer class, output shape, parameters,
trainable flag, activation. Runs inside sandboxed children only (it needs Keras).

A nested model (e.g. a MobileNetV2 backbone inside a Sequential) is one entry whose
`sublayers` counts its layers and `frozen_sublayers` the non-trainable ones among them.
"""

from __future__ import annotations

from typing import Any, Optional

from grader.report import LayerSummary, ModelSummary


def _shape(value: Any) -> Optional[list[Optional[int]]]:
    """(None, 28, 28, 1) -> [None, 28, 28, 1]; the first of several outputs; None if unknown."""
    if value is None:
        return None
    if isinstance(value, list) and value and isinstance(value[0], (tuple, list)):
        value = value[0]
    if isinstance(value, dict):
        value = next(iter(value.values()), None)
        return _shape(value)
    try:
        return [None if d is None else int(d) for d in value]
    except TypeError:
        return None


def _count(weights: list) -> int:
    total = 0
    for weight in weights:
        size = 1
        for dim in weight.shape:
            size *= int(dim)
        total += size
    return total


def _activation(layer: Any) -> Optional[str]:
    func = getattr(layer, "activation", None)
    if func is None:
        name = type(layer).__name__
        return "softmax" if name == "Softmax" else ("relu" if name == "ReLU" else None)
    if isinstance(func, str):
        return func
    return getattr(func, "__name__", None) or type(func).__name__


def _output_shape(layer: Any) -> Optional[list[Optional[int]]]:
    try:
        output = layer.output
    except (AttributeError, ValueError, RuntimeError):
        output = None
    if output is not None:
        if isinstance(output, (list, tuple)):
            output = output[0]
        return _shape(getattr(output, "shape", None))
    try:
        return _shape(layer.output_shape)
    except (AttributeError, ValueError, RuntimeError):
        return None


def _all_sublayers(model: Any) -> list:
    found = []
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "InputLayer":
            continue
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_all_sublayers(layer))
    return found


def summarize_layer(layer: Any) -> LayerSummary:
    nested = _all_sublayers(layer) if hasattr(layer, "layers") else []
    return LayerSummary(
        name=str(layer.name),
        class_name=type(layer).__name__,
        output_shape=_output_shape(layer),
        params=_count(layer.weights),
        trainable_params=_count(layer.trainable_weights),
        trainable=bool(layer.trainable),
        activation=_activation(layer),
        sublayers=len(nested),
        frozen_sublayers=sum(1 for sub in nested if not sub.trainable),
        sublayer_classes=_class_counts(nested),
    )


def _class_counts(layers: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for layer in layers:
        name = type(layer).__name__
        counts[name] = counts.get(name, 0) + 1
    return counts


def model_shapes(model: Any) -> tuple[list[Optional[int]], list[Optional[int]]]:
    inputs = getattr(model, "inputs", None) or []
    input_shape = _shape(inputs[0].shape) if inputs else None
    outputs = getattr(model, "outputs", None) or []
    output_shape = _shape(outputs[0].shape) if outputs else None
    return input_shape or [], output_shape or []


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def compile_facts(model: Any) -> tuple[Optional[dict], Optional[str]]:
    """(the optimizer as Keras serialises it, the loss name) of a compiled model, else Nones."""
    optimizer = getattr(model, "optimizer", None)
    config = None
    if optimizer is not None and getattr(model, "compiled", False):
        try:
            import keras

            config = _json_safe(keras.optimizers.serialize(optimizer))
        except Exception:  # an exotic optimizer: leave it out rather than fail the summary
            config = {"class_name": type(optimizer).__name__}
    loss = getattr(model, "loss", None)
    if loss is not None and not isinstance(loss, str):
        loss = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return config, loss


def summarize(model: Any) -> ModelSummary:
    """The strictly typed summary the trusted parent validates and the checks read."""
    input_shape, output_shape = model_shapes(model)
    layers = [
        summarize_layer(layer)
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
    ]
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    optimizer, loss = compile_facts(model)
    return ModelSummary(
        optimizer=optimizer,
        loss=loss,
        total_params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        input_shape=input_shape,
        output_shape=output_shape,
        layers=layers,
    )
