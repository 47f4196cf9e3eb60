"""What the sandbox runs of a notebook: its code cells as plain Python, in order, cut before
the first statement that trains or evaluates. Travels to the child as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from pydantic import BaseModel, ConfigDict

from grader.notebook.classify import Finder, Found
from grader.notebook.reader import CodeCell, Notebook, NotebookError, read_notebook
from grader.notebook.syntax import CellCode, to_python


class PlannedCell(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int
    source: str
    partial: bool = False  # the cell where training starts: only the lines before it


class Stop(BaseModel):
    """Where checking stops: the first statement that trains or evaluates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cell: int
    line: int
    code: str
    why: str

    def text(self) -> str:
        return f"cell {self.cell} line {self.line} (`{self.code}`), which {self.why}"


class NotebookPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    notebook: str
    code_cells: int
    cells: list[PlannedCell]
    stop: Optional[Stop] = None
    notes: list[str] = []
    later_models: list[str] = []  # models made at or after the stop: "`model` (cell 5)"
    build_model_cell: Optional[int] = None

    def summary(self) -> str:
        """One line for the report: what ran and where it stopped."""
        ran = f"ran {len(self.cells)} of {self.code_cells} code cells"
        if self.stop is None:
            return f"{self.notebook}: {ran} (none trains)"
        return f"{self.notebook}: {ran}, stopped before {self.stop.text()}"


def code_of(notebook: Notebook) -> list[CellCode]:
    return [to_python(cell, notebook.name) for cell in notebook.cells]


def _plan(notebook: Notebook, cells: list[CellCode]) -> NotebookPlan:
    finder = Finder(cells)
    found: Optional[Found] = finder.first_stop()
    planned: list[PlannedCell] = []
    notes: list[str] = []
    for cell in cells:
        if found is not None and cell.number > found.cell:
            break
        if found is not None and cell.number == found.cell:
            lines = cell.source.splitlines()[: found.line - 1]
            notes += [n for n in cell.notes if _line_of(n) < found.line]
            if any(stmt.lineno < found.line for stmt in cell.tree.body):
                planned.append(PlannedCell(number=cell.number, source="\n".join(lines) + "\n", partial=True))
            break
        notes += cell.notes
        if cell.tree.body:  # a cell left with nothing to run (a %%bash cell) does not count as run
            planned.append(PlannedCell(number=cell.number, source=cell.source))
    stop = Stop(cell=found.cell, line=found.line, code=found.code, why=found.why) if found else None
    return NotebookPlan(
        notebook=notebook.name, code_cells=len(cells), cells=planned, stop=stop, notes=notes,
        later_models=finder.model_definitions(found) if found else [], build_model_cell=finder.build_model_cell(),
    )


def _line_of(note: str) -> int:
    try:
        return int(note.split(" line ", 1)[1].split(":", 1)[0])
    except (IndexError, ValueError):
        return 0


def plan_notebook(path: Path) -> NotebookPlan:
    """Read, convert and cut a notebook; NotebookError (one line) if it cannot be."""
    notebook = read_notebook(path)
    if not notebook.cells:
        raise NotebookError(f"{notebook.name} has no code cells")
    return _plan(notebook, code_of(notebook))


def plan_cells(name: str, cells: Iterable[tuple[int, str]]) -> NotebookPlan:
    """The plan for cells already read at intake: (number, source) of each code cell."""
    notebook = Notebook(name=name, cells=tuple(CodeCell(number=n, source=s) for n, s in cells))
    if not notebook.cells:
        raise NotebookError(f"{name} has no code cells")
    return _plan(notebook, code_of(notebook))


def code_fingerprint_text(path: Path) -> str:
    """The notebook's code as the student wrote it, cells joined (outputs, ids, metadata left
    out): what integrity fingerprints compare."""
    notebook = read_notebook(path)
    return "\n\n".join(cell.source for cell in notebook.cells)


__all__ = ["NotebookPlan", "PlannedCell", "Stop", "plan_cells", "plan_notebook", "NotebookError", "code_fingerprint_text"]
