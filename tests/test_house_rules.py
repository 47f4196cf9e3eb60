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
    """A check kind is declared by its model in exercises/schema.py's `Check` union and graded by
    the function grader.checks.REGISTRY names: the two lists are the same, and each resolves."""
    import typing

    from exercises.schema import STRUCTURAL_KINDS, Check
    from grader.checks import REGISTRY, implementation

    models = typing.get_args(typing.get_args(Check)[0])
    kinds = [typing.get_args(m.model_fields["kind"].annotation)[0] for m in models]
    assert len(kinds) == len(set(kinds)), "two schema models declare the same kind"
    assert sorted(kinds) == sorted(REGISTRY), (
        f"schema only: {sorted(set(kinds) - set(REGISTRY))}; registry only: {sorted(set(REGISTRY) - set(kinds))}")
    assert all(callable(implementation(kind)) for kind in kinds)
    assert STRUCTURAL_KINDS <= set(kinds)
