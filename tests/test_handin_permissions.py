"""Hand-in with real accounts: two students hand in, and nobody but the student and the
instructors' group can see, and nobody at all can quietly change, what was handed in.

Every forbidden operation is tried through the filesystem directly (open, listdir, write,
unlink, rename, chmod, symlink), as the other student and as an outsider, not only via tutor.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.handin_env import Course, folder_of, probe

DENIED = {"EACCES", "EPERM"}


@pytest.fixture(scope="module")
def course():
    course = Course(students=3)
    try:
        init = course.run_as(course.instructor, "course", "init", str(course.area),
                             "--group", course.instructors, "--students", course.students_group,
                             "--deadline", "hand9.1=2099-12-01 23:59 Europe/Madrid")
        assert init.returncode == 0, init.stderr
        s1, s2, _ = course.students
        for who, times in ((s1, 1), (s2, 2)):
            folder = course.submission(who, "hand9.1", answer=f"print('{who.name}')\n")
            for _ in range(times):
                done = course.run_as(who, "handin", "hand9.1", "--path", str(folder))
                assert done.returncode == 0, done.stderr
        yield course
    finally:
        course.close()


def attempt_dir(course: Course, who, task="hand9.1", n=1) -> Path:
    return folder_of(course.area, who.name) / task / f"attempt-{n:03d}"


def test_init_makes_a_setgid_sticky_area_only_students_and_instructors_reach(course):
    import grp

    st = os.stat(course.area)
    assert stat.S_IMODE(st.st_mode) == 0o3770
    assert st.st_uid == course.instructor.uid
    assert st.st_gid == grp.getgrnam(course.instructors).gr_gid
    acl = subprocess.run(["getfacl", "-p", str(course.area)], capture_output=True, text=True).stdout
    assert f"group:{course.students_group}:-wx" in acl
    assert "other::---" in acl
    config = course.config.read_text()
    assert "# the course config" in config  # the instructor's file was edited, not replaced
    assert f'handin_dir = "{course.area}"' in config
    assert '"hand9.1" = 2099-12-01T23:59:00+01:00' in config  # stored with its zone (offset)
    assert stat.S_IMODE(os.stat(course.config).st_mode) == 0o644


def test_attempts_are_sealed_and_readable_by_the_instructors_group(course):
    import grp

    s1 = course.students[0]
    gid = grp.getgrnam(course.instructors).gr_gid
    mine = folder_of(course.area, s1.name)
    assert mine.name.startswith(s1.name + "~") and len(mine.name) == len(s1.name) + 17
    st = os.stat(mine)
    assert (st.st_uid, st.st_gid) == (s1.uid, gid)
    assert stat.S_IMODE(st.st_mode) == 0o2750
    attempt = attempt_dir(course, s1)
    assert stat.S_IMODE(os.stat(attempt).st_mode) == 0o550
    for name in ("answer.py", "NOTES.md", "run.1.out", "run.2.out", "manifest.json"):
        fst = os.stat(attempt / name)
        assert stat.S_IMODE(fst.st_mode) == 0o440 and fst.st_gid == gid, name
    manifest = json.loads((attempt / "manifest.json").read_text())
    assert manifest["student"] == s1.name and manifest["attempt"] == 1
    assert sorted(f["path"] for f in manifest["files"]) == ["NOTES.md", "answer.py", "run.1.out", "run.2.out"]
    assert manifest["check"]["ran"] is True and manifest["check"]["status"] == "passed"


def test_another_student_can_neither_see_nor_touch_an_attempt(course):
    s1, s2, _ = course.students
    theirs = attempt_dir(course, s2)
    results = probe(
        course, s1,
        files={"their answer": theirs / "answer.py", "their manifest": theirs / "manifest.json"},
        dirs={"the area": course.area, "their folder": folder_of(course.area, s2.name),
              "their task": theirs.parent, "their attempt": theirs},
    )
    # Listing the area, or anything of theirs, is refused; so is every read and write.
    allowed = {op: r for op, r in results.items() if r not in DENIED}
    # Creating in the area itself is what lets a student make their own folder: that is the
    # one thing the ACL grants; the sticky bit then stops renaming or removing others' folders.
    allowed.pop("create in the area", None)
    allowed.pop("symlink into the area", None)
    assert allowed == {}, allowed
    assert results["listdir the area"] == "EACCES"
    assert results["rename their folder"] in DENIED and results["rmtree their folder"] in DENIED
    assert results["read their answer"] == "EACCES"
    # Nothing changed: the attempt still verifies for its owner.
    listing = course.run_as(s2, "handin", "--list")
    assert listing.returncode == 0 and listing.stdout.count("intact") == 2, listing.stdout


def test_tutor_itself_gives_a_student_nothing_of_anyone_elses(course):
    s1 = course.students[0]
    listing = course.run_as(s1, "handin", "--list")
    assert listing.returncode == 0
    assert "attempt 1" in listing.stdout and "attempt 2" not in listing.stdout  # s2 has two
    grab = course.run_as(s1, "collect", "hand9.1", "--out", str(s1.home / "loot"))
    assert grab.returncode == 2
    assert "cannot list" in grab.stderr and "Traceback" not in grab.stderr
    assert len(grab.stderr.strip().splitlines()) == 1


def test_outsiders_cannot_hand_in_or_look(course):
    out = course.outsider
    folder = course.submission(out, "hand9.1")
    done = course.run_as(out, "handin", "hand9.1", "--path", str(folder))
    assert done.returncode == 2
    assert "permission denied" in done.stderr and "Traceback" not in done.stderr
    s1 = course.students[0]
    results = probe(course, out, files={"an answer": attempt_dir(course, s1) / "answer.py"},
                    dirs={"the area": course.area, "a folder": folder_of(course.area, s1.name)})
    assert set(results.values()) <= DENIED | {"ENOENT"}, results


def test_a_student_cannot_change_a_past_attempt_by_accident(course):
    s1 = course.students[0]
    mine = attempt_dir(course, s1)
    # The owner may chmod their own files (no permission scheme can stop that) and rename a
    # whole attempt in their own task folder: both are detected, see test_handin_collect.
    results = probe(course, s1, files={"my answer": mine / "answer.py"}, dirs={"my attempt": mine},
                    skip=frozenset({"chmod", "rename"}))
    for op in ("write my answer", "unlink my answer", "create in my attempt",
               "rmtree my attempt", "symlink into my attempt"):
        assert results[op] == "EACCES", (op, results[op])
    assert results["read my answer"] == "OK"
    listing = course.run_as(s1, "handin", "--list")
    assert "intact" in listing.stdout, listing.stdout


def test_the_instructors_read_everything_and_change_nothing(course):
    s1, s2, _ = course.students
    code = (
        "import json, os\n"
        f"area = {str(course.area)!r}\n"
        "seen = {name.split('~')[0]: sorted(os.listdir(os.path.join(area, name, 'hand9.1')))"
        " for name in sorted(os.listdir(area)) if os.path.isdir(os.path.join(area, name))}\n"
        f"text = open({str(attempt_dir(course, s2, n=2) / 'answer.py')!r}).read()\n"
        "try:\n"
        f"    open({str(attempt_dir(course, s1) / 'answer.py')!r}, 'a').write('x'); wrote = 'OK'\n"
        "except OSError as e: wrote = e.strerror\n"
        "print(json.dumps({'seen': seen, 'text': text, 'wrote': wrote}))\n"
    )
    result = course.py_as(course.instructor, code)
    assert result["seen"][s1.name] == [".handin.lock", "attempt-001"]
    assert result["seen"][s2.name] == [".handin.lock", "attempt-001", "attempt-002"]
    assert result["text"] == f"print('{s2.name}')\n"
    assert result["wrote"] == "Permission denied"


def test_doctor_tells_each_user_their_place(course):
    s1 = course.students[0]
    student = course.run_as(s1, "doctor", "--no-tf", "--json")
    instructor = course.run_as(course.instructor, "doctor", "--no-tf", "--json")
    mine = [f for f in json.loads(student.stdout) if f["area"] == "handin"]
    theirs = [f for f in json.loads(instructor.stdout) if f["area"] == "handin"]
    assert mine[0]["level"] == "ok" and "yours alone" in mine[0]["message"], mine
    assert theirs[0]["level"] == "ok" and "you are an instructor" in theirs[0]["message"], theirs


def test_a_squatted_name_neither_blocks_nor_fools_anyone(course):
    """A classmate who creates AREA/<s3> first (the plain name is public) stops nothing: s3's
    folder is NAME~random, made at the first hand-in; init reports the squat, collect ignores it."""
    s1, _, s3 = course.students
    squat = course.py_as(s1, f"import os, json; os.mkdir({str(course.area / s3.name)!r}, 0o777); print('{{}}')")
    assert squat == {}
    folder = course.submission(s3, "hand9.1")
    done = course.run_as(s3, "handin", "hand9.1", "--path", str(folder))
    assert done.returncode == 0, done.stderr
    assert "attempt 1" in done.stdout
    mine = folder_of(course.area, s3.name)
    assert mine.name.startswith(s3.name + "~") and os.stat(mine).st_uid == s3.uid
    # Re-running init tells the instructor, who (owning the sticky area) can move it aside.
    init = course.run_as(course.instructor, "course", "init", str(course.area), "--group", course.instructors)
    assert init.returncode == 0, init.stderr
    assert f"{course.area / s3.name} belongs to {s1.name}" in init.stderr
    # Nobody can tell from outside who handed in: the plain names say nothing.
    s2 = course.students[1]
    seen = course.py_as(s2, f"import os, json; print(json.dumps(os.path.exists({str(course.area / s1.name)!r})))")
    assert seen is False
