"""Files a student hands in besides code: Markdown reports, the hardware report, PNG plots.

Read with size caps and strict validation; nothing here runs or unpickles anything.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_TEXT_BYTES = 1 << 20
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
M = TypeVar("M", bound=BaseModel)


class DocumentError(Exception):
    """A file that is missing or unreadable; the message says which and why."""


def inside(folder: Path, name: str) -> Path:
    """`folder/name`, refusing symlinks and paths that leave the folder."""
    path = folder / name
    if path.is_symlink() or not path.resolve().is_relative_to(folder.resolve()):
        raise DocumentError(f"{name}: refused (it points outside the submission)")
    if not path.is_file():
        raise DocumentError(f"{name}: missing in {folder}")
    return path


def read_text(folder: Path, name: str) -> str:
    path = inside(folder, name)
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise DocumentError(f"{name}: larger than 1 MiB, not read")
    return path.read_text(encoding="utf-8", errors="replace")


def read_json(folder: Path, name: str) -> object:
    try:
        return json.loads(read_text(folder, name))
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


# ----------------------------------------------------------------------------- Markdown


@dataclass
class Section:
    title: str
    level: int
    body: str

    @property
    def words(self) -> int:
        return len(re.findall(r"[A-Za-z0-9][\w'.,%-]*", self.body))


def sections(markdown: str) -> list[Section]:
    """Headed sections; HTML comments (template guidance) and code fences' markers removed."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    found: list[Section] = []
    in_fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            found.append(Section(heading.group(2).strip(), len(heading.group(1)), ""))
        elif found:
            found[-1].body += line + "\n"
    return found


def find_section(found: list[Section], wanted: str) -> Optional[Section]:
    """The section whose heading starts with `wanted` (any case), else the first that contains it."""
    key = wanted.strip().lower()
    starts = (s for s in found if s.title.lower().startswith(key))
    return next(starts, None) or next((s for s in found if key in s.title.lower()), None)


# ----------------------------------------------------------------------------- hardware


class GpuInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1)
    memory_mib: Optional[int] = Field(default=None, ge=0)


class CpuInfo(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    logical_cpus: int = Field(gt=0)
    physical_cores: Optional[int] = Field(default=None, gt=0)
    clock_mhz: Optional[float] = Field(default=None, gt=0)
    max_clock_mhz: Optional[float] = Field(default=None, gt=0)


class HardwareReport(BaseModel):
    """What the collector (`hardware.py` in task a2.1.1) writes inside the job."""

    model_config = ConfigDict(extra="allow")

    collected_at: str
    hostname: str
    slurm_job_id: Optional[str] = None
    cpus_allocated: Optional[int] = Field(default=None, gt=0)
    cpu: CpuInfo
    gpus: list[GpuInfo] = []
    memory_gib: Optional[float] = Field(default=None, gt=0)


def validated(model: type[M], folder: Path, name: str) -> M:
    """A JSON file validated by `model`; the first problem as a one-line DocumentError."""
    raw = read_json(folder, name)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise DocumentError(f"{name}: {where}: {first['msg']}") from None


def hardware_report(folder: Path, name: str) -> HardwareReport:
    return validated(HardwareReport, folder, name)


# ----------------------------------------------------------------------------- PNG


def png_size(folder: Path, name: str) -> tuple[int, int]:
    """(width, height) from the PNG header; DocumentError if it is not a PNG."""
    path = inside(folder, name)
    with path.open("rb") as handle:
        head = handle.read(33)
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        raise DocumentError(f"{name}: not a PNG image")
    width, height = struct.unpack(">II", head[16:24])
    return width, height
