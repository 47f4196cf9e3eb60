"""Reading a notebook with nbformat, the reference reader: version 4 only, validated, with a
one-line reason for anything else. Saved outputs are dropped here: they are never trusted."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from pydantic import BaseModel, ConfigDict

MAX_NOTEBOOK_BYTES = 64 << 20  # outputs (plots) make notebooks large; code is what we keep
MAX_CODE_BYTES = 2 << 20  # parsed on the trusted side: far beyond any course notebook's code


class NotebookError(Exception):
    """A notebook that cannot be used; str() is the one-line reason."""


class CodeCell(BaseModel):
    """One code cell: `number` counts every cell from 1, as a student scrolls the notebook."""

    model_config = ConfigDict(frozen=True)

    number: int
    source: str


class Notebook(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    cells: tuple[CodeCell, ...]
    markdown_cells: int = 0


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text[:200]


def _read_text(path: Path) -> str:
    """The file's text, opened once as a regular file: a symlink, a FIFO (which would block the
    trusted side forever) or a device is refused, and the size is that of the file read."""
    from grader.sandbox.staging import StagingError, open_regular

    name = path.name
    try:
        fd = open_regular(path)
    except StagingError as exc:
        if path.is_symlink():
            raise NotebookError(f"{name} is a symlink; put the notebook itself in the submission folder") from None
        raise NotebookError(f"{exc}; put the notebook file itself in the submission folder") from None
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(MAX_NOTEBOOK_BYTES + 1) if size <= MAX_NOTEBOOK_BYTES else b""
    if size > MAX_NOTEBOOK_BYTES or len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{name} is {max(size, len(data)) >> 20} MiB, over the {MAX_NOTEBOOK_BYTES >> 20} MiB "
                            "limit: clear its outputs (Edit > Clear all outputs) and save it again")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotebookError(f"{name} is not a notebook (not UTF-8 text); save it again from Jupyter") from None


def read_notebook(path: Path) -> Notebook:
    """The code cells of a v4 notebook, or NotebookError saying why it cannot be read."""
    import nbformat
    from nbformat.reader import NotJSONError
    from nbformat.validator import ValidationError

    name = path.name
    text = _read_text(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. MissingIDFieldWarning: harmless for grading
        try:
            notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        except NotJSONError:
            raise NotebookError(f"{name} is not a notebook (not JSON): it may be cut short or not saved "
                                "from Jupyter; save it again (File > Save) or download it again") from None
        except ValidationError as exc:
            raise NotebookError(f"{name} is not a valid notebook: {_first_line(exc)}; save it again from Jupyter") from None
        except nbformat.NBFormatError:
            raise NotebookError(f"{name} has a notebook version tutor does not read (it reads version 4): "
                                "open and save it in a current Jupyter") from None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            raise NotebookError(f"{name} is not a readable notebook ({_first_line(exc)})") from None
        version = notebook.get("nbformat") if hasattr(notebook, "get") else None
        if version != 4:
            raise NotebookError(
                f"{name} is a version-{version} notebook; tutor reads version 4: open and save it in "
                "a current Jupyter (or run `jupyter nbconvert --to notebook --inplace` on it)"
            )
        try:
            nbformat.validate(notebook)
        except ValidationError as exc:
            raise NotebookError(f"{name} is not a valid notebook: {_first_line(exc)}; save it again from Jupyter") from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise NotebookError(f"{name} is not a valid notebook ({_first_line(exc)})") from None
    cells = []
    markdown = 0
    for number, cell in enumerate(notebook.cells, 1):
        if cell.cell_type == "code":
            cells.append(CodeCell(number=number, source=cell.source))
        elif cell.cell_type == "markdown":
            markdown += 1
    code = sum(len(cell.source) for cell in cells)
    if code > MAX_CODE_BYTES:
        raise NotebookError(f"{name} holds {code >> 20} MiB of code, over the {MAX_CODE_BYTES >> 20} MiB limit: "
                            "keep data out of the code cells (load it from a file)")
    return Notebook(name=name, cells=tuple(cells), markdown_cells=markdown)
