"""The hand-in area on the shared filesystem: who may create, list, read and change what.

    AREA/                 owner: instructor  group: instructors  mode 3770 (setgid, sticky)
                          + ACL group:STUDENTS:-wx  (or, with no students group, other::-wx)
      tutor.toml          the course config students point TUTOR_CONFIG at (0644), written
                          before the area is opened to students
      alice~3f9a0c.../    owner: alice  group: instructors (inherited)  mode 2750
        task8.1/          owner: alice  group: instructors  mode 2750
          attempt-001/    sealed: 0550, files 0440, manifest.json 0440
          .incoming-*/    an attempt being written (0700), renamed to attempt-NNN when complete

Students may create their own folder in AREA and pass through it, never list it (no `r`);
the sticky bit stops them renaming or deleting anyone else's folder. A student's folder is
`NAME~RANDOM` (the random part kept in their tutor state), so nobody can take it in advance
or tell by `stat` who handed in; `tutor collect` finds folders by owner (a folder counts as
alice's only if alice owns it and it is `alice` or `alice~...`). A plain `NAME` folder from
an earlier version is still used and collected. A student folder grants
nothing to other users, and the setgid bit gives everything inside it the instructors' group,
which may read (never write). tutor never chmods a student or task folder: for a student who
is not in the instructors' group, chmod would clear the inherited setgid bit and later attempts
would lose the instructors' group.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import shutil
import stat
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from tutor.errors import UserError

AREA_MODE = 0o3770  # setgid + sticky; instructors rwx; nobody else by mode bits
AREA_MODE_OPEN = 0o3773  # no students group: any local user may create a folder, none may list
FOLDER_MODE = 0o750  # student and task folders (setgid inherited from AREA)
FOLDER_UMASK = 0o027
SEALED_DIR = 0o550
SEALED_FILE = 0o440
INCOMING_PREFIX = ".incoming-"


def user_name(uid: Optional[int] = None) -> str:
    uid = os.geteuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_gid(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise UserError(f"no Unix group named {name!r} on this machine (see: getent group)") from None


def group_members(name: str) -> set[str]:
    """Everyone in a group: its listed members and the users whose primary group it is."""
    gid = group_gid(name)
    members = set(grp.getgrgid(gid).gr_mem)
    members.update(p.pw_name for p in pwd.getpwall() if p.pw_gid == gid)
    return members


@dataclass
class AreaReport:
    path: Path
    group: str
    students: Optional[str]
    created: bool
    warnings: list[str] = field(default_factory=list)


def prepare_area(path: Path, group: str, students: Optional[str]) -> AreaReport:
    """First step of `course init`: the area exists, is ours and in `group`; a new one stays
    closed (0700) until open_area, so the config can be written before any student gets in."""
    gid = group_gid(group)
    if students is not None:
        group_gid(students)
        if shutil.which("setfacl") is None:
            raise UserError("--students needs POSIX ACLs: install the 'acl' package (setfacl)")
    path = path.expanduser().absolute()
    created = False
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, 0o700)
        created = True
        st = os.lstat(path)
    except PermissionError:
        raise UserError(f"{path}: cannot look at it (permission denied)") from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UserError(f"{path} exists and is not a folder: choose another path")
    if st.st_uid != os.geteuid():
        raise UserError(f"{path} belongs to {user_name(st.st_uid)}, not you: only its owner can set it up")
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        raise UserError(f"cannot give {path} to group {group}: you are not a member of it (see: id)") from None
    return AreaReport(path=path, group=group, students=students, created=created)


def open_area(report: AreaReport) -> AreaReport:
    """Second step: the modes and ACL that let students in (create, never list)."""
    path, students = report.path, report.students
    mode = AREA_MODE if students is not None else AREA_MODE_OPEN
    os.chmod(path, mode)
    if students is not None:
        _setfacl(path, ["-b"])  # drop ACLs left by an earlier set-up, then grant the students
        _setfacl(path, ["-m", f"group:{students}:-wx,mask::rwx"])
    if students is None:
        report.warnings.append(
            "no --students group: any local user may create a folder here (none can list or read "
            "another's); give the course's students group to restrict it")
    report.warnings.extend(_unreachable_parents(path))
    report.warnings.extend(squatted_folders(path))
    return report


def _setfacl(path: Path, args: list[str]) -> None:
    done = subprocess.run(["setfacl", *args, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise UserError(f"setfacl on {path}: {reason} (does this filesystem support ACLs?)")


def _unreachable_parents(path: Path) -> list[str]:
    warnings = []
    for parent in path.parents:
        try:
            mode = os.stat(parent).st_mode
        except OSError:
            continue
        if not mode & stat.S_IXOTH:
            warnings.append(f"{parent} is not traversable by others: students cannot reach "
                            f"{path} (chmod o+x {parent})")
    return warnings


def folder_owner_name(name: str, st: os.stat_result, owner: Optional[str] = None) -> Optional[str]:
    """The student a folder of the area belongs to: its owner, if it is named `OWNER` or
    `OWNER~suffix` and is a real folder; else None (a squat, a link, a stray file)."""
    if not stat.S_ISDIR(st.st_mode):
        return None
    owner = owner or user_name(st.st_uid)
    return owner if name == owner or name.startswith(owner + "~") else None


def squatted_folders(area: Path, limit: int = 20) -> list[str]:
    """Folders in the area whose owner is not the user they are named after (names escaped)."""
    from tutor.handin.shown import shown

    found: list[str] = []
    more = 0
    with os.scandir(area) as it:
        for entry in it:
            if entry.name.startswith(".") or entry.name == "tutor.toml":
                continue
            st = entry.stat(follow_symlinks=False)
            if not (stat.S_ISDIR(st.st_mode) or stat.S_ISLNK(st.st_mode)):
                continue
            if folder_owner_name(entry.name, st) is not None:
                continue
            if len(found) >= limit:
                more += 1
                continue
            name = shown(entry.name)
            found.append(f"{area / name} belongs to {user_name(st.st_uid)}, not to a student of that name: "
                         f"move it aside (mv '{area / name}' '{area / ('.squatted-' + name)}')")
    if more:
        found.append(f"and {more} more such folders in {area}")
    return found


@contextmanager
def course_umask() -> Iterator[None]:
    old = os.umask(FOLDER_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def own_folder(parent: Path, name: str, expected_gid: int) -> Path:
    """`parent/name` as a folder that is ours, with the course group and no access for others.

    Created if missing. Refuses (with what to do) a folder someone else made under our name,
    a symbolic link, or a folder that lost the instructors' group or leaks to other users."""
    path = parent / name
    with course_umask():
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            pass
        except PermissionError:
            raise UserError(f"cannot create {path} (permission denied): ask your instructor to "
                            "add you to the course's students group") from None
        except OSError as exc:
            raise write_error(exc, path) from None
    problem = folder_problem(path, expected_gid)
    if problem:
        raise UserError(problem)
    return path


def folder_problem(path: Path, expected_gid: int) -> Optional[str]:
    """What is wrong with one of our folders in the area (None: it is ours, closed, readable
    by the instructors), saying what to do."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a folder (a link or file is in the way): tell your instructor"
    if st.st_uid != os.geteuid():
        return (f"{path} belongs to {user_name(st.st_uid)}, not you: tell your instructor "
                "(someone took your name in the hand-in area)")
    if st.st_gid != expected_gid:
        return (f"{path} has group {group_name(st.st_gid)}, not the instructors' group "
                f"{group_name(expected_gid)}, so they could not read your work: tell your instructor")
    if st.st_mode & 0o007:
        return (f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o}): "
                f"run `chmod o= {path}` and hand in again")
    return None


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def write_error(exc: OSError, where: Path) -> UserError:
    """One line for an OSError met while writing into the hand-in area."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return UserError(f"the hand-in area is full ({exc.strerror}) writing {where}: nothing was "
                         "handed in; tell your instructor")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UserError(f"{exc.filename or where}: {exc.strerror}: nothing was handed in; "
                         "tell your instructor")
    return UserError(f"{exc.filename or where}: {exc.strerror or exc}: nothing was handed in")
