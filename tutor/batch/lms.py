"""Student ids from LMS bulk-download names (Canvas and Moodle).

Canvas "Download Submissions": `lastnamefirstname_12345_67890_model.py` (user id, then the
attachment id, then the uploaded name), `lastnamefirstname_late_12345_67890_model.py` for a
late one, and a re-uploaded file gets `-1`, `-2`... before its extension (`model-1.py`).
Moodle: `Full Name_12345_assignsubmission_file_model.py` (participant id), or a folder per
student `Full Name_12345_assignsubmission_file_` holding the files as uploaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

CANVAS = re.compile(
    r"^(?P<name>[^_\s]+?)(?:_(?P<late>late))?_(?P<uid>\d+)_(?P<attachment>\d+)_(?P<file>.+)$",
    re.IGNORECASE,
)
CANVAS_TEXT = re.compile(r"^(?P<name>[^_\s]+?)(?:_(?P<late>late))?_(?P<uid>\d+)_text\.html$", re.I)
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?(?P<file>.*)$"
)
REUPLOAD = re.compile(r"^(?P<stem>.+?)-\d+(?P<ext>\.[^.]+)?$")


@dataclass(frozen=True)
class LmsName:
    """What a bulk-download name says: whose it is and the file's own name."""

    lms: str  # "canvas" or "moodle"
    student: str
    name: str
    file: str  # "" for a Moodle per-student folder
    late: bool = False
    attachment: int = 0  # Canvas attachment id: a later upload has a larger one


def parse(filename: str, expected: Iterable[str] = ()) -> Optional[LmsName]:
    """Parse one bulk-download file or folder name; None when it follows neither LMS."""
    m = MOODLE.match(filename)
    if m:
        return LmsName("moodle", m["uid"], m["name"].strip(), m["file"])
    m = CANVAS.match(filename)
    if m:
        return LmsName(
            "canvas", m["uid"], m["name"], original_name(m["file"], expected), bool(m["late"]),
            int(m["attachment"]),
        )
    m = CANVAS_TEXT.match(filename)
    if m:
        return LmsName("canvas", m["uid"], m["name"], "text.html", bool(m["late"]))
    return None


def original_name(uploaded: str, expected: Iterable[str]) -> str:
    """Undo Canvas' `-1` re-upload suffix, but only when it turns the name into one the
    task asks for (so `resnet-50.py` stays as it is)."""
    wanted = set(expected)
    if uploaded in wanted:
        return uploaded
    m = REUPLOAD.match(uploaded)
    if m:
        candidate = m["stem"] + (m["ext"] or "")
        if candidate in wanted:
            return candidate
    return uploaded
