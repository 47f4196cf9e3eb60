"""The model builder a training job gets from a notebook: `notebook_model.py`, the standalone
module (standard library, NumPy and Keras only) with the notebook's planned cells filled in."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from grader.notebook import standalone
from grader.notebook.plan import NotebookPlan

BUILDER = "notebook_model.py"


def builder_source(plan: NotebookPlan, datasets: Optional[dict[str, str]] = None) -> str:
    """standalone.py as it is, then the cells, the stop and the staged datasets as literals."""
    template = Path(standalone.__file__).read_text(encoding="utf-8")
    cells = [[cell.number, cell.source] for cell in plan.cells]
    filled = [
        "",
        "",
        f"# ---- filled in by `tutor submit` from {plan.notebook} ----",
        f"NOTEBOOK = {plan.notebook!r}",
        f"CELLS = {cells!r}",
        f"STOP = {(plan.stop.text() if plan.stop else '')!r}",
        f"DATASETS = {dict(datasets or {})!r}",
        "",
    ]
    return template.rstrip("\n") + "\n" + "\n".join(filled)


def builder_files(plan: NotebookPlan, datasets: Optional[dict[str, str]] = None) -> dict[str, str]:
    return {BUILDER: builder_source(plan, datasets)}
