"""Exercise schema and catalog. Imports nothing heavy and nothing else of ours.

The names below load on first use, so a module of this package that does not need the
schema (`exercises.layout`, which `tutor list`'s cache reads) does not build its models."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exercises.catalog import Catalog, Task, UnknownTask, load_catalog
    from exercises.layout import CatalogError, Problem
    from exercises.schema import Exercise, ExerciseKind

_WHERE = {
    "Catalog": "exercises.catalog",
    "CatalogError": "exercises.layout",
    "Problem": "exercises.layout",
    "Task": "exercises.catalog",
    "UnknownTask": "exercises.catalog",
    "load_catalog": "exercises.catalog",
    "Exercise": "exercises.schema",
    "ExerciseKind": "exercises.schema",
}

__all__ = ["Catalog", "CatalogError", "Exercise", "ExerciseKind", "Problem", "Task", "UnknownTask", "load_catalog"]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'exercises' has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
