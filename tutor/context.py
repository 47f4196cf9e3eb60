"""What every command needs: the config in force, the catalog, the workspace root."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from exercises import Catalog, Task, load_catalog
from tutor.config import CourseConfig, load_config

if TYPE_CHECKING:
    from exercises.target import TargetFramework


@dataclass
class Context:
    config: CourseConfig

    @cached_property
    def catalog(self) -> Catalog:
        """Forgiving: a broken pack or task is left out and listed in `catalog.problems`."""
        from exercises import CatalogError
        from tutor.config import find_config_file

        try:
            return load_catalog(self.config.exercise_dirs, self.config.packs, strict=False)
        except CatalogError as exc:  # `packs` names no pack: say which file says so
            if str(exc).startswith("packs:"):
                raise CatalogError(f"{find_config_file() or 'tutor.toml'}: {exc}") from None
            raise

    def task(self, task_id: str) -> Task:
        return self.catalog.get(task_id)

    @property
    def workspace_root(self) -> Path:
        return self.config.workspace_root

    @property
    def data_dir(self) -> Optional[Path]:
        return self.config.data_dir

    @cached_property
    def target(self) -> "TargetFramework":
        """What the course's jobs train with: the cluster profile's [framework] (tutor's own
        environment when the profile cannot be read; `tutor doctor` reports that problem)."""
        from exercises.target import OWN
        from hpc.errors import ProfileError
        from hpc.profiles import load_profile

        try:
            return load_profile(self.config.profile, self.config.profiles_dir).framework
        except ProfileError:
            return OWN


def load_context() -> Context:
    return Context(config=load_config())


def warn_problems(catalog: Catalog) -> None:
    """One warning line per pack or task left out of the course (stderr), and why."""
    from tutor.console import warn

    for problem in catalog.problems:
        warn(problem.headline)
    if catalog.problems:
        warn(f"{len(catalog.problems)} spec problem(s): the rest of the course works; "
             "instructors: `tutor doctor` or `tutor author check` shows each in full")
    if not len(catalog):
        warn("the course has no tasks: check `packs` and `exercise_dirs` in tutor.toml (tutor doctor)")
