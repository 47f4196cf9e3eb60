"""What `tutor list` shows, and a per-user cache of it.

Building the listing validates every spec (the exercise schema's pydantic models), the config
model and the progress file: most of `tutor list`'s time. The cache keeps what
the listing shows, and is used only while all of its inputs are what they were:

- the config file in force: its path, its bytes, the environment that overrides it, and the
  folders it names as they resolve now (a re-pointed symlink or another HOME is a miss);
  the trust checks on the file and those folders run every time, as without a cache;
- the catalog: `exercises.layout.catalog_digest` (the folders found, the bytes of every
  pack.toml and exercise.toml, each README.md's presence, the code that validates them);
- the progress file's bytes (when only they changed, the statuses come from what tutor noted
  when it wrote exactly those bytes, `tutor.state.progress_memo`, else from the validated file);
- tutor's version and this module's own code.

Any difference, or a cache that is unreadable, hand-edited into another shape, not the
user's own or in a folder others can write to, means the validated path runs (errors and
warnings exactly as without a cache) and the cache is rewritten atomically. What the cache
holds is only ever displayed. This module imports no pydantic model on the cached path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from exercises.layout import catalog_digest
from tutor import __version__
from tutor.config_files import (
    beside,
    env_overrides,
    find_config_file,
    folders_trust_problem,
    progress_file,
)
from tutor.state.progress_memo import recall
from tutor.state.user_cache import cache_file, content_key, read_json, write_json
from tutor.trust import untrusted_reason

FORMAT = 1
CACHE_NAME = "listing.json"


@dataclass
class Row:
    """One task as `tutor list` shows it."""

    task: str
    title: str
    pack: str
    chapter: int
    kind: str
    needs_gpu: bool


@dataclass
class Group:
    """One table of `tutor list`: a pack's chapter and its tasks (ids, in course order)."""

    heading: str
    tasks: list[str]


@dataclass
class Listing:
    """Everything `tutor list` prints (text and --json), in course order."""

    rows: list[Row]
    groups: list[Group]
    problems: list[str] = field(default_factory=list)  # one headline per spec left out
    statuses: dict[str, str] = field(default_factory=dict)  # task id -> progress status
    deadlines: dict[str, datetime] = field(default_factory=dict)

    def status(self, task_id: str) -> str:
        return self.statuses.get(task_id, "not started")


def load_listing() -> Listing:
    """The listing from the cache when every input is unchanged, else validated (and cached).
    When only the progress file changed (after a check, a grade, `tutor done`), only the
    statuses are taken again."""
    keys = _Keys.now()  # taken before any load: a change during the load is a miss next time
    path = cache_file(CACHE_NAME) if keys is not None else None
    if path is not None:
        try:
            listing, progress_key = _read_cache(path, keys)
        except _Miss:
            pass
        else:
            if progress_key != keys.progress:
                noted = recall(keys.progress_bytes)
                listing.statuses = noted if noted is not None else _statuses()
                _write_cache(path, keys, listing)
            return listing
    listing, config = _validated()
    if path is not None and keys.declared == config:
        _write_cache(path, keys, listing)
    return listing


class _Miss(Exception):
    """The cache cannot be used (absent, stale, malformed or not safe); validate instead."""


def _validated() -> tuple[Listing, dict[str, Any]]:
    """The listing through the validated path (config, catalog and progress models), and
    the folders and packs the validated config names (to compare with the cache's keys)."""
    from tutor.config import trusted_folders
    from tutor.context import load_context

    ctx = load_context()
    statuses = _statuses()
    catalog = ctx.catalog
    rows = [Row(t.id, t.spec.title, t.spec.pack, t.spec.chapter, t.spec.kind.value, t.spec.needs_gpu)
            for t in catalog]
    groups = [Group(f"{pack.title} · {pack.chapter_title(chapter)}", [t.id for t in tasks])
              for pack, chapter, tasks in catalog.by_chapter()]
    listing = Listing(rows=rows, groups=groups, problems=[p.headline for p in catalog.problems],
                      statuses=statuses,
                      deadlines=dict(ctx.config.deadlines))
    config = ctx.config
    return listing, {"exercise_dirs": list(config.exercise_dirs), "folders": trusted_folders(config),
                     "packs": config.packs}


def _statuses() -> dict[str, str]:
    """Each task's status from the progress file, validated (a corrupt file is moved aside
    with a warning, as everywhere)."""
    from tutor.state.student_progress import load_progress

    return {tid: entry.status.value for tid, entry in load_progress().tasks.items()}


# -- the cache file ---------------------------------------------------------------------

def _read_cache(path: Path, keys: "_Keys") -> tuple[Listing, Optional[str]]:
    """The saved listing and the progress key it was saved with; a miss unless the config
    and catalog keys are the current ones."""
    saved = read_json(path)
    saved_keys = saved.get("keys") if isinstance(saved, dict) else None
    if not isinstance(saved_keys, dict) or any(saved_keys.get(k) != getattr(keys, k) for k in ("config", "catalog")):
        raise _Miss
    try:
        return _listing_from(saved["listing"]), saved_keys.get("progress")
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _Miss from None


def _write_cache(path: Path, keys: "_Keys", listing: Listing) -> None:
    data = asdict(listing)
    data["deadlines"] = {tid: when.isoformat() for tid, when in listing.deadlines.items()}
    write_json(path, {"keys": keys.as_dict(), "listing": data})


def _listing_from(data: dict[str, Any]) -> Listing:
    """The listing saved in the cache, its shape checked (a hand-edited file is a miss)."""
    rows = [Row(**row) for row in data["rows"]]
    groups = [Group(**group) for group in data["groups"]]
    listing = Listing(
        rows=rows, groups=groups, problems=list(data["problems"]), statuses=dict(data["statuses"]),
        deadlines={tid: datetime.fromisoformat(when) for tid, when in data["deadlines"].items()})
    texts = [*(r.task for r in rows), *(r.title for r in rows), *(r.pack for r in rows), *(r.kind for r in rows),
             *(g.heading for g in groups), *(t for g in groups for t in g.tasks), *listing.problems,
             *listing.statuses, *listing.statuses.values()]
    if not all(isinstance(text, str) for text in texts) or not all(type(r.chapter) is int for r in rows):
        raise ValueError("not a listing")
    return listing


# -- the inputs the cached listing depends on ------------------------------------------------

@dataclass
class _Keys:
    config: str
    catalog: str
    progress: str
    declared: dict[str, Any]  # what the config file names, as the keys saw it (not saved)
    progress_bytes: Optional[bytes]  # the progress file as the key saw it (not saved)

    @classmethod
    def now(cls) -> Optional["_Keys"]:
        """The inputs as they are now; None when the config cannot be used without the
        validated path (it then says why, exactly as without a cache)."""
        config_file = find_config_file()  # a refused ./tutor.toml raises here, as it would anyway
        if config_file is not None and untrusted_reason(config_file):
            return None
        try:
            text = config_file.read_bytes() if config_file is not None else b""
            declared = _declared(config_file, text)
        except (OSError, ValueError, TypeError):
            return None
        if folders_trust_problem(config_file, declared["folders"]):
            return None
        config = content_key("config", str(config_file), text, sorted(env_overrides().items()),
                       [str(p) for p in declared["folders"]])
        code = Path(__file__).stat()
        catalog = content_key(FORMAT, __version__, code.st_size, code.st_mtime_ns,
                        catalog_digest(declared["exercise_dirs"], declared["packs"]))
        try:
            progress_bytes: Optional[bytes] = progress_file().read_bytes()
        except FileNotFoundError:
            progress_bytes = None
        except OSError:
            return None
        return cls(config, catalog, content_key("progress", progress_bytes), declared, progress_bytes)

    def as_dict(self) -> dict[str, str]:
        return {"config": self.config, "catalog": self.catalog, "progress": self.progress}


def _declared(config_file: Optional[Path], text: bytes) -> dict[str, Any]:
    """The folders and packs the config file names, resolved as `tutor.config` resolves them
    now. Read without the config model: a value the model would refuse only makes the key
    differ from any the validated path saved (which it saves only for a valid config)."""
    import tomllib

    raw = tomllib.loads(text.decode("utf-8")) if config_file is not None else {}
    dirs = [beside(config_file, Path(str(p)).expanduser()) for p in raw.get("exercise_dirs", [])]
    others = [beside(config_file, Path(str(raw[name])).expanduser())
              for name in ("profiles_dir", "solutions_dir") if raw.get(name) is not None]
    packs = raw.get("packs")
    return {"exercise_dirs": dirs, "folders": [*dirs, *others],
            "packs": None if packs is None else [str(p) for p in packs]}
