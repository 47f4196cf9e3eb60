"""A batch's plan, shared by the local run (`run.py`) and the SLURM array (`slurm.py`): what
was asked for (`Options`), the time stamp results carry, and which slice a shard grades."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional


@dataclass
class Options:
    source: Path
    task_id: str
    out: Path
    workers: int = 2
    formats: list[str] = field(default_factory=lambda: ["csv"])
    timeout: float = 600.0
    slurm: bool = False
    array_tasks: int = 4
    concurrency: int = 2
    recycle_after: int = 0
    quiet: bool = False
    regrade: str = ""  # "", "errors" (stored results that could not be graded) or "all"
    canvas_gradebook: Optional[Path] = None  # Canvas' gradebook export to fill
    moodle_worksheet: Optional[Path] = None  # Moodle's offline grading worksheet to fill
    lms_column: str = ""  # the Canvas assignment column, when the task id does not name one


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def shard_of(items: list, shard: int, shards: int) -> list:
    """Contiguous, balanced chunks: shard i of n (0-based)."""
    size, extra = divmod(len(items), shards)
    start = shard * size + min(shard, extra)
    return items[start:start + size + (1 if shard < extra else 0)]
