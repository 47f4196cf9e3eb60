"""Child side of `tutor check`: import the student's model.py, call build_model(), verify it is
a keras.Model, and summarise it. Runs only inside a sandboxed child of the fork server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sandbox.userimport import is_compiled, load_student_model
from grader.summary import summarize


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Returns {"summary": ModelSummary as dict, "compiled": bool, "loss": str|None, "device": str}."""
    import keras
    import tensorflow as tf

    cap = args.get("cap_text", "memory")
    keras.utils.set_random_seed(int(args.get("seed", 42)))
    model = load_student_model(workdir / "sub", cap_text=cap)
    summary = summarize(model)
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    return {"summary": summary.model_dump(mode="json"), "compiled": is_compiled(model), "loss": summary.loss,
            "device": device}
