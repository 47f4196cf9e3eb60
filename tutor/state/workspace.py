"""Student workspaces: `~/tutor-work/<task>/`, created from the task's starter files.

`start` never overwrites a student's edits: existing files are left as they are.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from exercises import Task


class WorkspaceError(Exception):
    pass


@dataclass
class StartResult:
    path: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    carried: dict[str, Path] = field(default_factory=dict)  # name -> the earlier file copied
    missing: dict[str, str] = field(default_factory=dict)  # name -> where to get it (one line)


def workspace_path(task: Task, root: Path) -> Path:
    return Path(root).expanduser() / task.id


def start_workspace(task: Task, root: Path) -> StartResult:
    target = workspace_path(task, root)
    result = StartResult(path=target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        if task.starter.is_dir():
            for source in sorted(task.starter.rglob("*")):
                if source.is_dir() or "__pycache__" in source.parts:
                    continue
                rel = source.relative_to(task.starter)
                dest = target / rel
                if dest.exists():
                    result.kept.append(str(rel))
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
                result.created.append(str(rel))
        _carry_over(task, Path(root).expanduser(), target, result)
    except PermissionError as exc:
        raise WorkspaceError(f"{exc.filename or target}: not writable (permission denied); "
                             "set workspace_root in tutor.toml to a folder you own") from None
    except OSError as exc:
        raise WorkspaceError(f"{exc.filename or target}: cannot create the workspace ({exc.strerror})") from None
    return result


def earlier_workspaces(task_ids: list[str], root: Path) -> list[tuple[str, Path]]:
    """The workspaces of earlier tasks, as recorded by `tutor start` or under the root."""
    from tutor.state.student_progress import load_progress

    progress = load_progress()
    found = []
    for tid in task_ids:
        recorded = progress.task(tid).workspace
        for folder in ([Path(recorded).expanduser()] if recorded else []) + [Path(root).expanduser() / tid]:
            if folder.is_dir():
                found.append((tid, folder))
                break
    return found


def _carry_over(task: Task, root: Path, target: Path, result: StartResult) -> None:
    """Files this task reuses from earlier ones (8.4 runs the MNIST.py of 8.2/8.3): copied from
    the first earlier workspace that has them, else named with where they come from."""
    for name, earlier in task.spec.carry_over.items():
        if (target / name).exists():
            continue
        for _tid, folder in earlier_workspaces(earlier, root):
            source = folder / name
            if source.is_file() and not source.is_symlink():
                shutil.copy2(source, target / name)
                result.carried[name] = source
                break
        else:
            tasks = " or ".join(earlier)
            result.missing[name] = (f"{name} is not here yet: it is your script from {tasks}; "
                                    f"copy it into {target} before you submit")


def submission_dir(task: Task, root: Path, explicit: Optional[Path]) -> Path:
    """`--path` if given, else the task's workspace if it exists, else the current folder."""
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    ws = workspace_path(task, root)
    if ws.is_dir():
        return ws
    return Path.cwd()
