"""The records batch grading keeps on disk (pydantic, like every file tutor reads)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict

from grader.report import Report


class Submission(BaseModel):
    """One student's work, ready to grade (a folder), or the reason it cannot be graded."""

    model_config = ConfigDict(extra="forbid")

    student: str  # id used for file names and the gradebook
    name: str = ""  # display name when the LMS gave one
    path: Path  # folder to grade (staged for zips and LMS files)
    origin: str  # what the instructor gave us (folder, zip or LMS file names)
    content_hash: str = ""
    problem: Optional[str] = None  # set when the input was refused (e.g. unsafe zip)
    lms: str = ""  # "canvas" or "moodle" when the id came from that LMS' bulk-download names
    attachments: list[int] = []  # Canvas attachment ids of the files (for feedback comments)


class Unattributed(BaseModel):
    """An input that could not be tied to a student, and why."""

    model_config = ConfigDict(extra="forbid")

    path: str
    reason: str


class Fingerprints(BaseModel):
    """What the integrity report compares across students (None: not available)."""

    model_config = ConfigDict(extra="forbid")

    weights: Optional[str] = None
    source: Optional[str] = None
    notes: list[str] = []


class StoredResult(BaseModel):
    """One graded submission, written atomically as soon as it finishes."""

    model_config = ConfigDict(extra="forbid")

    student: str
    name: str = ""
    task: str
    content_hash: str
    spec_hash: str
    origin: str
    report: Report
    fingerprints: Fingerprints = Fingerprints()
    graded_at: str  # ISO 8601, UTC
    wall_s: float  # time the batch spent on it (grading plus isolation overhead)
    host: str = ""


class BatchManifest(BaseModel):
    """The staged batch, written before grading so SLURM array tasks grade the same list."""

    model_config = ConfigDict(extra="forbid")

    task: str
    spec_hash: str
    out: Path
    submissions: list[Submission]
    unattributed: list[Unattributed] = []
