"""Offline-first data: registry of known datasets and weights, resolution, verification,
staging and input adapters."""

from grader.data.errors import DataError
from grader.data.registry import DATASETS, WEIGHTS
from grader.data.resolve import Resolved, resolve_dataset, resolve_weights, search_places

__all__ = [
    "DATASETS",
    "WEIGHTS",
    "DataError",
    "Resolved",
    "resolve_dataset",
    "resolve_weights",
    "search_places",
]
