"""Which function grades which check kind: derived, never listed by hand.

Each check function says which schema model it grades (`@implements(s.InputShapeCheck)`); the
registry imports every module of `grader.checks` once and pairs the functions with
`exercises.schema.CHECK_MODELS`. A kind without a function, or a function for a model the
schema does not know, stops the grader at its first check with the names to fix (and fails
tests/test_house_rules.py).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any, Callable, TypeVar

from exercises.schema import CHECK_MODELS, CheckBase

CheckFunction = Callable[[Any, Any], Any]  # (check model, CheckContext) -> CheckResult
F = TypeVar("F", bound=CheckFunction)

# model -> the function that grades it, filled by @implements as the check modules are imported
IMPLEMENTATIONS: dict[type[CheckBase], CheckFunction] = {}


def implements(model: type[CheckBase]) -> Callable[[F], F]:
    """Mark `func(check, ctx) -> CheckResult` as the one grader of `model`'s kind."""

    def register(func: F) -> F:
        other = IMPLEMENTATIONS.get(model)
        if other is not None and other is not func:
            raise TypeError(f"{model.__name__} is graded twice: {other.__module__}.{other.__name__} "
                            f"and {func.__module__}.{func.__name__}")
        IMPLEMENTATIONS[model] = func
        return func

    return register


def disagreements(models: list[type[CheckBase]], implementations: dict[type[CheckBase], CheckFunction]) -> list[str]:
    """What keeps the schema's kinds and the grader's functions from being one-to-one."""
    problems = [f"check kind {m.KIND!r} ({m.__name__}) has no function: add @implements({m.__name__}) "
                "in grader/checks" for m in models if m not in implementations]
    problems += [f"{f.__module__}.{f.__name__} grades {m.__name__}, which is not a check kind of "
                 "exercises/schema.py" for m, f in implementations.items() if m not in models]
    return problems


def import_check_modules() -> None:
    """Import every module beside this one (each registers its kinds as it is imported)."""
    package = __name__.rpartition(".")[0]
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        importlib.import_module(f"{package}.{module.name}")


@cache
def check_functions() -> dict[str, CheckFunction]:
    """kind -> function, for every check kind of the schema (RuntimeError if they disagree)."""
    import_check_modules()
    problems = disagreements(CHECK_MODELS, IMPLEMENTATIONS)
    if problems:
        raise RuntimeError("; ".join(problems))
    return {model.KIND: IMPLEMENTATIONS[model] for model in CHECK_MODELS}
