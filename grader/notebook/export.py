"""`tutor export`: a notebook as a standalone script (task 8.2), cells in order.

Magics and shell commands become comments (or `pass` inside a block), `display(x)` becomes
`print(x)`, a cell's last bare expression (which the notebook displayed) is printed, and
`mnist.load_data()` (which downloads, and which Keras 3 refuses a path) reads the staged file
with NumPy instead. Everything changed is listed in the notes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader.notebook.reader import read_notebook
from grader.notebook.syntax import CellCode, to_python

SHOWN = (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.BinOp, ast.Compare, ast.BoolOp, ast.JoinedStr)
MNIST_LOADER = '''# tutor export: compute nodes cannot download, so MNIST is read from the staged file.
# Pass another path as the first argument, or set MNIST_PATH.
import os
import sys

import numpy as np

MNIST_PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MNIST_PATH", {default!r})


def load_mnist(path=MNIST_PATH):
    """(x_train, y_train), (x_test, y_test) from the staged mnist.npz, as load_data() returns them."""
    with np.load(path, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])

'''


@dataclass
class Exported:
    text: str
    notes: list[str] = field(default_factory=list)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _mnist_loads(tree: ast.AST) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load_data":
            receiver = _dotted(node.func.value)
            if receiver.split(".")[-1] == "mnist":
                found.append(node)
    return found


def _rewrite_cell(cell: CellCode, notes: list[str]) -> tuple[list[str], bool]:
    lines = cell.source.splitlines()
    loads = False
    for call in sorted(_mnist_loads(cell.tree), key=lambda c: (c.lineno, c.col_offset), reverse=True):
        if call.lineno != call.end_lineno:
            continue
        path = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "path"), None)
        argument = ast.unparse(path) if path is not None and not (
            isinstance(path, ast.Constant) and isinstance(path.value, str) and "/" not in path.value) else ""
        line = lines[call.lineno - 1]
        lines[call.lineno - 1] = line[: call.col_offset] + f"load_mnist({argument})" + line[call.end_col_offset:]
        notes.append(f"cell {cell.number} line {call.lineno}: `{_dotted(call.func)}(...)` reads the staged "
                     "mnist.npz with NumPy instead (no download; Keras 3 refuses paths)")
        loads = True
    last = cell.tree.body[-1] if cell.tree.body else None
    if isinstance(last, ast.Expr) and isinstance(last.value, SHOWN):
        segment = "\n".join(lines[last.lineno - 1: last.end_lineno])
        indent = segment[: last.col_offset]
        body = segment[last.col_offset:]
        lines[last.lineno - 1: last.end_lineno] = (f"{indent}print({body})").splitlines()
        notes.append(f"cell {cell.number} line {last.lineno}: the value the notebook displayed is printed")
    return lines, loads


def export_script(path: Path, mnist_path: str = "mnist.npz") -> Exported:
    """The notebook as one script; NotebookError (one line) if it cannot be read or parsed."""
    notebook = read_notebook(path)
    notes: list[str] = []
    parts: list[str] = []
    needs_loader = False
    for cell in notebook.cells:
        code = to_python(cell, notebook.name, style="export")
        notes += code.notes
        lines, loads = _rewrite_cell(code, notes)
        needs_loader |= loads
        body = "\n".join(lines).strip("\n")
        if body.strip():
            parts.append(f"# cell {cell.number}\n{body}\n")
    head = f'"""{Path(notebook.name).stem}: exported from {notebook.name} by `tutor export`."""\n\n'
    loader = MNIST_LOADER.format(default=mnist_path) + "\n" if needs_loader else ""
    return Exported(head + loader + "\n\n".join(parts), notes)
