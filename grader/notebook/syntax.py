"""IPython syntax to plain Python, line for line, with a note for everything left out.

IPython's own transformer (the reference for its syntax) turns `%magic`, `!shell` and
`x = !cmd` into `get_ipython()...` calls; on the syntax tree those, `display(...)` and the
notebook-only imports (IPython, google.colab) become placeholders on the same lines, so a
traceback's line numbers still match the cell. Nothing here runs a cell.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterator, Literal, Optional

from grader.notebook.reader import CodeCell, NotebookError

Style = Literal["run", "export"]
# Cell magics whose body is plain Python: the magic goes, the body stays.
PYTHON_BODY_MAGICS = {"time", "timeit", "capture", "prun"}
NOTEBOOK_MODULES = ("IPython", "google.colab", "ipywidgets", "ipykernel")


@dataclass
class CellCode:
    """One code cell as plain Python (same line numbers as in the notebook)."""

    number: int
    source: str
    tree: ast.Module
    notes: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the cell as the student wrote it


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ipython_call(node: Optional[ast.AST]) -> Optional[tuple[str, list[ast.AST]]]:
    """('system'|'run_line_magic'|..., args) for `get_ipython().X(...)`, else None."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    base = node.func.value
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "get_ipython":
        return node.func.attr, list(node.args)
    return None


def _root(node: ast.AST) -> Optional[str]:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _notebook_module(name: Optional[str]) -> bool:
    return bool(name) and any(name == m or name.startswith(m + ".") for m in NOTEBOOK_MODULES)


def _bodies(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        value = getattr(node, name, None)
        if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
            yield value
    for handler in getattr(node, "handlers", []) or []:
        yield handler.body
    for case in getattr(node, "cases", []) or []:
        yield case.body


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        for inner in _bodies(stmt):
            yield from _statements(inner)


class _Rewriter:
    def __init__(self, cell: CodeCell, lines: list[str], python: list[str], style: Style) -> None:
        self.cell = cell
        self.lines = lines  # as written (for notes)
        self.python = python  # as IPython transformed them (edited in place)
        self.style = style
        self.notes: list[str] = []
        self.dropped_names: set[str] = set()

    def note(self, line: int, what: str) -> None:
        written = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        self.notes.append(f"cell {self.cell.number} line {line}: `{_short(written)}` {what}")

    def replace(self, stmt: ast.stmt, text: str) -> None:
        indent = self.python[stmt.lineno - 1][: stmt.col_offset]
        self.python[stmt.lineno - 1] = indent + text
        for index in range(stmt.lineno, (stmt.end_lineno or stmt.lineno)):
            self.python[index] = ""

    def placeholder(self, stmt: ast.stmt, why: str) -> None:
        written = _short(self.lines[stmt.lineno - 1].strip() if stmt.lineno <= len(self.lines) else "", 70)
        if self.style == "export" and stmt.col_offset == 0:
            self.replace(stmt, f"# {written}  (tutor export: {why})")
        else:
            self.replace(stmt, f"pass  # tutor: {written} ({why})")

    def visit(self, stmt: ast.stmt) -> None:
        value = getattr(stmt, "value", None)
        magic = _ipython_call(value)
        if magic and isinstance(stmt, ast.Expr):
            kind, args = magic
            argument = args[1].value if len(args) > 1 and isinstance(args[1], ast.Constant) else None
            if kind == "run_line_magic" and args and getattr(args[0], "value", None) == "time" and isinstance(argument, str):
                try:
                    ast.parse(argument)
                    self.replace(stmt, argument)
                    self.note(stmt.lineno, "ran without %time")
                    return
                except SyntaxError:
                    pass
            done = "commented out" if self.style == "export" else "not run"
            what = f"{done} (shell command)" if kind in ("system", "getoutput") else f"{done} (IPython magic)"
            self.placeholder(stmt, "shell command, not Python" if kind in ("system", "getoutput") else "IPython magic, not Python")
            self.note(stmt.lineno, what)
            return
        if magic and isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = " = ".join(ast.unparse(t) for t in targets)
            self.replace(stmt, f"{names} = []  # tutor: shell output not captured")
            self.note(stmt.lineno, "not run (shell command); the variable is an empty list")
            return
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else [stmt.module or ""]
            if any(_notebook_module(m) for m in modules):
                for alias in stmt.names:
                    self.dropped_names.add((alias.asname or alias.name).split(".")[0])
                self.placeholder(stmt, "notebook-only import")
                self.note(stmt.lineno, "left out (a notebook-only module)")
            return
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            root = _root(call.func)
            if isinstance(call.func, ast.Name) and call.func.id == "display":
                if self.style == "export" and stmt.lineno == stmt.end_lineno:
                    line = self.python[stmt.lineno - 1]
                    self.python[stmt.lineno - 1] = line[: call.func.col_offset] + "print" + line[call.func.end_col_offset:]
                    self.note(stmt.lineno, "became print()")
                else:
                    self.placeholder(stmt, "display() exists only in notebooks")
                    self.note(stmt.lineno, "skipped (display() exists only in notebooks)")
                return
            if root in self.dropped_names:
                self.placeholder(stmt, "uses a notebook-only module")
                self.note(stmt.lineno, "skipped (uses a notebook-only module)")
                return
        if isinstance(stmt, ast.Assign) and _root(stmt.value) in self.dropped_names and isinstance(stmt.value, ast.Call):
            self.placeholder(stmt, "uses a notebook-only module")
            self.note(stmt.lineno, "skipped (uses a notebook-only module)")


def to_python(cell: CodeCell, notebook: str, style: Style = "run") -> CellCode:
    """Plain Python for one cell, or NotebookError with the cell and line of a syntax error."""
    from IPython.core.inputtransformer2 import TransformerManager

    lines = cell.source.splitlines()
    notes: list[str] = []
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = (lines[first].strip()[2:].split() or [""])[0]
        if magic not in PYTHON_BODY_MAGICS:
            notes.append(f"cell {cell.number}: `%%{magic}` cell skipped (a cell magic: its body is not Python)")
            skipped = [f"# {line}" if line.strip() else "" for line in lines]
            if style == "run":
                skipped = [""] * len(lines)
            return CellCode(cell.number, "\n".join(skipped) + "\n", ast.parse(""), notes, lines)
        notes.append(f"cell {cell.number} line {first + 1}: `%%{magic}` removed, the cell's Python kept")
        lines_for_python = list(lines)
        lines_for_python[first] = f"# %%{magic}  (tutor: cell magic removed)"
    else:
        lines_for_python = list(lines)
    try:
        transformed = TransformerManager().transform_cell("\n".join(lines_for_python) + "\n")
    except Exception:  # IPython gives up on some broken input: parse it as it is
        transformed = "\n".join(lines_for_python) + "\n"
    python = transformed.splitlines()
    try:
        tree = ast.parse(transformed, filename=f"cell {cell.number}")
    except SyntaxError as exc:
        line = exc.lineno or 1
        written = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        shown = f" `{_short(written)}`" if written else ""
        raise NotebookError(f"{notebook} cell {cell.number} line {line}: syntax error: {exc.msg}{shown}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise NotebookError(f"{notebook} cell {cell.number}: not readable as Python ({type(exc).__name__})") from None
    rewriter = _Rewriter(cell, lines, python, style)
    for stmt in _statements(tree.body):
        rewriter.visit(stmt)
    source = "\n".join(python) + "\n"
    try:
        tree = ast.parse(source, filename=f"cell {cell.number}")
    except SyntaxError as exc:  # our placeholder broke something odd (several statements on one line)
        raise NotebookError(f"{notebook} cell {cell.number} line {exc.lineno}: cannot be turned into "
                            f"plain Python ({exc.msg}); put each notebook command on a line of its own") from None
    return CellCode(cell.number, source, tree, notes + rewriter.notes, lines)
