"""The exercise catalog: course packs on disk, loaded and validated without TensorFlow.

Layout: `<root>/<pack>/pack.toml` and `<root>/<pack>/<task-id>/exercise.toml` with a
`README.md` (the instructions) and an optional `starter/` folder copied into workspaces.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Optional

from pydantic import ValidationError

from exercises.pack import Pack
from exercises.schema import Exercise

PACKS_ROOT = Path(__file__).resolve().parent / "packs"


class CatalogError(Exception):
    """A spec that cannot be used; the message names the file, the field and the reason."""


class UnknownTask(LookupError):
    def __init__(self, task_id: str, suggestions: list[str]):
        self.task_id = task_id
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown task '{task_id}'{hint}; try: tutor list")


def _describe(error: ValidationError, path: Path) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        parts.append(f"{path}: {where}: {item['msg']}")
    return "\n".join(parts)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None


@dataclass(frozen=True)
class Task:
    """An exercise with where it lives on disk."""

    spec: Exercise
    folder: Path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def readme(self) -> Path:
        return self.folder / "README.md"

    @property
    def starter(self) -> Path:
        return self.folder / "starter"

    def instructions(self) -> str:
        return self.readme.read_text(encoding="utf-8")

    def resolve_file(self, name: str) -> Path:
        """A file that belongs to the exercise (e.g. a golden log), inside its folder."""
        return self.folder / name


def load_task(folder: Path, pack: str) -> Task:
    path = folder / "exercise.toml"
    raw = _read_toml(path)
    raw.setdefault("pack", pack)
    try:
        spec = Exercise.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(_describe(exc, path)) from None
    if spec.id != folder.name:
        raise CatalogError(f"{path}: id: '{spec.id}' must match its folder name '{folder.name}'")
    if not (folder / "README.md").is_file():
        raise CatalogError(f"{folder / 'README.md'}: missing: every task needs its instructions")
    return Task(spec=spec, folder=folder)


def load_pack(folder: Path) -> tuple[Pack, list[Task]]:
    path = folder / "pack.toml"
    raw = _read_toml(path)
    try:
        pack = Pack.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(_describe(exc, path)) from None
    tasks = [
        load_task(child, pack.id)
        for child in sorted(folder.iterdir())
        if (child / "exercise.toml").is_file()
    ]
    return pack, tasks


@dataclass
class Catalog:
    packs: list[Pack]
    tasks: dict[str, Task] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.ordered)

    def __len__(self) -> int:
        return len(self.tasks)

    @cached_property
    def ordered(self) -> list[Task]:
        rank = {pack.id: i for i, pack in enumerate(self.packs)}
        return sorted(
            self.tasks.values(),
            key=lambda t: (rank.get(t.spec.pack, 99), t.spec.chapter, t.spec.order, t.id),
        )

    def get(self, task_id: str) -> Task:
        key = normalise_task_id(task_id)
        if key in self.tasks:
            return self.tasks[key]
        close = difflib.get_close_matches(key, list(self.tasks), n=3, cutoff=0.6)
        raise UnknownTask(task_id, close)

    def pack(self, pack_id: str) -> Optional[Pack]:
        return next((p for p in self.packs if p.id == pack_id), None)

    def by_chapter(self) -> list[tuple[Pack, int, list[Task]]]:
        """Tasks grouped by (pack, chapter), in course order."""
        groups: dict[tuple[str, int], list[Task]] = {}
        for task in self.ordered:
            groups.setdefault((task.spec.pack, task.spec.chapter), []).append(task)
        return [(self.pack(p), ch, tasks) for (p, ch), tasks in groups.items()]  # type: ignore[misc]


def normalise_task_id(task_id: str) -> str:
    """Accept `8.1`, `Task8.1` and `task 8.1` for `task8.1`."""
    key = task_id.strip().lower().replace(" ", "")
    if key[:1].isdigit():
        key = "task" + key
    return key


def pack_folders(extra_dirs: Iterable[Path] = ()) -> list[Path]:
    """Shipped packs first, then each extra folder (itself a pack, or a folder of packs)."""
    folders = sorted(p for p in PACKS_ROOT.iterdir() if (p / "pack.toml").is_file())
    for extra in extra_dirs:
        extra = Path(extra).expanduser()
        if (extra / "pack.toml").is_file():
            folders.append(extra)
        elif extra.is_dir():
            folders.extend(sorted(p for p in extra.iterdir() if (p / "pack.toml").is_file()))
        else:
            raise CatalogError(f"{extra}: exercise folder not found")
    return folders


def load_catalog(
    extra_dirs: Iterable[Path] = (), enabled_packs: Optional[Iterable[str]] = None
) -> Catalog:
    """Load and validate every enabled pack. Raises CatalogError on the first bad spec."""
    enabled = set(enabled_packs) if enabled_packs is not None else None
    packs: list[Pack] = []
    tasks: dict[str, Task] = {}
    for folder in pack_folders(extra_dirs):
        pack, pack_tasks = load_pack(folder)
        if enabled is not None and pack.id not in enabled:
            continue
        packs.append(pack)
        for task in pack_tasks:
            if task.id in tasks:
                raise CatalogError(
                    f"{task.folder / 'exercise.toml'}: id: '{task.id}' is already defined "
                    f"in {tasks[task.id].folder}"
                )
            tasks[task.id] = task
    packs.sort(key=lambda p: (p.order, p.id))
    return Catalog(packs=packs, tasks=tasks)
