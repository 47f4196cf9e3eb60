"""Child side of `tutor grade`: open the artifact, summarise it, predict classes batch by batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from grader.evaluator.keras2 import rewritten
from grader.evaluator.load import open_untrusted
from grader.evaluator.screen import compile_facts, read_config, screen
from grader.summary import model_shapes, summarize


def _shape_text(shape: list) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _compatible(model_input: list, expected: tuple[int, ...]) -> bool:
    dims = list(model_input[1:])
    return len(dims) == len(expected) and all(d is None or d == e for d, e in zip(dims, expected))


def predict_classes(model: Any, x: np.ndarray, adapter: str, num_classes: int, batch_size: int) -> tuple[Optional[list[int]], Optional[str]]:
    """Predicted class per input, or (None, reason) when the model cannot take the task's inputs."""
    from grader.data.adapters import batches, fits, input_shape, reshape_for

    expected = input_shape(adapter)
    model_in, model_out = model_shapes(model)
    reshape = None
    if not _compatible(model_in, expected) and fits(list(model_in[1:]), adapter):
        reshape = list(model_in[1:])  # e.g. a 28x28 model under adapter "flatten": same pixels
    elif not _compatible(model_in, expected):
        return None, (
            f"the model takes inputs of shape {_shape_text(model_in)} but the task's test images are "
            f"{_shape_text([None, *expected])}"
        )
    if len(model_out) != 2 or model_out[-1] != num_classes:
        return None, (
            f"the model's output is {_shape_text(model_out)}, not one score per class "
            f"{_shape_text([None, num_classes])}"
        )
    predicted: list[np.ndarray] = []
    for batch in batches(x, adapter, batch_size):
        if reshape is not None:
            batch = reshape_for(batch, reshape)
        scores = model.predict_on_batch(batch)
        predicted.append(np.asarray(scores).reshape(len(batch), -1).argmax(axis=1).astype(np.int64))
    return np.concatenate(predicted).tolist() if predicted else [], None


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    import tensorflow as tf

    cap = args.get("cap_text", "memory")
    staged = str(args.get("artifact", "model.keras"))
    if staged not in ("model.keras", "model.h5"):
        raise ValueError(f"unexpected staged artifact name {staged!r}")
    artifact = workdir / "in" / staged
    name = str(args.get("name") or staged)
    fmt = "hdf5" if staged == "model.h5" else "keras-zip"
    config, compiled = read_config(artifact, fmt, name)
    screen(config, name)  # the config as data first: nothing is deserialised before this passes
    # Keras 2's mixed-precision policies and functional class paths, as Keras 3 reads them (a copy
    # in the job's own temporary folder; the weights are the student's, untouched)
    artifact = rewritten(artifact, fmt, config)
    model = open_untrusted(artifact, cap_text=cap, name=name)
    optimizer, loss = compile_facts(compiled)
    summary = summarize(model).model_copy(update={"optimizer": optimizer, "loss": loss})
    predicted, problem = None, None
    if args.get("predict", True):  # False: the summary alone (a second artifact, a rebuilt model)
        x = np.load(workdir / "in" / "x.npy", mmap_mode="r", allow_pickle=False)
        predicted, problem = predict_classes(
            model, x, args["adapter"], int(args.get("num_classes", 10)), int(args.get("batch_size", 500))
        )
    return {
        "summary": summary.model_dump(mode="json"),
        "predicted": predicted,
        "predict_error": problem,
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
    }
