"""Child side of `tutor check`: import the student's model.py, call build_model(), verify it is
a keras.Model, and summarise it. Runs only inside a sandboxed child of the fork server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sandbox.protocol import JobFailure
from grader.sandbox.student_model import load_student_model
from grader.sandbox.userimport import is_compiled
from grader.summary import summarize


def _subclassed(model: Any, summary: Any, shape: tuple[int, ...]) -> Any:
    """A subclassed model has no declared input: build it on the task's input shape and read
    the output shape from one call, so the checks still get both shapes."""
    import numpy as np

    try:
        model.build((None, *shape))
        output = model(np.zeros((1, *shape), dtype="float32"), training=False)
        output = output[0] if isinstance(output, (list, tuple)) else output
        out_shape = [None, *(int(d) for d in output.shape[1:])]
    except Exception as exc:  # the student's call() cannot take the task's inputs
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise JobFailure(
            f"build_model() returned a model with no declared input, and calling it on the task's "
            f"inputs {(None, *shape)} failed ({type(exc).__name__}: {first}); start it with keras.Input(shape={shape})"
        ) from None
    rebuilt = summarize(model)
    return rebuilt.model_copy(update={"input_shape": [None, *shape], "output_shape": out_shape})


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Returns {"summary": ModelSummary as dict, "compiled": bool, "loss": str|None, "device": str}."""
    import keras
    import tensorflow as tf

    cap = args.get("cap_text", "memory")
    keras.utils.set_random_seed(int(args.get("seed", 42)))
    model = load_student_model(workdir / "sub", cap_text=cap, notebook=args.get("notebook"))
    summary = summarize(model)
    shape = args.get("input_shape")
    if shape and not summary.input_shape:
        summary = _subclassed(model, summary, tuple(shape))
    if args.get("save_to"):  # grade mode: the parent re-reads the structure from this file
        try:
            model.save(workdir / args["save_to"])
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise JobFailure(f"the model build_model() returns cannot be saved as .keras ({type(exc).__name__}: {first})") from None
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return {"summary": summary.model_dump(mode="json"), "compiled": is_compiled(model), "loss": summary.loss,
            "device": device}
