"""Where a notebook starts training, decided on the syntax tree (no cell is run).

A statement trains or evaluates when it calls `fit`, `evaluate`, `predict` (and their
`*_generator` / `*_on_batch` forms), `apply_gradients` or `minimize`, runs a loop around a
`GradientTape`, or calls a function the notebook defines that does any of these. Calls on
objects made by data tools (ImageDataGenerator.fit, a scaler's fit) do not count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable, Optional

from grader.notebook.syntax import CellCode

TRAINING = {"fit", "fit_generator", "train_on_batch", "apply_gradients", "minimize"}
EVALUATING = {"evaluate", "evaluate_generator", "test_on_batch", "predict", "predict_generator",
              "predict_on_batch", "predict_classes", "predict_proba"}
DATA_TOOLS = ("ImageDataGenerator", "Scaler", "Encoder", "Binarizer", "Normalizer", "PCA", "Tokenizer",
              "TextVectorization", "Imputer", "Vectorizer")
MODEL_MAKERS = {"Sequential", "Model", "Functional", "load_model", "clone_model", "build_model"}


@dataclass(frozen=True)
class Found:
    cell: int
    line: int
    code: str  # the statement's first line, shortened
    why: str  # "trains (model.fit)", "evaluates (model.evaluate)", "runs a custom training loop"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _receiver(node: ast.Call) -> Optional[str]:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return None


def _walk_code(node: ast.AST) -> Iterable[ast.AST]:
    """The nodes a statement runs now: function and class bodies are only defined, not run."""
    definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    stack = list(node.decorator_list) if isinstance(node, definition) else [node]
    while stack:
        current = stack.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.extend(child.decorator_list if not isinstance(child, ast.Lambda) else [])
                continue
            stack.append(child)


class Finder:
    """Reads every cell once: data-tool variables, training functions, model definitions."""

    def __init__(self, cells: list[CellCode]) -> None:
        self.cells = cells
        self.data_tools: set[str] = set()
        self.training_functions: dict[str, str] = {}  # name -> why
        for cell in cells:
            for node in ast.walk(cell.tree):
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                    if _callee(node.value).endswith(DATA_TOOLS):
                        self.data_tools.update(t.id for t in node.targets if isinstance(t, ast.Name))
        functions = {node.name: node for cell in cells for node in ast.walk(cell.tree)
                     if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        changed = True
        while changed:  # a function that calls a training function trains too
            changed = False
            for name, node in functions.items():
                if name in self.training_functions:
                    continue
                why = self._why(node.body, inside_function=True)
                if why:
                    self.training_functions[name] = why
                    changed = True

    def _why(self, body: list[ast.stmt], inside_function: bool = False) -> Optional[str]:
        for stmt in body:
            nodes = ast.walk(stmt) if inside_function else _walk_code(stmt)
            for node in nodes:
                why = self._node_why(node)
                if why:
                    return why
        return None

    def _node_why(self, node: ast.AST) -> Optional[str]:
        if isinstance(node, ast.Call):
            name = _callee(node)
            receiver = _receiver(node)
            if receiver in self.data_tools:
                return None
            if name in TRAINING and isinstance(node.func, ast.Attribute):
                return f"trains ({receiver or '…'}.{name})"
            if name in EVALUATING and isinstance(node.func, ast.Attribute):
                return f"evaluates ({receiver or '…'}.{name})"
            if isinstance(node.func, ast.Name) and name in self.training_functions:
                return f"calls {name}(), which {self.training_functions[name]}"
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and _callee(inner) == "GradientTape":
                    return "runs a custom training loop (GradientTape in a loop)"
        return None

    def first_stop(self) -> Optional[Found]:
        for cell in self.cells:
            for stmt in cell.tree.body:
                why = self._why([stmt])
                if why:
                    written = cell.lines[stmt.lineno - 1] if stmt.lineno <= len(cell.lines) else ""
                    return Found(cell.number, stmt.lineno, _short(written), why)
        return None

    def model_definitions(self, after: Optional[Found]) -> list[str]:
        """`name` (cell N) for models made by assignment at or after a stop, for the reason."""
        found: list[str] = []
        for cell in self.cells:
            for stmt in cell.tree.body:
                if after is not None and (cell.number, stmt.lineno) < (after.cell, after.line):
                    continue
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                        callee = _callee(node.value)
                        if callee in MODEL_MAKERS or callee in self.training_functions:
                            for target in node.targets:
                                if isinstance(target, ast.Name):
                                    label = f"`{target.id}` (cell {cell.number})"
                                    if label not in found:
                                        found.append(label)
        return found

    def build_model_cell(self) -> Optional[int]:
        for cell in self.cells:
            for stmt in cell.tree.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == "build_model":
                    return cell.number
        return None
