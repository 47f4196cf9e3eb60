"""Child side of `tutor check`: import the student's model.py, call build_model(), verify it is
a keras.Model, and summarise it. Runs only inside a sandboxed child of the fork server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.sandbox.userimport import call_build_model, import_module, is_compiled
from grader.summary import summarize


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Returns {"summary": ModelSummary as dict, "compiled": bool, "loss": str|None}."""
    import keras

    cap = args.get("cap_text", "memory")
    keras.utils.set_random_seed(int(args.get("seed", 42)))
    module = import_module(workdir / "sub", cap_text=cap)
    model = call_build_model(module, cap_text=cap)
    summary = summarize(model)
    return {"summary": summary.model_dump(mode="json"), "compiled": is_compiled(model), "loss": summary.loss}
