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

    def task_here(self, folder: Optional[Path] = None) -> Optional[tuple[Task, Path]]:
        """The task whose workspace holds `folder` (default: the current folder), and that
        workspace: under the workspace root, a workspace the progress file recorded, or a
        folder named after a task (e.g. a copy of ~/tutor-work/task8.1)."""
        from tutor.state.student_progress import load_progress

        here = Path(folder or Path.cwd()).resolve()
        root = Path(self.workspace_root).expanduser().resolve()
        recorded = {tid: Path(entry.workspace).expanduser().resolve()
                    for tid, entry in load_progress().tasks.items() if entry.workspace}
        for candidate in (here, *here.parents):
            if candidate.parent == root and candidate.name in self.catalog.tasks:
                return self.catalog.get(candidate.name), candidate
            for tid, workspace in recorded.items():
                if candidate == workspace and tid in self.catalog.tasks:
                    return self.catalog.get(tid), candidate
        if here.name in self.catalog.tasks:
            return self.catalog.get(here.name), here
        return None

    def resolve_task(self, task_id: Optional[str], command: str = "check") -> Task:
        """TASK as given, else the task of the workspace folder we are in."""
        if task_id:
            return self.task(task_id)
        found = self.task_here()
        if found is None:
            from tutor.errors import UserError

            raise UserError(f"which task? give one (e.g. `tutor {command} task8.1`), or run this "
                            f"inside a task's workspace folder ({self.workspace_root}/TASK)")
        return found[0]

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
