"""Which task and which submission folder a command works on (check, grade, train, watch, submit)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from exercises import Task
from tutor.context import Context, load_context
from tutor.state.workspace import submission_dir


def submission_target(task_id: Optional[str], path: Optional[Path],
                      command: str = "check") -> tuple[Context, Task, Path]:
    """The context, the task (TASK, else the one whose workspace folder we are in) and the
    submission folder (--path, else that workspace)."""
    ctx = load_context()
    if task_id is None:
        task = ctx.resolve_task(None, command)
        here = ctx.task_here()
        return ctx, task, (submission_dir(task, ctx.workspace_root, path) if path or here is None else here[1])
    task = ctx.task(task_id)
    return ctx, task, submission_dir(task, ctx.workspace_root, path)
