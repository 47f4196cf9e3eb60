"""What the course screen shows, computed from the catalog, progress and running jobs.

Pure data (no widgets), so it is cheap to test and to recompute on every refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from exercises import Catalog, Task
from tutor.state.student_progress import StudentProgress, TaskStatus

JOB_RUNNING = "job running"
COMPLETE = (TaskStatus.graded.value, TaskStatus.done.value)

STATUS_STYLE = {
    TaskStatus.not_started.value: "dim",
    TaskStatus.in_progress.value: "yellow",
    TaskStatus.checks_pass.value: "cyan",
    TaskStatus.graded.value: "bold green",
    TaskStatus.done.value: "green",
    JOB_RUNNING: "bold magenta",
}

STATUS_ICON = {
    TaskStatus.not_started.value: "·",
    TaskStatus.in_progress.value: "◐",
    TaskStatus.checks_pass.value: "◑",
    TaskStatus.graded.value: "●",
    TaskStatus.done.value: "●",
    JOB_RUNNING: "⚙",
}


@dataclass(frozen=True)
class TaskRow:
    task: Task
    status: str
    best_score: float

    @property
    def kind(self) -> str:
        spec = self.task.spec
        return spec.kind.value + (" · GPU" if spec.needs_gpu else "")


@dataclass(frozen=True)
class ChapterGroup:
    title: str
    rows: list[TaskRow]


def task_status(task_id: str, progress: StudentProgress, running: Iterable[str] = ()) -> str:
    """The status a student sees; a queued or running job outranks the stored status."""
    if task_id in set(running):
        return JOB_RUNNING
    return progress.task(task_id).status.value


def matches(task: Task, query: str) -> bool:
    """Case-insensitive match of every word of `query` against id, title, summary, kind."""
    spec = task.spec
    haystack = " ".join([spec.id, spec.title, spec.summary, spec.kind.value,
                         "gpu" if spec.needs_gpu else ""]).lower()
    return all(word in haystack for word in query.lower().split())


def chapters(catalog: Catalog, progress: StudentProgress, running: Iterable[str] = (),
             query: str = "") -> list[ChapterGroup]:
    """The course grouped by chapter, filtered by `query` (empty chapters dropped)."""
    running = set(running)
    groups = []
    for pack, chapter, tasks in catalog.by_chapter():
        rows = [
            TaskRow(t, task_status(t.id, progress, running), progress.task(t.id).best_score)
            for t in tasks
            if matches(t, query)
        ]
        if rows:
            title = pack.chapter_title(chapter) if pack else f"Chapter {chapter}"
            groups.append(ChapterGroup(title, rows))
    return groups


def completed(catalog: Catalog, progress: StudentProgress) -> int:
    """How many tasks are graded (passed) or, for guides, done."""
    return sum(progress.task(t.id).status.value in COMPLETE for t in catalog)
