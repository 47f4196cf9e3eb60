"""Student ids from LMS bulk-download names (Canvas and Moodle), read the way each LMS writes them.

Canvas "Download Submissions" (canvas-lms `lib/content_zipper.rb`, `get_filename` and
`add_upload_submission`): `<sortable name>[_LATE]_<user id>_<attachment id>_<uploaded name>`,
the name part downcased with every non-word character removed and any `_<digits>_` in it
collapsed, so that Canvas' own re-upload parser (`Assignment#infer_comment_context_from_filename`
in `app/models/assignment.rb`) can take "the first two all-digit `_` fields" as user and
attachment id. We use exactly that rule. Text entries are `<name>[_LATE]_<user id>_text.html`.
A re-uploaded file gets `-1`, `-2`... before its extension (`model-1.py`).

Moodle "Download all submissions" (moodle `mod/assign/locallib.php`, `download_submissions`):
`clean_filename(str_replace('_', ' ', <full name>) . '_' . <participant id>)`, then
`_assignsubmission_<plugin>_` and the file as uploaded (or a folder of that name holding the
files). The full name has no `_` in it, by construction.

Canvas is tried first, then Moodle. A name that reads as both (e.g. a Canvas upload named
`x_1002_assignsubmission_file_model.keras`, which would look like Moodle participant 1002) is
*ambiguous*: it is reported, never attributed to either student.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Union

DIGITS = re.compile(r"^\d+$")
CANVAS_TEXT = re.compile(r"^(?P<uid>\d+)_text\.html$")
MOODLE = re.compile(r"^(?P<name>[^_]+)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$")
# Anything that carries a Moodle participant marker, wherever it sits in the name.
MOODLE_MARK = re.compile(r"(?:^|_)\d+_assignsubmission_[a-z]+_")
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


@dataclass(frozen=True)
class Ambiguous:
    """A name that two readings tie to different students: listed, never attributed."""

    reason: str


def parse(filename: str, expected: Iterable[str] = ()) -> Optional[Union[LmsName, Ambiguous]]:
    """Parse one bulk-download file or folder name; None when it follows neither LMS."""
    canvas = _canvas(filename, expected)
    moodle = MOODLE.match(filename)
    if canvas is not None and (moodle or MOODLE_MARK.search(canvas.file)):
        other = moodle["uid"] if moodle else MOODLE_MARK.search(canvas.file).group(0).strip("_").split("_")[0]
        return Ambiguous(f"ambiguous LMS name: Canvas reads user {canvas.student}, Moodle reads "
                         f"participant {other}; not attributed (rename it or grade it by hand)")
    if canvas is not None:
        return canvas
    if moodle:
        return LmsName("moodle", moodle["uid"], moodle["name"].strip(), moodle["file"])
    return None


def _canvas(filename: str, expected: Iterable[str]) -> Optional[LmsName]:
    """Canvas' rule: the first all-digit `_` field is the user id, the next the attachment id,
    and they must follow each other with the uploaded name after them."""
    parts = filename.split("_")
    first = next((i for i, p in enumerate(parts) if DIGITS.match(p)), None)
    if first is None or first == 0:
        return None
    head = parts[:first]
    late = len(head) > 1 and head[-1].upper() == "LATE"
    if late:
        head = head[:-1]
    name = "_".join(head)
    if not name:
        return None
    rest = "_".join(parts[first + 1:])
    text = CANVAS_TEXT.match("_".join(parts[first:]))
    if text:
        return LmsName("canvas", parts[first], name, "text.html", late)
    if len(parts) < first + 3 or not DIGITS.match(parts[first + 1]):
        return None
    uploaded = "_".join(parts[first + 2:])
    if not uploaded or not rest:
        return None
    return LmsName("canvas", parts[first], name, original_name(uploaded, expected), late,
                   int(parts[first + 1]))


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
