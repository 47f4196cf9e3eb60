"""`tutor course init`: create the hand-in area and record it, with deadlines, in the course config.

The config (tutor.toml) is changed in place:
tomlkit keeps the instructor's comments and layout; the file is replaced atomically and
is world-readable, writable by its owner only (students read it through TUTOR_CONFIG).
An existing file is only merged into if it is ours alone: a file someone else owns, can
write, or links to (a symbolic or hard link) may have been planted, and is refused."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import tomlkit

from tutor.config import ConfigError, find_config_file, load_config_file
from tutor.errors import UserError
from tutor.handin.layout import AreaReport, open_area, prepare_area, user_name
from tutor.state.atomic import write_atomic
from tutor.trust import writable_by_others

CONFIG_MODE = 0o644


def foreign_file(path: Path) -> Optional[str]:
    """Why an existing `path` is not ours alone to rewrite (None: it is, or it does not exist)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: cannot look at it ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return f"{path} is a link or not a plain file: remove it (it may have been planted) and run again"
    if st.st_uid != os.geteuid():
        return (f"{path} belongs to {user_name(st.st_uid)}, not you: it may have been planted; "
                "remove it and run again (or pass --config FILE)")
    if st.st_nlink != 1:
        return f"{path} has {st.st_nlink} hard links: remove it (it may have been planted) and run again"
    if writable_by_others(str(path), st):
        return (f"{path} can be changed by other users (mode {stat.S_IMODE(st.st_mode):o}): check its "
                f"contents, then `chmod go-w {path}` and run again")
    return None


def update_course_config(path: Path, values: dict, deadlines: dict[str, Optional[datetime]]) -> None:
    """Set top-level `values` and merge `deadlines` (None removes one); validate, then replace."""
    problem = foreign_file(path)
    if problem:
        raise UserError(problem)
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        doc = tomlkit.parse(text)
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    except tomlkit.exceptions.ParseError as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix it first") from None
    for key, value in values.items():
        doc[key] = value
    if deadlines:
        table = doc.get("deadlines")
        if table is None:
            table = tomlkit.table()
            doc["deadlines"] = table
        for task, when in deadlines.items():
            if when is None:
                table.pop(task, None)
            else:
                table[task] = when
    new_text = tomlkit.dumps(doc)
    try:
        write_atomic(path, new_text, mode=CONFIG_MODE)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror}); pass --config FILE") from None
    try:
        load_config_file(path)
    except ConfigError as exc:
        raise UserError(f"{path} no longer loads after the change: {exc}") from None


@dataclass
class CourseSetup:
    """What `init_course` did: the area (created or repaired, with warnings) and the config it wrote."""

    area: AreaReport
    config: Path
    deadlines: dict[str, Optional[datetime]]


def init_course(folder: Path, group: str, students: Optional[str], deadlines: dict[str, Optional[datetime]],
                max_mb: Optional[int] = None, config: Optional[Path] = None) -> CourseSetup:
    """Create (or repair) the hand-in area `folder` for `group` and record it, with `deadlines`
    (None removes one), in `config` (default: the config in force, else folder/tutor.toml).

    The config is written while a new area is still closed; students are let in afterwards.
    Re-running it (e.g. to change a deadline) keeps the students group already recorded."""
    folder = folder.expanduser().absolute()
    target = (config or find_config_file() or folder / "tutor.toml").expanduser().absolute()
    problem = foreign_file(target)
    if problem:
        raise UserError(problem)
    if students is None and target.is_file():
        existing = load_config_file(target)
        if existing.handin_dir == folder and existing.handin_students:
            students = existing.handin_students
    area = prepare_area(folder, group, students)
    values: dict = {"handin_dir": str(area.path), "handin_group": group}
    if students is not None:
        values["handin_students"] = students
    if max_mb is not None:
        values["max_handin_mb"] = max_mb
    update_course_config(target, values, deadlines)
    return CourseSetup(area=open_area(area), config=target, deadlines=deadlines)
