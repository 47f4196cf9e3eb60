"""Where a course's specs are on disk: which pack folders and task folders the catalog reads,
and a digest of everything a catalog load depends on.

No pydantic here (nor anything that imports the schema): `tutor list` fingerprints exactly
these files to know whether its cached listing still holds, without building the models.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

PACKS_ROOT = Path(__file__).resolve().parent / "packs"
SOURCE_DIR = Path(__file__).resolve().parent


class CatalogError(Exception):
    """A spec that cannot be used; the message names the file, the field and the reason."""


@dataclass(frozen=True)
class Problem:
    """A pack or task that could not be loaded and was left out of the course."""

    message: str  # file:line: where: reason (one or more lines)
    pack: Optional[str] = None  # the pack folder's name
    task: Optional[str] = None  # the task folder's name

    @property
    def headline(self) -> str:
        what = f"task {self.task}" if self.task else f"pack {self.pack}" if self.pack else "exercise folder"
        return f"{what} left out: {self.message.splitlines()[0]}"


def task_folders(folder: Path) -> list[Path]:
    return [child for child in sorted(folder.iterdir()) if (child / "exercise.toml").is_file()]


def pack_folders(extra_dirs: Iterable[Path] = (), problems: Optional[list[Problem]] = None) -> list[Path]:
    """Shipped packs first, then each extra folder (itself a pack, or a folder of packs).
    A missing folder raises, or is recorded in `problems` when given."""
    folders = sorted(p for p in PACKS_ROOT.iterdir() if (p / "pack.toml").is_file())
    for extra in extra_dirs:
        extra = Path(extra).expanduser()
        if (extra / "pack.toml").is_file():
            folders.append(extra)
        elif extra.is_dir():
            found = sorted(p for p in extra.iterdir() if (p / "pack.toml").is_file())
            if not found and problems is not None:
                problems.append(Problem(f"{extra}: exercise_dirs folder has no pack.toml in it or in its sub-folders "
                                        "(a pack is a folder with pack.toml and one folder per task)"))
            folders.extend(found)
        elif problems is not None:
            problems.append(Problem(f"{extra}: exercise_dirs folder not found"))
        else:
            raise CatalogError(f"{extra}: exercise folder not found")
    return folders


def catalog_digest(extra_dirs: Iterable[Path] = (), enabled_packs: Optional[Iterable[str]] = None) -> str:
    """A digest of every input of `load_catalog(extra_dirs, enabled_packs)`: the folders it
    finds, the bytes of each pack.toml and exercise.toml, whether each README.md is there,
    and the code that validates them (this package's modules). Equal digests, equal catalog.

    Bytes, not timestamps: an edit that keeps the size and mtime still changes the digest."""
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(part if isinstance(part, bytes) else repr(part).encode())
            digest.update(b"\0")

    add("packs", None if enabled_packs is None else list(enabled_packs))
    for module in _code_files():
        st = module.stat()
        add("code", str(module.relative_to(SOURCE_DIR)), st.st_size, st.st_mtime_ns)
    problems: list[Problem] = []
    try:
        folders = pack_folders(extra_dirs, problems)
        for folder in folders:
            add("pack", str(folder), _content(folder / "pack.toml"))
            for child in task_folders(folder):
                add("task", str(child), _content(child / "exercise.toml"), (child / "README.md").is_file())
    except OSError as exc:  # a folder that vanished or cannot be listed: never cached as is
        add("unreadable", type(exc).__name__, str(exc), os.urandom(16))
    add("problems", [p.message for p in problems])
    return digest.hexdigest()


def _code_files() -> Iterator[Path]:
    """This package's modules, sub-packages included (the shipped packs are data, not code)."""
    for folder, dirs, files in os.walk(SOURCE_DIR):
        dirs[:] = sorted(d for d in dirs if Path(folder, d) != PACKS_ROOT and d != "__pycache__")
        yield from (Path(folder, name) for name in sorted(files) if name.endswith(".py"))


def _content(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror}".encode()
