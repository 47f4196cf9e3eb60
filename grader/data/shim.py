"""Parent side of the sandbox's dataset loaders: which Keras datasets a submission's code
names, and their verified files copied into a job's folder (see grader.sandbox.datasets_shim)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Iterable, Optional

from grader.data.errors import DataError
from grader.data.resolve import Resolved, resolve_dataset

KERAS_DATASETS = ("mnist", "fashion_mnist", "cifar10")
MAX_SCAN_BYTES = 1 << 20


def named_datasets(sources: Iterable[str]) -> list[str]:
    """Keras datasets the code refers to (`keras.datasets.mnist`, `from ... import mnist`),
    only where it calls load_data() at all."""
    found: set[str] = set()
    calls_load = False
    for text in sources:
        if "load_data" not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                calls_load |= node.attr == "load_data"
                if node.attr in KERAS_DATASETS:
                    found.add(node.attr)
            elif isinstance(node, ast.alias) and node.name.rsplit(".", 1)[-1] in KERAS_DATASETS:
                found.add(node.name.rsplit(".", 1)[-1])
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.rsplit(".", 1)[-1] in KERAS_DATASETS:
                found.add(node.module.rsplit(".", 1)[-1])
    return sorted(found) if calls_load else []


def python_sources(folder: Path) -> list[str]:
    texts = []
    for path in sorted(folder.glob("*.py")):
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_SCAN_BYTES:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts


class DatasetCopies:
    """Resolves (and verifies) each dataset once per grading session, copies it per job."""

    def __init__(self, data_dir: Optional[Path], allow_downloads: bool = False) -> None:
        self.data_dir = data_dir
        self.allow_downloads = allow_downloads
        self._resolved: dict[str, Optional[Resolved]] = {}

    def resolved(self, name: str) -> Optional[Resolved]:
        if name not in self._resolved:
            try:
                self._resolved[name] = resolve_dataset(name, self.data_dir, allow_download=self.allow_downloads)
            except DataError:
                self._resolved[name] = None  # not staged: the student's load_data() fails as it would
        return self._resolved[name]

    def stage(self, names: Iterable[str], workdir: Path) -> dict[str, str]:
        """Copy each resolvable dataset to workdir/in/datasets/; {name: path relative to workdir}."""
        staged: dict[str, str] = {}
        for name in names:
            resolved = self.resolved(name)
            if resolved is None:
                continue
            target = workdir / "in" / "datasets" / f"{name}.npz"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(resolved.path, target)
            staged[name] = str(target.relative_to(workdir))
        return staged
