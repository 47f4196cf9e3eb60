"""Notebook intake: which file a model task's submission is (model.py or a notebook), and
the notebook's cells, read once with nbformat.

`--path lab.ipynb` names the notebook; a folder means its model.py, unless the student never
touched the starter's model.py (or has none) and keeps their work in a notebook: the one
the exercise declares in its files, else the folder's only `.ipynb`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

from exercises import Task
from exercises.schema import ExerciseKind
from grader.sandbox.staging import StagingError, read_regular

MODEL_PY = "model.py"


class NotebookCell(BaseModel):
    """One cell of a submitted notebook (filled by the notebook intake; None until then)."""

    model_config = ConfigDict(frozen=True)

    index: int
    kind: Literal["code", "markdown", "raw"]
    source: str


@dataclass(frozen=True)
class ModelSource:
    folder: Path
    notebook: Optional[Path] = None  # None: the folder's model.py


def _is_starter(task: Task, model_py: Path) -> bool:
    """model.py is still the starter. It is opened as a regular file only: a FIFO would block
    the trusted side (anything else is not the starter, and staging names the problem)."""
    starter = task.starter / MODEL_PY
    try:
        want = starter.read_bytes() if starter.is_file() else None
        return want is not None and read_regular(model_py, len(want)) == want
    except (OSError, StagingError):
        return False


def notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def locate(task: Task, path: Path) -> ModelSource:
    """The submission's folder and, for a notebook, which one; StagingError if unclear."""
    path = Path(path).expanduser()
    if path.suffix == ".ipynb" and (path.is_file() or path.is_symlink()):
        return ModelSource(path.parent.resolve(), path.parent.resolve() / path.name)
    if path.is_file():
        raise StagingError(f"{path}: --path takes a submission folder or a .ipynb notebook")
    if not path.is_dir():
        raise StagingError(f"{path}: no such folder (pass --path DIR or run `tutor start {task.id}`)")
    if task.spec.kind is not ExerciseKind.model:
        return ModelSource(path)
    notebooks = notebooks_in(path)
    model_py = path / MODEL_PY
    if not notebooks or ((model_py.exists() or model_py.is_symlink()) and not _is_starter(task, model_py)):
        return ModelSource(path)
    declared = [p for p in notebooks if p.name in task.spec.files]
    choice = declared or notebooks
    if len(choice) == 1:
        return ModelSource(path, choice[0])
    names = ", ".join(p.name for p in choice[:4]) + (", ..." if len(choice) > 4 else "")
    raise StagingError(f"{path} holds {len(choice)} notebooks ({names}) and no model.py of your own: "
                       f"pass --path NOTEBOOK.ipynb to say which one to grade")


def read_cells(notebook: Path) -> tuple[Optional[tuple[NotebookCell, ...]], Optional[str]]:
    """The notebook's code cells (numbered as the student sees them, every cell counted), or
    the one-line reason it cannot be read (reported as the model's build failure)."""
    from grader.notebook.reader import NotebookError, read_notebook

    try:
        read = read_notebook(notebook)
    except NotebookError as exc:
        return None, str(exc)
    if not read.cells:
        return None, f"{notebook.name} has no code cells"
    return tuple(NotebookCell(index=c.number, kind="code", source=c.source) for c in read.cells), None
