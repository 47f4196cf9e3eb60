"""The student's model inside a sandboxed child, from model.py or from a notebook's cells:
the one place that chooses between the two (`grader.build` and `grader.training` call it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.notebook.execute import run_plan
from grader.notebook.plan import NotebookPlan
from grader.sandbox.userimport import call_build_model, import_module, param_budget


def load_student_model(folder: Path, cap_text: str = "memory", notebook: Any = None) -> Any:
    """Import model.py and call build_model() under the parameter budget; or, given a
    notebook plan (job args), run its cells and take the model they leave."""
    if notebook is not None:
        return run_plan(NotebookPlan.model_validate(notebook), cap_text=cap_text)
    with param_budget():
        module = import_module(folder, cap_text=cap_text)
        return call_build_model(module, cap_text=cap_text)
