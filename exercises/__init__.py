"""Exercise schema and catalog. Imports nothing heavy and nothing else of ours."""

from exercises.catalog import Catalog, CatalogError, Problem, Task, UnknownTask, load_catalog
from exercises.schema import Exercise, ExerciseKind

__all__ = [
    "Catalog",
    "CatalogError",
    "Problem",
    "Exercise",
    "ExerciseKind",
    "Task",
    "UnknownTask",
    "load_catalog",
]
