"""`tutor collect` with real accounts: the layout `tutor batch` reads, lateness from the
filesystem's clock, and every change after hand-in (or hostile link) reported, never followed."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import time
from datetime import datetime, timezone

import pytest

from tests.conftest import run_tutor
from tests.handin_env import Course, folder_of


@pytest.fixture(scope="module")
def course():
    course = Course(students=4)
    try:
        init = course.run_as(course.instructor, "course", "init", str(course.area),
                             "--group", course.instructors, "--students", course.students_group)
        assert init.returncode == 0, init.stderr
        yield course
    finally:
        course.close()


def hand_in(course, who, task, answer):
    folder = course.submission(who, task, answer=answer)
    done = course.run_as(who, "handin", task, "--path", str(folder))
    assert done.returncode == 0, done.stderr
    return done


def set_deadline_now(course, task):
    """Deadline = this instant (UTC), with a second of margin on both sides of it."""
    time.sleep(1.1)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    done = course.run_as(course.instructor, "course", "init", str(course.area), "--group",
                         course.instructors, "--deadline", f"{task}={now}")
    assert done.returncode == 0, done.stderr
    time.sleep(1.1)


def collect(course, *args):
    return course.run_as(course.instructor, "collect", *args, cwd=course.instructor.home)


def test_collect_latest_and_latest_on_time_into_the_batch_layout(course):
    s1, s2, s3, s4 = course.students
    hand_in(course, s1, "hand9.1", "print('s1 first')\n")
    hand_in(course, s2, "hand9.1", "print('s2 first')\n")
    set_deadline_now(course, "hand9.1")
    assert f"group:{course.students_group}:-wx" in subprocess.run(  # kept by the re-run
        ["getfacl", "-p", str(course.area)], capture_output=True, text=True).stdout
    late = hand_in(course, s2, "hand9.1", "print('s2 second')\n")
    assert "attempt 2" in late.stdout and "LATE by" in late.stdout  # said at once, not refused

    out = course.instructor.home / "latest"
    done = collect(course, "hand9.1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith(("s1", "s2"))}
    assert "attempt 1 of 1" in lines[s1.name] and "on time" in lines[s1.name]
    assert "attempt 2 of 2" in lines[s2.name] and "LATE by" in lines[s2.name]
    assert "verified, 4 files" in lines[s2.name]
    # Who has not handed in: everyone else in the students' group.
    assert f"{s3.name} (not handed in)" in done.stdout and f"{s4.name} (not handed in)" in done.stdout
    # One folder per student id, holding exactly the declared files: what tutor batch reads.
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [s1.name, s2.name]
    assert sorted(p.name for p in (out / s2.name).iterdir()) == ["NOTES.md", "answer.py", "run.1.out", "run.2.out"]
    assert (out / s2.name / "answer.py").read_text() == "print('s2 second')\n"
    report = json.loads((out / ".collect.json").read_text())
    row = next(r for r in report["rows"] if r["student"] == s2.name)
    assert row["late_by_s"] > 0 and row["attempt"] == 2 and row["claimed_check"] == "passed"
    assert row["complete"] is True and row["missing"] == []
    assert len(row["receipt"]) == 12 and row["receipt"] in late.stdout  # the student's receipt

    on_time = collect(course, "hand9.1", "--out", str(course.instructor.home / "on-time"), "--on-time")
    assert on_time.returncode == 0, on_time.stderr
    assert (course.instructor.home / "on-time" / s2.name / "answer.py").read_text() == "print('s2 first')\n"
    assert any(line.startswith(s2.name) and "attempt 1 of 2" in line and "on time" in line
               for line in on_time.stdout.splitlines())

    # tutor batch grades the collected folder as it is: one row per student id.
    grades = course.root / "grades"
    batch = run_tutor("batch", str(out), "--task", "hand9.1", "--out", str(grades),
                      env={"TUTOR_CONFIG": str(course.config)})
    assert batch.returncode == 0, batch.stderr
    with open(grades / "gradebook.csv", newline="") as handle:
        graded = {row["student"]: row["status"] for row in csv.DictReader(handle)}
    assert graded == {s1.name: "passed", s2.name: "passed"}

    # collect only writes into a new folder of its own: never an existing one, even its own.
    again = collect(course, "hand9.1", "--out", str(out))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700 and os.stat(out).st_uid == course.instructor.uid


def test_changes_after_hand_in_are_reported_and_links_never_followed(course):
    s1, s2, s3, s4 = course.students
    for who in (s1, s2, s4):
        hand_in(course, who, "hand9.2", f"print('{who.name} honest')\n")
    set_deadline_now(course, "hand9.2")
    a1 = f"{folder_of(course.area, s1.name)}/hand9.2/attempt-001"
    a2 = f"{folder_of(course.area, s2.name)}/hand9.2/attempt-001"
    # s1 makes a file writable and edits it in place (same size, other bytes).
    course.py_as(s1, f"import os; os.chmod('{a1}/answer.py', 0o640); "
                     f"open('{a1}/answer.py', 'r+b').write(b'#'); print('{{}}')")
    # s2 forges a whole attempt after the deadline: new answer, a matching manifest, modes
    # sealed again, and every timestamp a user can set put back to before the deadline.
    forge = f"""
import hashlib, json, os
a = '{a2}'
os.chmod(a, 0o750)
before = os.stat(a + '/answer.py')
os.chmod(a + '/answer.py', 0o640); os.chmod(a + '/manifest.json', 0o640)
new = b"print('written after the deadline')\\n"
open(a + '/answer.py', 'wb').write(new)
m = json.load(open(a + '/manifest.json'))
for f in m['files']:
    if f['path'] == 'answer.py':
        f['size'], f['sha256'] = len(new), hashlib.sha256(new).hexdigest()
open(a + '/manifest.json', 'w').write(json.dumps(m, indent=2))
for name in os.listdir(a):
    os.chmod(a + '/' + name, 0o440)
    os.utime(a + '/' + name, ns=(before.st_atime_ns, before.st_mtime_ns))
os.chmod(a, 0o550)
os.utime(a, ns=(before.st_atime_ns, before.st_mtime_ns))
print('{{}}')
"""
    course.py_as(s2, forge)
    # s3 points their task folder at s1's (readable only by the instructors).
    course.py_as(s3, f"import os; os.umask(0o027); os.mkdir('{course.area}/{s3.name}'); "
                     f"os.symlink('{folder_of(course.area, s1.name)}/hand9.2', '{course.area}/{s3.name}/hand9.2'); print('{{}}')")
    # s4 renames their attempt and opens their folder to everyone; s2 shares theirs with s1.
    f4, f2 = folder_of(course.area, s4.name), folder_of(course.area, s2.name)
    course.py_as(s4, f"import os; d = '{f4}/hand9.2'; "
                     f"os.rename(d + '/attempt-001', d + '/attempt-002'); "
                     f"os.chmod('{f4}', 0o755); print('{{}}')")
    course.py_as(s2, f"import subprocess; subprocess.run(['setfacl', '-m', 'u:{s1.name}:rx', "
                     f"'{f2}'], check=True); print('{{}}')")

    out = course.instructor.home / "hand9.2"
    done = collect(course, "hand9.2", "--out", str(out))
    assert done.returncode == 1, done.stdout + done.stderr  # problems: exit 1, not a crash
    assert "Traceback" not in done.stderr
    rows = {r["student"]: r for r in json.loads((out / ".collect.json").read_text())["rows"]}
    assert any("answer.py does not match its SHA-256" in p for p in rows[s1.name]["problems"])
    assert rows[s1.name]["late_by_s"] > 0  # edited in place after the deadline: counts as late
    # The forgery verifies byte for byte, but its hand-in time is when it was re-sealed.
    assert rows[s2.name]["late_by_s"] > 0
    assert (out / s2.name / "answer.py").read_text() == "print('written after the deadline')\n"
    assert rows[s3.name]["status"] == "unreadable"
    assert any("symbolic link" in p for p in rows[s3.name]["problems"])
    assert not (out / s3.name).exists()  # s1's work never lands in s3's folder
    assert any("folder was renamed" in p for p in rows[s4.name]["problems"])
    assert any("attempt 1 removed after hand-in" in p for p in rows[s4.name]["problems"])
    assert any("open to all users (mode 755)" in p for p in rows[s4.name]["problems"])
    assert any("extra ACL entries" in p for p in rows[s2.name]["problems"])
    assert f"{s1.name}  attempt 1 of 1" in done.stdout and "CHANGED" in done.stdout

    on_time = collect(course, "hand9.2", "--out", str(course.instructor.home / "hand9.2-on-time"), "--on-time")
    rows = {r["student"]: r for r in json.loads(
        (course.instructor.home / "hand9.2-on-time" / ".collect.json").read_text())["rows"]}
    assert rows[s2.name]["status"] == "no on-time attempt", on_time.stdout
    assert rows[s1.name]["status"] == "no on-time attempt", on_time.stdout
    assert f"{s3.name}  UNREADABLE" in on_time.stdout
    # The student sees the same thing in their own listing.
    mine = course.run_as(s1, "handin", "hand9.2", "--list")
    assert "CHANGED" in mine.stdout and "does not match its SHA-256" in mine.stdout
