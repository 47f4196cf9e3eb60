"""The manifest each attempt carries: what was handed in, its SHA-256 sums, and context.

It is written inside the attempt before the attempt is renamed into place, so an attempt
folder either has its manifest or does not exist. The receipt a student gets is the first
12 hex digits of the SHA-256 of the manifest file's bytes (which include every file's sum).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import PurePosixPath
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MANIFEST_NAME = "manifest.json"
# Bounds for a manifest a student may have written by hand (tutor's own stay far below).
MAX_FILES = 2000
MAX_PATH_CHARS = 1024
MAX_PART_CHARS = 255
MAX_DEPTH = 16


class ManifestError(ValueError):
    """A manifest that cannot be read or does not match the schema."""


def check_relative(path: str) -> str:
    """A plain relative POSIX path inside the attempt (no '..', no absolute, no manifest)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or path != pure.as_posix():
        raise ValueError(f"{path!r} is not a plain relative path")
    if path == MANIFEST_NAME or any(part.startswith(".") for part in pure.parts):
        raise ValueError(f"{path!r} is a reserved or hidden name")
    if len(path) > MAX_PATH_CHARS or len(pure.parts) > MAX_DEPTH or any(
            len(part.encode("utf-8", "surrogateescape")) > MAX_PART_CHARS for part in pure.parts):
        raise ValueError(f"a path of {len(path)} characters in {len(pure.parts)} parts is too long")
    if any(ord(c) < 0x20 or c == "\x7f" for c in path):
        raise ValueError("a path with control characters")
    return path


class ManifestFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        return check_relative(value)


class CheckSummary(BaseModel):
    """What `tutor check` said just before the hand-in."""

    model_config = ConfigDict(extra="forbid")

    ran: bool
    status: Optional[str] = None  # passed | failed | error (the report's status)
    score: Optional[float] = None
    points: Optional[float] = None
    max_points: Optional[float] = None
    failed_required: list[str] = []  # ids of required checks that failed or could not run
    failed_optional: list[str] = []
    reason: Optional[str] = None  # why it did not run, or the report's error line


class HandinManifest(BaseModel):
    """The record sealed into every hand-in attempt: who, which task, when, which files (and their hashes)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    task: str
    student: str
    uid: int
    attempt: int = Field(ge=1)
    created_at: datetime  # the student's clock, for reference only (see collect)
    anyway: bool = False  # handed in with --anyway
    deadline: Optional[datetime] = None  # as the student's config said at hand-in
    source: str  # the submission folder the files came from
    host: str
    tutor_version: str
    python_version: str
    tensorflow_version: Optional[str] = None
    keras_version: Optional[str] = None
    files: list[ManifestFile] = Field(max_length=MAX_FILES)
    missing: list[str] = []  # declared files absent at hand-in (only with --anyway)
    check: CheckSummary  # what the student's own process said: a claim, never trusted by collect

    @field_validator("files")
    @classmethod
    def _unique(cls, files: list[ManifestFile]) -> list[ManifestFile]:
        paths = [item.path for item in files]
        if len(set(paths)) != len(paths):
            raise ValueError("a file is listed twice")
        folders = {"/".join(PurePosixPath(p).parts[:i]) for p in paths for i in range(1, len(PurePosixPath(p).parts))}
        both = folders & set(paths)
        if both:
            raise ValueError(f"{sorted(both)[0]!r} is listed as a file and as a folder")
        return files

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def dump_manifest(manifest: HandinManifest) -> bytes:
    return (manifest.model_dump_json(indent=2) + "\n").encode("utf-8")


def load_manifest(data: bytes) -> HandinManifest:
    try:
        return HandinManifest.model_validate(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise ManifestError("not valid JSON (nested too deeply)") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ManifestError(f"{where}: {first['msg']}") from None


def receipt(data: bytes) -> str:
    """The short hash printed as a receipt: 12 hex digits of the manifest's SHA-256."""
    return hashlib.sha256(data).hexdigest()[:12]
