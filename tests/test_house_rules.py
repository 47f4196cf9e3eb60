"""The house rules, enforced (ARCHITECTURE.md): ruff's rule set, the import-linter contracts in
pyproject.toml (exercises a leaf; grader and hpc independent of each other and of tutor;
TensorFlow and Keras only where student models run) and no import cycle between our modules,
function-local imports included. A broken rule fails the suite, so CI fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tutor", "grader", "hpc", "exercises")


def _tool(module: str) -> None:
    """ruff and import-linter come with the dev extra: skip locally without them, fail in CI."""
    try:
        __import__(module)
    except ImportError:
        message = f"needs {module} (pip install -e '.[dev]')"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_ruff_finds_nothing():
    _tool("ruff")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"ruff (pyproject.toml [tool.ruff]):\n{done.stdout}{done.stderr}"


def test_import_contracts_are_kept():
    _tool("importlinter")
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"import-linter (pyproject.toml [tool.importlinter]):\n{done.stdout[-6000:]}{done.stderr}"
    assert "0 broken" in done.stdout and "kept" in done.stdout.lower()


def import_cycles(*packages: str) -> list[list[str]]:
    """Strongly connected groups of modules that import each other, directly or round a loop
    (imports inside functions count; `if TYPE_CHECKING:` imports do not)."""
    import grimp

    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True, cache_dir=None)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & graph.modules) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in edges:  # Tarjan's algorithm, iterative (no recursion limit on deep packages)
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def test_no_import_cycles():
    _tool("grimp")
    cycles = import_cycles(*PACKAGES)
    shown = "\n".join(" <-> ".join(group) for group in cycles)
    assert not cycles, f"import cycles (move the shared piece into a module both can import):\n{shown}"


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    """The rule above can fail: a two-module loop hidden in a function is found."""
    _tool("grimp")
    pkg = tmp_path / "loopy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from loopy import b\n")
    (pkg / "b.py").write_text("def later():\n    from loopy.a import b\n")
    (pkg / "c.py").write_text("import loopy.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("loopy") == [["loopy.a", "loopy.b"]]


def test_every_check_kind_in_the_schema_has_one_implementation_and_no_more():
    """A check kind is defined once: its model in exercises/schema.py (the `Check` union and the
    kind lists are derived from the models) and one function marked `@implements(model)`."""
    import inspect
    import typing

    from exercises.schema import ARTIFACT_KINDS, CHECK_MODELS, STRUCTURAL_KINDS, Check
    from grader.checks import REGISTRY
    from grader.checks.registry import IMPLEMENTATIONS, disagreements

    assert list(typing.get_args(typing.get_args(Check)[0])) == CHECK_MODELS
    assert disagreements(CHECK_MODELS, IMPLEMENTATIONS) == []
    assert list(REGISTRY) == [m.KIND for m in CHECK_MODELS]
    for model in CHECK_MODELS:  # each function says in its signature which model it grades
        annotation = str(inspect.signature(REGISTRY[model.KIND]).parameters["check"].annotation)
        assert annotation.rsplit(".", 1)[-1] == model.__name__, (model.KIND, annotation)
    assert STRUCTURAL_KINDS == {m.KIND for m in CHECK_MODELS if m.structural} and "input_shape" in STRUCTURAL_KINDS
    assert ARTIFACT_KINDS == {"min_accuracy", "overfitting"}


def test_the_registry_rule_can_fail(monkeypatch):
    """A kind without a function, a function for an unknown model, a second function for one
    kind and an impossible trait are each refused with the names to fix."""
    from typing import Literal

    from exercises import schema
    from grader.checks import registry

    monkeypatch.setattr(schema, "CHECK_MODELS", list(schema.CHECK_MODELS))  # models below stay out of the real list
    monkeypatch.setattr(registry, "CHECK_MODELS", schema.CHECK_MODELS)
    monkeypatch.setattr(registry, "IMPLEMENTATIONS", dict(registry.IMPLEMENTATIONS))

    class OrphanCheck(schema.CheckBase):
        kind: Literal["orphan"]
        reads = frozenset({"documents"})

    assert registry.disagreements(schema.CHECK_MODELS, registry.IMPLEMENTATIONS) == [
        "check kind 'orphan' (OrphanCheck) has no function: add @implements(OrphanCheck) in grader/checks"]
    with pytest.raises(RuntimeError, match="'orphan'"):
        registry.check_functions.__wrapped__()

    class StrayCheck(schema.Strict):
        kind: Literal["stray"]

    def stray(check, ctx):
        return None

    registry.implements(StrayCheck)(stray)
    assert any("grades StrayCheck, which is not a check kind" in p
               for p in registry.disagreements(schema.CHECK_MODELS, registry.IMPLEMENTATIONS))
    with pytest.raises(TypeError, match="InputShapeCheck is graded twice"):
        registry.implements(schema.InputShapeCheck)(stray)
    with pytest.raises(TypeError, match="two check models declare kind 'orphan'"):
        type("Again", (schema.CheckBase,), {"__annotations__": {"kind": Literal["orphan"]}})
    with pytest.raises(TypeError, match="unknown inputs"):
        type("Typo", (schema.CheckBase,), {"__annotations__": {"kind": Literal["typo"]},
                                           "reads": frozenset({"modle"})})
    with pytest.raises(TypeError, match="structural but does not read the model"):
        type("Odd", (schema.CheckBase,), {"__annotations__": {"kind": Literal["odd"]}, "structural": True,
                                          "reads": frozenset({"source"})})
    with pytest.raises(TypeError, match="no `artifact` field"):
        type("Nameless", (schema.CheckBase,), {"__annotations__": {"kind": Literal["nameless"]},
                                               "reads": frozenset({"other_artifact"})})
