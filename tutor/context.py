"""What every command needs: the config in force, the catalog, the workspace root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Optional

from exercises import Catalog, Task, load_catalog
from tutor.config import CourseConfig, load_config


@dataclass
class Context:
    config: CourseConfig

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.config.exercise_dirs, self.config.packs)

    def task(self, task_id: str) -> Task:
        return self.catalog.get(task_id)

    @property
    def workspace_root(self) -> Path:
        return self.config.workspace_root

    @property
    def data_dir(self) -> Optional[Path]:
        return self.config.data_dir


def load_context() -> Context:
    return Context(config=load_config())
