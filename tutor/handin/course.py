"""Recording the hand-in area and deadlines in the course config (tutor.toml), in place.

tomlkit keeps the instructor's comments and layout; the file is replaced atomically and
stays world-readable (students read the same file through TUTOR_CONFIG)."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Optional

import tomlkit

from tutor.config import ConfigError, load_config_file
from tutor.errors import UserError
from tutor.state.atomic import write_atomic

CONFIG_MODE = 0o644


def update_course_config(path: Path, values: dict, deadlines: dict[str, Optional[datetime]]) -> None:
    """Set top-level `values` and merge `deadlines` (None removes one); validate, then replace."""
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
    mode = stat.S_IMODE(os.stat(path).st_mode) | 0o444 if path.exists() else CONFIG_MODE
    try:
        write_atomic(path, new_text, mode=mode)
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({exc.strerror}); pass --config FILE") from None
    try:
        load_config_file(path)
    except ConfigError as exc:
        raise UserError(f"{path} no longer loads after the change: {exc}") from None
