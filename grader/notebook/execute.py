"""Child side: run a notebook's planned cells in the sandbox and hand back its model, turning
every way that can go wrong into one line that names the cell. Runs only in sandboxed
children (the fork server's build and train jobs)."""

from __future__ import annotations

import traceback
from typing import Any

from grader.notebook import standalone
from grader.notebook.plan import NotebookPlan
from grader.sandbox.protocol import JobFailure
from grader.sandbox.userimport import TooManyParams, _text, call_build_model, memory_reason, param_budget


def _where(exc: BaseException, notebook: str) -> str:
    """'cell 3 line 2' for the innermost frame in a notebook cell, else ''."""
    prefix = f"<{notebook} cell "
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(prefix)]
    if not frames:
        return ""
    cell = frames[-1].filename[len(prefix):].rstrip(">")
    return f"cell {cell} line {frames[-1].lineno}"


def _after_training(plan: NotebookPlan) -> str:
    if plan.stop is None:
        return ""
    if plan.build_model_cell is not None and plan.build_model_cell >= plan.stop.cell:
        return (f"; build_model() is defined in cell {plan.build_model_cell}, at or after cell {plan.stop.cell} "
                "where training starts: move it above the training cells")
    if plan.later_models:
        made = ", ".join(plan.later_models)
        return (f"; the model ({made}) is made only from {plan.stop.text().split(' (')[0]} on, where training "
                "starts: build and compile it in a cell above the training cells (training runs with "
                "`tutor train`), or define build_model()")
    return ""




def run_plan(plan: NotebookPlan, cap_text: str = "memory") -> Any:
    """The notebook's model (see standalone.py for the order), or JobFailure."""
    notebook = plan.notebook
    namespace = standalone.new_namespace()
    cells = [(cell.number, cell.source) for cell in plan.cells]
    stops: list[str] = []  # a training call the syntax tree did not show, met while running
    with param_budget():
        try:
            origins = standalone.run_cells(notebook, cells, namespace, stops)
        except TooManyParams as exc:
            raise JobFailure(str(exc)) from None
        except MemoryError:
            raise JobFailure(memory_reason(f"running {notebook}", cap_text)) from None
        except SystemExit as exc:
            where = _where(exc, notebook) or "a cell"
            raise JobFailure(f"{notebook} {where} called exit({exc.code}); remove the exit") from None
        except ModuleNotFoundError as exc:
            where = _where(exc, notebook)
            raise JobFailure(f"{notebook} {where} imports '{exc.name}', a module that is not installed here; "
                             "remove the import or use a module the course provides") from None
        except BaseException as exc:
            if "ResourceExhausted" in type(exc).__name__:
                raise JobFailure(memory_reason(f"running {notebook}", cap_text)) from None
            where = _where(exc, notebook) or "a cell"
            raise JobFailure(f"{notebook} {where} failed: {_text(exc)}") from None
        if callable(namespace.get("build_model")):
            holder = type("NotebookModule", (), {"build_model": staticmethod(namespace["build_model"])})
            return call_build_model(holder, file_name=notebook, cap_text=cap_text)
        try:
            stop = stops[0] if stops else plan.stop.text() if plan.stop else ""
            return standalone.pick_model(namespace, origins, stop)
        except standalone.NotebookModelError as exc:
            raise JobFailure(f"{notebook}: {exc}{'' if stops else _after_training(plan)}") from None
