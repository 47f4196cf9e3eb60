"""The exercise catalog: course packs on disk, loaded and validated without TensorFlow.

Layout: `<root>/<pack>/pack.toml` and `<root>/<pack>/<task-id>/exercise.toml` with a
`README.md` (the instructions) and an optional `starter/` folder copied into workspaces.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Optional

from pydantic import ValidationError

from exercises.layout import PACKS_ROOT as PACKS_ROOT  # re-exported: where the shipped packs are
from exercises.layout import CatalogError, Problem, pack_folders, task_folders
from exercises.pack import Pack
from exercises.schema import Exercise
from exercises.spec_errors import describe, did_you_mean, read_text, toml_line


class UnknownTask(LookupError):
    def __init__(self, task_id: str, suggestions: list[str]):
        self.task_id = task_id
        self.suggestions = suggestions
        hint = f" (did you mean {', '.join(suggestions)}?)" if suggestions else ""
        super().__init__(f"unknown task '{task_id}'{hint}; try: tutor list")


def _read_toml(path: Path) -> tuple[dict, str]:
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        where = f"{path}:{line[1]}" if line else str(path)
        raise CatalogError(f"{where}: not valid TOML: {exc}{_toml_advice(str(exc))}") from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror}") from None


def _toml_advice(message: str) -> str:
    """TOML has no null: say how tutor writes a dimension of any size."""
    if "Invalid value" in message or "null" in message:
        return ' (TOML has no null: write a dimension of any size as "None", e.g. shape = ["None", 784], or leave the batch dimension out: shape = [784])'
    return ""


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

def load_task(folder: Path, pack: str) -> Task:
    path = folder / "exercise.toml"
    raw, text = _read_toml(path)
    raw.setdefault("pack", pack)
    try:
        spec = Exercise.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(describe(exc, path, text, Exercise, raw)) from None
    if spec.id != folder.name:
        line = toml_line(text, ("id",))
        raise CatalogError(f"{path}:{line}: field 'id': '{spec.id}' must match its folder name "
                           f"'{folder.name}' (rename the folder or the id)")
    if not (folder / "README.md").is_file():
        raise CatalogError(f"{folder / 'README.md'}: missing: every task needs its instructions")
    return Task(spec=spec, folder=folder)


def load_pack_spec(folder: Path) -> Pack:
    path = folder / "pack.toml"
    raw, text = _read_toml(path)
    try:
        return Pack.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError(describe(exc, path, text, Pack, raw)) from None


def load_pack(folder: Path) -> tuple[Pack, list[Task]]:
    """A pack and its tasks, strictly (the first bad spec raises)."""
    pack = load_pack_spec(folder)
    return pack, [load_task(child, pack.id) for child in task_folders(folder)]


@dataclass
class Catalog:
    packs: list[Pack]
    tasks: dict[str, Task] = field(default_factory=dict)
    # What was left out and why (a forgiving load); `tutor list` warns, `doctor` fails.
    problems: list[Problem] = field(default_factory=list)

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
        broken = next((p for p in self.problems if p.task == key), None)
        if broken is not None:
            raise CatalogError(f"{key} is in the course but its spec is broken: {broken.message}")
        close = difflib.get_close_matches(key, list(self.tasks), n=3, cutoff=0.6)
        raise UnknownTask(task_id, close)

    def pack(self, pack_id: str) -> Optional[Pack]:
        return next((p for p in self.packs if p.id == pack_id), None)

    def by_chapter(self) -> list[tuple[Pack, int, list[Task]]]:
        """Tasks grouped by (pack, chapter), in course order."""
        groups: dict[tuple[str, int], list[Task]] = {}
        for task in self.ordered:
            groups.setdefault((task.spec.pack, task.spec.chapter), []).append(task)
        return [(self.pack(p), ch, tasks) for (p, ch), tasks in groups.items() if self.pack(p)]  # type: ignore[misc]


def normalise_task_id(task_id: str) -> str:
    """Accept `8.1`, `Task8.1` and `task 8.1` for `task8.1`."""
    key = task_id.strip().lower().replace(" ", "")
    if key[:1].isdigit():
        key = "task" + key
    return key


def load_catalog(
    extra_dirs: Iterable[Path] = (),
    enabled_packs: Optional[Iterable[str]] = None,
    strict: bool = True,
) -> Catalog:
    """Load and validate every enabled pack.

    strict: the first bad spec raises CatalogError (authors, tests). Not strict (what students
    and the batch get): a bad pack or task is left out and recorded in `Catalog.problems`, so
    one broken spec never takes the course down. Either way, `enabled_packs` naming no pack
    is an error with the packs there are."""
    enabled = list(enabled_packs) if enabled_packs is not None else None
    problems: list[Problem] = []
    packs: list[Pack] = []
    tasks: dict[str, Task] = {}
    seen_ids: dict[str, Path] = {}
    broken_packs: set[str] = set()

    def trouble(exc: CatalogError, pack: Optional[str], task: Optional[str] = None) -> None:
        if strict:
            raise exc
        problems.append(Problem(str(exc), pack, task))

    for folder in pack_folders(extra_dirs, None if strict else problems):
        try:
            pack = load_pack_spec(folder)
        except CatalogError as exc:
            broken_packs.add(folder.name)
            trouble(exc, folder.name)
            continue
        seen_ids.setdefault(pack.id, folder)
        if enabled is not None and pack.id not in enabled:
            continue
        packs.append(pack)
        for child in task_folders(folder):
            try:
                task = load_task(child, pack.id)
                if task.id in tasks:
                    raise CatalogError(
                        f"{task.folder / 'exercise.toml'}: id: '{task.id}' is already defined "
                        f"in {tasks[task.id].folder}"
                    )
            except CatalogError as exc:
                trouble(exc, pack.id, child.name)
                continue
            tasks[task.id] = task
    folders_by_name = {f.name: f for f in seen_ids.values()}
    if enabled is not None:
        unknown = [name for name in enabled if name not in seen_ids and name not in broken_packs]
        if unknown:
            renamed = [f"the pack in folder {folders_by_name[n]} has id '{pid}'"
                       for n in unknown for pid, f in seen_ids.items() if n in folders_by_name and f == folders_by_name[n]]
            raise CatalogError(
                f"packs: {', '.join(repr(n) for n in unknown)} matches no pack"
                f"{did_you_mean(unknown[0], seen_ids)}; the packs found are: {', '.join(sorted(seen_ids))} "
                "(a pack's name is the `id` in its pack.toml; set `packs` in tutor.toml to those)"
                + (f"; {'; '.join(renamed)}" if renamed else "")
            )
    pack_ids = {p.id for p in packs}
    for task in list(tasks.values()):
        if task.spec.pack not in pack_ids:
            del tasks[task.id]
            path = task.folder / "exercise.toml"
            line = toml_line(read_text(path), ("pack",))
            trouble(CatalogError(
                f"{path}:{line}: field 'pack': '{task.spec.pack}' names no enabled pack"
                f"{did_you_mean(task.spec.pack, pack_ids)}; the task's folder is in pack "
                f"'{_folder_pack(task, packs, seen_ids)}' (remove the line to use it)"), task.spec.pack, task.id)
    packs.sort(key=lambda p: (p.order, p.id))
    return Catalog(packs=packs, tasks=tasks, problems=problems)


def _folder_pack(task: Task, packs: list[Pack], folders: dict[str, Path]) -> str:
    parent = task.folder.parent
    return next((pid for pid, folder in folders.items() if folder == parent), parent.name)
