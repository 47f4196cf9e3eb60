"""Find the submissions in what the instructor hands `tutor batch`.

Accepted, also mixed in one folder: a folder per student (its name is the student id), a
`.zip` or `.ipynb` per student (its stem is the id), and LMS bulk downloads whose names carry the id
(Canvas and Moodle, see `lms`). The folder itself may be a bulk-download `.zip`. Zips and
loose LMS files are staged into `<out>/.batch/staged/<student>/`; plain folders are graded
where they are. Anything that cannot be tied to a student is listed with its reason.
"""

from __future__ import annotations

import pwd
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from tutor.batch import lms
from tutor.batch.models import Submission, Unattributed
from tutor.batch.safezip import JUNK_PARTS, UnsafeArchive, extract
from tutor.errors import UserError

SAFE_ID = re.compile(r"[^A-Za-z0-9._@+-]+")
HOW = (
    "no student id in its name: use a folder per student, a .zip per student, "
    "or Canvas/Moodle bulk-download names"
)


def student_id(raw: str) -> str:
    """A student id that is safe as a file name and a CSV cell."""
    clean = SAFE_ID.sub("_", raw.strip()).strip("_")
    return clean if clean and not clean.startswith(".") else f"id_{clean or 'unknown'}"


@dataclass
class _Found:
    """Submissions gathered so far, plus loose LMS files waiting to be grouped."""

    submissions: dict[str, Submission] = field(default_factory=dict)
    loose: dict[str, list[tuple[int, Path, str]]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    lms: dict[str, str] = field(default_factory=dict)
    unattributed: list[Unattributed] = field(default_factory=list)

    def taken(self, sid: str, entry: Path, loose_too: bool = True) -> bool:
        """True (and `entry` listed as unattributed) when `sid` already has a submission."""
        if sid in self.submissions:
            first = self.submissions[sid].origin
        elif loose_too and sid in self.loose:
            first = "LMS files"
        else:
            return False
        self.unattributed.append(
            Unattributed(path=str(entry), reason=f"student {sid} already has a submission ({first})"))
        return True

    def add(self, sub: Submission, entry: Path) -> None:
        if not self.taken(sub.student, entry):
            self.submissions[sub.student] = sub


def discover(
    source: Path, staging: Path, expected: Iterable[str] = (), max_bytes: int = 200 << 20,
    exclude: Iterable[Path] = (),
) -> tuple[list[Submission], list[Unattributed]]:
    """Every submission under `source` (sorted by student) and the inputs left unattributed.
    `exclude`: folders that are not submissions (the batch's own output folder)."""
    source = source.expanduser()
    if not source.exists():
        raise UserError(f"{source}: no such folder or zip of submissions")
    expected = list(expected)
    staging.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        if source.suffix.lower() != ".zip":
            raise UserError(f"{source}: give a folder of submissions or a bulk-download .zip")
        try:
            source = extract(source, staging / "_input", max_bytes=max_bytes * 50)
        except UnsafeArchive as exc:
            raise UserError(f"{source}: {exc}") from None
    found = _Found()
    skip = {p.resolve() for p in exclude}
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name in JUNK_PARTS or entry.resolve() in skip:
            continue
        if entry.is_symlink():
            found.unattributed.append(Unattributed(path=str(entry), reason="symbolic link: not followed"))
        elif entry.is_dir():
            _folder(entry, staging, expected, max_bytes, found)
        elif entry.suffix.lower() == ".zip":
            _zip(entry, staging, expected, max_bytes, found)
        elif entry.is_file():
            parsed = lms.parse(entry.name, expected)
            if parsed is None and entry.suffix.lower() == ".ipynb":  # a notebook per student: its stem is the id
                parsed = lms.LmsName("", entry.stem, "", entry.name)  # not from an LMS
            if isinstance(parsed, lms.Ambiguous):
                found.unattributed.append(Unattributed(path=str(entry), reason=parsed.reason))
            elif parsed is None or not parsed.file:
                found.unattributed.append(Unattributed(path=str(entry), reason=HOW))
            else:
                sid = student_id(parsed.student)
                if found.taken(sid, entry, loose_too=False):
                    continue
                found.loose.setdefault(sid, []).append((parsed.attachment, entry, parsed.file))
                found.names.setdefault(sid, parsed.name)
                found.lms.setdefault(sid, parsed.lms)
    for sid, files in found.loose.items():
        found.submissions[sid] = _group(sid, found.names.get(sid, ""), files, staging)
        found.submissions[sid].lms = found.lms.get(sid, "")
    return sorted(found.submissions.values(), key=lambda s: s.student), found.unattributed


def _folder(entry: Path, staging: Path, expected: list[str], max_bytes: int, found: _Found) -> None:
    parsed = lms.parse(entry.name, expected)
    if isinstance(parsed, lms.Ambiguous):
        found.unattributed.append(Unattributed(path=str(entry), reason=parsed.reason))
        return
    sid = student_id(parsed.student if parsed else entry.name)
    name = parsed.name if parsed else account_name(entry.name)
    inner = [p for p in entry.iterdir() if p.name not in JUNK_PARTS and not p.name.startswith(".")]
    if len(inner) == 1 and inner[0].suffix.lower() == ".zip" and inner[0].is_file():
        # A Moodle folder (or a student folder) holding only the zip the student uploaded.
        found.add(_extracted(sid, name, inner[0], staging, max_bytes, parsed), entry)
        return
    found.add(Submission(student=sid, name=name, path=entry, origin=str(entry),
                         lms=parsed.lms if parsed else ""), entry)


def account_name(login: str) -> str:
    """The full name the login node's user database gives a student folder named by login (as
    `tutor collect` names them), for the gradebook's `name` column; "" for any other folder."""
    try:
        gecos = pwd.getpwnam(login).pw_gecos
    except (KeyError, ValueError):
        return ""
    full = gecos.split(",")[0].strip()
    return "" if full == login else full


def _zip(entry: Path, staging: Path, expected: list[str], max_bytes: int, found: _Found) -> None:
    parsed = lms.parse(entry.name, expected)
    if isinstance(parsed, lms.Ambiguous):
        found.unattributed.append(Unattributed(path=str(entry), reason=parsed.reason))
        return
    sid = student_id(parsed.student if parsed else entry.stem)
    found.add(_extracted(sid, parsed.name if parsed else "", entry, staging, max_bytes, parsed), entry)


def _extracted(sid: str, name: str, archive: Path, staging: Path, max_bytes: int,
               parsed: Optional[lms.LmsName] = None) -> Submission:
    target = staging / sid
    origin = {"lms": parsed.lms if parsed else "",
              "attachments": [parsed.attachment] if parsed and parsed.attachment else []}
    try:
        extract(archive, target, max_bytes=max_bytes)
        return Submission(student=sid, name=name, path=target, origin=str(archive), **origin)
    except UnsafeArchive as exc:
        return Submission(student=sid, name=name, path=archive, origin=str(archive), problem=str(exc),
                          **origin)


def _group(sid: str, name: str, files: list[tuple[int, Path, str]], staging: Path) -> Submission:
    """Copy one student's loose LMS files, under their original names, into a staged folder."""
    target = staging / sid
    tmp = Path(tempfile.mkdtemp(prefix=f".{sid}.", dir=staging))
    problem = None
    try:
        # Two uploads of the same name: the later one (larger attachment id) wins.
        for _, path, original in sorted(files):
            shutil.copyfile(path, tmp / Path(original).name)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except OSError as exc:
        problem = f"could not stage the LMS files: {exc.strerror or exc}"
        shutil.rmtree(tmp, ignore_errors=True)
    origin = ", ".join(sorted(p.name for _, p, _ in files))
    attachments = sorted({a for a, _, _ in files if a})
    return Submission(student=sid, name=name, path=target, origin=origin, problem=problem,
                      attachments=attachments)
