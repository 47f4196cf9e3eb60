"""Which folder of the hand-in area is mine: `NAME~RANDOM`, remembered in my tutor state.

A folder named only after the student could be created first by a classmate (squatting)
and `stat`-ed by anyone who knows the name; a random suffix prevents both without root.
The instructor's `tutor collect` finds the folder by its owner, so a lost state file only
means a new folder (both are collected; the newest attempt wins).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ValidationError

from tutor.handin.layout import folder_problem, own_folder, user_name
from tutor.state.atomic import write_atomic

STATE_NAME = "handin.json"


class HandinState(BaseModel):
    """`handin.json` in the user's tutor state: the area folder name per hand-in area."""

    folders: dict[str, str] = {}


def _state_path() -> Path:
    from tutor.config import user_data_dir

    return user_data_dir() / STATE_NAME


def _load() -> HandinState:
    try:
        return HandinState.model_validate(json.loads(_state_path().read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return HandinState()


def _remember(area: Path, name: str) -> None:
    state = _load()
    state.folders[str(area)] = name
    write_atomic(_state_path(), state.model_dump_json(indent=2) + "\n", mode=0o600)


def _ours(path: Path, gid: Optional[int]) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if st.st_uid != os.geteuid():
        return False
    return gid is None or folder_problem(path, gid) is None


def my_folders(area: Path) -> list[Path]:
    """My existing folders in the area: the remembered one and a plain `NAME` of mine."""
    found = []
    recorded = _load().folders.get(str(area))
    for name in filter(None, [recorded, user_name()]):
        if name.startswith(user_name()) and "/" not in name and _ours(area / name, None):
            found.append(area / name)
    return list(dict.fromkeys(found))


def my_folder(area: Path, gid: int) -> Path:
    """The folder to hand in to: the remembered one, a plain `NAME` of mine, else a new one."""
    for path in my_folders(area):
        if _ours(path, gid):
            return path
    name = f"{user_name()}~{secrets.token_hex(8)}"
    path = own_folder(area, name, gid)
    _remember(area, name)
    return path
