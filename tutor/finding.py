"""One line of `tutor doctor`: an area, how it stands, what is wrong and what to do. Its own
module so that every probe (the doctor's, the cluster image's, the hand-in's) can return one
without importing the doctor that runs them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "warn", "missing", "error"]


@dataclass
class Finding:
    area: str
    level: Level
    message: str
    fix: str = ""
