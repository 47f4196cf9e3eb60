"""Real Unix accounts and a real shared course folder for the hand-in tests.

`Course` creates (as root) an instructors' group, a students' group, student and instructor
accounts with unique names per run, a world-traversable course folder with a tiny exercise
pack, and removes all of it afterwards. `run_as` runs the real `tutor` as one of them with
`setpriv` (real uid, gid and supplementary groups); `py_as` runs a Python snippet as them,
for poking at the filesystem directly.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA, require_tool

TUTOR = Path(sys.executable).with_name("tutor")

PACK_TOML = 'id = "handin-test"\ntitle = "Hand-in test pack"\norder = 90\n'
EXERCISE = """id = "{id}"
title = "A small hand-in exercise"
chapter = 9
order = {order}
kind = "job"
summary = "Write answer.py and notes, run it, hand in the job's logs."
files = ["answer.py", "NOTES.md"]
artifacts = ["run.*.out"]
hints = ["Write answer.py.", "Write NOTES.md.", "Run it so run.N.out exists."]

[[checks]]
id = "answer-present"
kind = "files_exist"
files = ["answer.py"]

[[checks]]
id = "notes-present"
kind = "files_exist"
files = ["NOTES.md"]
required = false
"""
TASKS = ("hand9.1", "hand9.2")


def write_pack(root: Path) -> Path:
    """A course pack with two small job tasks (checked by files_exist, no TensorFlow)."""
    pack = root / "pack"
    pack.mkdir(parents=True)
    (pack / "pack.toml").write_text(PACK_TOML)
    for order, task in enumerate(TASKS, 1):
        (pack / task).mkdir()
        (pack / task / "exercise.toml").write_text(EXERCISE.format(id=task, order=order))
        (pack / task / "README.md").write_text(f"# {task}\n\nHand in answer.py, NOTES.md and the logs.\n")
    return pack


def folder_of(area: Path, name: str) -> Path:
    """A student's folder in the area (`NAME~random`, or a plain `NAME`), looked up as root;
    `area/NAME` when they have none yet."""
    try:
        entries = sorted(os.listdir(area))
    except FileNotFoundError:
        return area / name
    owned = [e for e in entries if (e == name or e.startswith(name + "~"))
             and pwd.getpwuid(os.lstat(area / e).st_uid).pw_name == name]
    return area / owned[0] if owned else area / name


def write_submission(folder: Path, answer: str = "print(42)\n", logs: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answer.py").write_text(answer)
    (folder / "NOTES.md").write_text("What I did and why.\n")
    for n in range(1, logs + 1):
        (folder / f"run.{n}.out").write_text(f"test accuracy {0.9 + n / 100}\n")
    return folder


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: Path


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, text=True)


class Course:
    """Groups, accounts and a course folder that exist for one test module."""

    def __init__(self, students: int = 3) -> None:
        require_tool("useradd", "userdel", "groupadd", "groupdel", "setpriv", "setfacl")
        if os.geteuid() != 0:
            pytest.skip("needs root to create accounts") if not os.environ.get("CI") else pytest.fail("CI must run as root")
        token = secrets.token_hex(3)
        self.instructors = f"ti{token}"
        self.students_group = f"ts{token}"
        self.root = Path(tempfile.mkdtemp(prefix="tutor-handin-", dir="/tmp"))
        os.chmod(self.root, 0o755)
        self.accounts: dict[str, Account] = {}
        self._users: list[str] = []
        self._groups: list[str] = []
        try:
            for group in (self.instructors, self.students_group):
                _run("groupadd", group)
                self._groups.append(group)
            self.students = [self._user(f"s{i}{token}", self.students_group) for i in range(1, students + 1)]
            self.instructor = self._user(f"in{token}", self.instructors)
            self.outsider = self._user(f"out{token}", None)
            self.pack = write_pack(self.root)
            self.shared = self.root / "shared"
            self.shared.mkdir()
            self.config = self.shared / "tutor.toml"
            self.config.write_text(f'# the course config\nexercise_dirs = ["{self.pack}"]\n')
            os.chmod(self.config, 0o644)
            for path in (self.shared, self.config):
                os.chown(path, self.instructor.uid, self.instructor.gid)
            self.area = self.shared / "handin"
        except BaseException:
            self.close()
            raise

    def _user(self, name: str, group: str | None) -> Account:
        home = self.root / "home" / name
        extra = ["-G", group] if group else []
        _run("useradd", "-M", "-U", "-s", "/usr/sbin/nologin", "-d", str(home), *extra, name)
        self._users.append(name)
        entry = pwd.getpwnam(name)
        home.mkdir(parents=True)
        os.chown(home, entry.pw_uid, entry.pw_gid)
        os.chmod(home, 0o700)
        account = Account(name, entry.pw_uid, entry.pw_gid, home)
        self.accounts[name] = account
        return account

    def close(self) -> None:
        for name in self._users:
            subprocess.run(["userdel", name], capture_output=True)
        for group in self._groups:
            subprocess.run(["groupdel", group], capture_output=True)
        # As root: modes do not stand in the way; rm copes with trees deeper than Python's stack.
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.root)], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ acting as someone

    def env(self, who: Account) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(who.home),
            "USER": who.name,
            "LANG": "C.UTF-8",
            "COLUMNS": "200",
            "TUTOR_CONFIG": str(self.config),
            "TUTOR_HOME": str(who.home / "state"),
            "TUTOR_CACHE_DIR": str(who.home / "cache"),
            "TUTOR_WORKSPACE_ROOT": str(who.home / "work"),
            "TUTOR_DATA_DIR": str(SHARED_DATA),
            "KERAS_HOME": str(who.home / "keras"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
            "TF_NUM_INTEROP_THREADS": "1",
            "TF_NUM_INTRAOP_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }

    def _as(self, who: Account) -> list[str]:
        return ["setpriv", f"--reuid={who.uid}", f"--regid={who.gid}", "--init-groups", "--"]

    def run_as(self, who: Account, *args: str, cwd: Path | None = None, timeout: float = 300,
               env: dict[str, str | None] | None = None, limits: tuple[str, ...] = (),
               tutor: Path = TUTOR) -> subprocess.CompletedProcess:
        """The real `tutor` console script, run as `who` (`env`: changes, None removes;
        `limits`: prlimit options such as --as=BYTES)."""
        environ = self.env(who)
        for key, value in (env or {}).items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        prefix = ["prlimit", *limits, "--"] if limits else []
        return subprocess.run(prefix + self._as(who) + [str(tutor), *args], cwd=cwd or who.home,
                              env=environ, capture_output=True, text=True, timeout=timeout)

    def py_as(self, who: Account, code: str, timeout: float = 60):
        """Run a Python snippet as `who`; it prints one JSON value, returned here."""
        done = subprocess.run(self._as(who) + [sys.executable, "-c", code], env=self.env(who),
                              capture_output=True, text=True, timeout=timeout, cwd=who.home)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def submission(self, who: Account, task: str, **kwargs) -> Path:
        """A submission folder in `who`'s home, owned by them."""
        folder = write_submission(who.home / "work" / task, **kwargs)
        for path in [who.home / "work", *folder.rglob("*"), folder]:
            os.chown(path, who.uid, who.gid, follow_symlinks=False)
        return folder


# A snippet that tries every operation in OPS on the paths given and reports, per operation,
# "OK" or the errno name: run as an attacker, every one of them must fail.
PROBE = r"""
import errno, json, os, shutil, sys
targets = {targets!r}
skip = {skip!r}
def attempt(fn):
    if op.split(" ")[0] in skip:
        return "skipped"
    try:
        fn()
        return "OK"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
def read(p):
    with open(p, "rb") as h: h.read()
def write(p):
    with open(p, "ab") as h: h.write(b"tampered")
def create(d):
    with open(os.path.join(d, "planted.txt"), "x") as h: h.write("x")
ops = {{}}
for label, path in targets["files"].items():
    for op, fn in (("read", lambda: read(path)), ("write", lambda: write(path)),
                   ("unlink", lambda: os.unlink(path)), ("chmod", lambda: os.chmod(path, 0o666)),
                   ("rename", lambda: os.rename(path, path + ".moved")), ("stat", lambda: os.stat(path))):
        op = f"{{op}} {{label}}"
        ops[op] = attempt(fn)
for label, path in targets["dirs"].items():
    for op, fn in (("listdir", lambda: os.listdir(path)), ("create", lambda: create(path)),
                   ("chmod", lambda: os.chmod(path, 0o777)), ("rename", lambda: os.rename(path, path + ".moved")),
                   ("rmtree", lambda: shutil.rmtree(path)),
                   ("symlink", lambda: os.symlink("/etc/passwd", os.path.join(path, "link")))):
        op = f"{{op}} {{'in ' if op in ('create', 'symlink') else ''}}{{label}}"
        op = op.replace("symlink in", "symlink into")
        ops[op] = attempt(fn)
print(json.dumps(ops))
"""


def probe(course: Course, who: Account, files: dict[str, Path], dirs: dict[str, Path],
          skip: frozenset[str] = frozenset()) -> dict:
    """Try every operation on `files` and `dirs` as `who`: {"write their answer": "EACCES", ...}."""
    targets = {"files": {k: str(v) for k, v in files.items()}, "dirs": {k: str(v) for k, v in dirs.items()}}
    return course.py_as(who, PROBE.format(targets=targets, skip=set(skip)))
