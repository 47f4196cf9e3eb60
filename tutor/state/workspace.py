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
    except PermissionError as exc:
        raise WorkspaceError(f"{exc.filename or target}: not writable (permission denied); "
                             "set workspace_root in tutor.toml to a folder you own") from None
    except OSError as exc:
        raise WorkspaceError(f"{exc.filename or target}: cannot create the workspace ({exc.strerror})") from None
    return result


def submission_dir(task: Task, root: Path, explicit: Optional[Path]) -> Path:
    """`--path` if given, else the task's workspace if it exists, else the current folder."""
    if explicit is not None:
        return Path(explicit).expanduser().resolve()
    ws = workspace_path(task, root)
    if ws.is_dir():
        return ws
    return Path.cwd()
