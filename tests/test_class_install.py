"""A class install (`make class-install`) run by a real unprivileged student: the whole flow
(start, check, train, grade, hand in) from a shared prefix, with the sandbox working for
them and isolating them as it does root (or `tutor doctor` naming the difference).

Every student command is started by the student's own shell (`sh -c 'exec tutor ...'`), as
a login would: `setpriv` alone resolves the program before dropping privileges, which hid
that a venv made from a Python under /root could not be run by anyone else.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED_DATA
from tests.handin_env import Course

pytestmark = [pytest.mark.tf, pytest.mark.slow]


@pytest.fixture(scope="module")
def prefix():
    """`make class-install` into a fresh prefix (set TUTOR_TEST_CLASS_PREFIX to reuse one locally)."""
    reuse = os.environ.get("TUTOR_TEST_CLASS_PREFIX")
    if reuse and not os.environ.get("CI"):
        yield Path(reuse)
        return
    # Not under /tmp: every sandboxed job gets a /tmp of its own, which would hide the install
    # from it (a class prefix lives in /opt, /usr/local or the cluster's software tree).
    target = Path(tempfile.mkdtemp(prefix="tutor-class-", dir="/var/tmp"))
    os.chmod(target, 0o755)
    try:
        done = subprocess.run(["make", "-C", str(REPO), "class-install", f"CLASS_PREFIX={target}"],
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        yield target
    finally:
        subprocess.run(["rm", "-rf", str(target)], capture_output=True)


@pytest.fixture(scope="module")
def course(prefix):
    course = Course(students=1)
    try:
        data = course.root / "data"  # where the course stages data: readable by all
        data.mkdir()
        shutil.copy(SHARED_DATA / "mnist.npz", data / "mnist.npz")
        os.chmod(data / "mnist.npz", 0o644)
        course.data = data
        init = student_run(course, course.instructor, prefix, "course", "init", str(course.area),
                           "--group", course.instructors, "--students", course.students_group)
        assert init.returncode == 0, init.stderr
        yield course
    finally:
        course.close()


def student_env(course: Course, who, prefix: Path) -> dict[str, str]:
    env = course.env(who)
    env["PATH"] = f"{prefix / 'bin'}:/usr/bin:/bin"
    env["TUTOR_DATA_DIR"] = str(course.data)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def student_run(course: Course, who, prefix: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`tutor ARGS` as `who`, started by their own shell from the class install."""
    command = course._as(who) + ["/bin/sh", "-c", 'exec tutor "$@"', "tutor", *args]
    return subprocess.run(command, cwd=who.home, env=student_env(course, who, prefix),
                          capture_output=True, text=True, timeout=timeout)


def test_the_install_is_runnable_by_everyone_and_writable_by_no_student(prefix):
    python = Path(os.path.realpath(prefix / "bin" / "python"))
    assert not str(python).startswith("/root"), python
    for path in (prefix, prefix / "bin" / "tutor", python):
        mode = os.stat(path).st_mode
        assert mode & 0o005 and not mode & 0o022, (path, oct(mode))
    nobody = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c",
                             f"exec {prefix}/bin/tutor --help"], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert nobody.returncode == 0, nobody.stderr


def test_make_refuses_a_python_other_users_cannot_reach(tmp_path):
    private = tmp_path / "private"
    (private / "bin").mkdir(parents=True)
    shutil.copy(os.path.realpath("/usr/bin/python3"), private / "bin" / "python3")
    os.chmod(private, 0o700)
    done = subprocess.run(["make", "-s", "-C", str(REPO), "class-install", f"CLASS_PREFIX={tmp_path / 'p'}",
                           f"CLASS_PYTHON={private / 'bin' / 'python3'}"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"{private} is not traversable by other users" in done.stdout + done.stderr
    assert not (tmp_path / "p").exists()


def test_a_student_runs_the_whole_flow_from_the_class_install(course, prefix):
    student = course.students[0]
    # The sandbox isolates the student as it isolates root, or doctor says how it differs.
    mine = json.loads(student_run(course, student, prefix, "doctor", "--json").stdout)
    roots = subprocess.run([str(prefix / "bin" / "tutor"), "doctor", "--json"], capture_output=True, text=True,
                           env={**os.environ, "PATH": f"{prefix / 'bin'}:/usr/bin:/bin",
                                "TUTOR_CONFIG": str(course.config), "TUTOR_DATA_DIR": str(course.data)},
                           timeout=600)
    theirs = json.loads(roots.stdout)
    sandbox = [(f["level"], f["message"]) for f in mine if f["area"] == "sandbox"]
    assert sandbox == [(f["level"], f["message"]) for f in theirs if f["area"] == "sandbox"], sandbox
    assert sandbox and all(level in ("ok", "warn") for level, _ in sandbox)

    start = student_run(course, student, prefix, "start", "task7.3")
    assert start.returncode == 0, start.stderr
    work = student.home / "work" / "task7.3"
    for name in ("model.py", "NOTES.md"):  # the student's own work: the reference solution
        shutil.copy(REPO / "solutions" / "task7.3" / name, work / name)
        os.chown(work / name, student.uid, student.gid)

    check = student_run(course, student, prefix, "check", "task7.3")
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert "sandbox" not in check.stderr.lower(), check.stderr

    train = student_run(course, student, prefix, "train", "task7.3", "--epochs", "1", "--json")
    assert train.returncode in (0, 1), train.stderr[-2000:]
    assert "epoch 1/1" in train.stderr and (work / "model.keras").is_file()
    assert os.stat(work / "model.keras").st_uid == student.uid

    grade = student_run(course, student, prefix, "grade", "task7.3", "--json")
    assert grade.returncode in (0, 1), grade.stderr[-2000:]
    report = json.loads(grade.stdout)
    assert report["accuracy"] > 0.85, report["accuracy"]
    # The same submission graded by root: the sandbox's isolation is the same for both.
    as_root = course.root / "as-root"
    shutil.copytree(work, as_root)
    root_grade = subprocess.run([str(prefix / "bin" / "tutor"), "grade", "task7.3", "--path", str(as_root), "--json"],
                                capture_output=True, text=True, timeout=900,
                                env={**os.environ, "PATH": f"{prefix / 'bin'}:/usr/bin:/bin",
                                     "TUTOR_CONFIG": str(course.config), "TUTOR_DATA_DIR": str(course.data)})
    root_meta = json.loads(root_grade.stdout)["meta"]
    for key in ("network", "filesystem"):
        assert report["meta"][key] == root_meta[key], (key, report["meta"][key], root_meta[key])

    handin = student_run(course, student, prefix, "handin", "task7.3")
    assert handin.returncode == 0, handin.stderr[-2000:]
    assert "attempt 1" in handin.stdout

    out = course.instructor.home / "collected"
    collected = student_run(course, course.instructor, prefix, "collect", "task7.3", "--out", str(out))
    assert collected.returncode == 0, collected.stdout + collected.stderr
    row = json.loads((out / ".collect.json").read_text())["rows"][0]
    assert row["student"] == student.name and row["complete"] is True
    assert sorted(row["files"]) == ["NOTES.md", "model.keras", "model.py", "train.json"]
