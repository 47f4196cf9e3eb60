"""The attacks of a hostile student on everything *around* the hand-in folders (issue 16),
each with real accounts: the course config, the instructor's --out, and how `tutor collect`
reads, copies and prints what students left. Every test names the attack it contains.

Roles: s1 plants and crashes, s2 numbers attempts by hand, s3 forges (sparse files, names
with markup and ESC, a made-up check), s4 is honest and must be collected every time.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.handin_env import Course, folder_of

LIMITS = "max_handin_mb = 10\nmax_attempt_mb = 20\n"


@pytest.fixture(scope="module")
def course():
    course = Course(students=4)
    try:
        with open(course.config, "a") as handle:
            handle.write(LIMITS)
        init = course.run_as(course.instructor, "course", "init", str(course.area),
                             "--group", course.instructors, "--students", course.students_group)
        assert init.returncode == 0, init.stderr
        for who in course.students:
            folder = course.submission(who, "hand9.1", answer=f"print('{who.name}')\n")
            done = course.run_as(who, "handin", "hand9.1", "--path", str(folder))
            assert done.returncode == 0, done.stderr
        yield course
    finally:
        course.close()


def collect(course, out: Path, *args, **kwargs):
    return course.run_as(course.instructor, "collect", "hand9.1", "--out", str(out), *args, **kwargs)


def rows_of(out: Path) -> dict:
    return {r["student"]: r for r in json.loads((out / ".collect.json").read_text())["rows"]}


def honest_collected(course, out: Path) -> None:
    s4 = course.students[3]
    row = rows_of(out)[s4.name]
    assert row["status"] == "collected" and row["problems"] == [] and row["complete"] is True, row
    assert (out / s4.name / "answer.py").read_text() == f"print('{s4.name}')\n"


def attempt(course, who, n=1) -> Path:
    return folder_of(course.area, who.name) / "hand9.1" / f"attempt-{n:03d}"


def one_line_error(done) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# ------------------------------------------------------------------ 1. the course config

PLANT = r"""
import json, os, sys, time
area, stop, mine = sys.argv[1], sys.argv[2], sys.argv[3]
won, tries = [], 0
while not os.path.exists(stop):
    tries += 1
    for how in ("link", "create"):
        try:
            if how == "link":
                os.link(mine, os.path.join(area, "tutor.toml"))
            else:
                with open(os.path.join(area, "tutor.toml"), "x") as h:
                    h.write('handin_dir = "/tmp"\n')
            won.append(how)
        except OSError:
            pass
print(json.dumps({"won": won, "tries": tries}))
"""


def test_planting_the_config_while_init_runs_never_wins(course):
    """Attack 1: a student loops on link()/create of AREA/tutor.toml while `course init`
    makes a new area; init used to open the area first, then merge into her file."""
    s1 = course.students[0]
    area = course.shared / "handin-race"
    planted = s1.home / "evil.toml"
    planted.write_text('max_handin_mb = 7\n')
    os.chown(planted, s1.uid, s1.gid)
    os.chmod(planted, 0o666)
    stop = course.root / "stop-planting"
    script = s1.home / "plant.py"
    script.write_text(PLANT)
    os.chown(script, s1.uid, s1.gid)
    os.chmod(course.shared, 0o755)
    planter = subprocess.Popen(course._as(s1) + [sys.executable, str(script), str(area), str(stop), str(planted)],
                               stdout=subprocess.PIPE, text=True, env=course.env(s1))
    try:
        time.sleep(0.5)
        init = course.run_as(course.instructor, "course", "init", str(area), "--group", course.instructors,
                             "--students", course.students_group, "--config", str(area / "tutor.toml"))
        time.sleep(0.5)
    finally:
        stop.touch()
        result = json.loads(planter.communicate(timeout=60)[0])
    assert init.returncode == 0, init.stderr
    assert result["tries"] > 0 and result["won"] == [], result
    st = os.lstat(area / "tutor.toml")
    assert (st.st_uid, st.st_nlink, stat.S_IMODE(st.st_mode)) == (course.instructor.uid, 1, 0o644), result
    text = (area / "tutor.toml").read_text()
    assert f'handin_dir = "{area}"' in text and "max_handin_mb = 7" not in text


def test_init_refuses_to_merge_into_a_file_it_does_not_own(course):
    """Attack 1: a file planted in an open area (or anywhere init is told to write) is
    refused, not merged into and kept with its mode."""
    s1 = course.students[0]
    target = course.area / "tutor.toml"
    course.py_as(s1, f"import os; fd = os.open({str(target)!r}, os.O_CREAT | os.O_WRONLY, 0o666); "
                     "os.write(fd, b'handin_dir = \"/tmp\"\\n'); os.fchmod(fd, 0o666); print('{}')")
    done = course.run_as(course.instructor, "course", "init", str(course.area), "--group", course.instructors,
                         "--config", str(target))
    assert f"belongs to {s1.name}" in one_line_error(done)
    assert os.stat(target).st_uid == s1.uid and target.read_text() == 'handin_dir = "/tmp"\n'


def test_a_tutor_toml_in_the_area_is_never_read_as_configuration(course):
    """Attack 1, without a race: `./tutor.toml` is looked up first, so an instructor running
    collect from inside the area read a student's file (and its deadline)."""
    s1 = course.students[0]
    planted = course.area / "tutor.toml"
    assert os.stat(planted).st_uid == s1.uid  # planted by the previous test
    course.py_as(s1, f"import os; os.chmod({str(planted)!r}, 0o644); print('{{}}')")
    user_config = course.instructor.home / ".config" / "tutor" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(course.config.read_text())
    for path in (user_config.parent.parent, user_config.parent, user_config):
        os.chown(path, course.instructor.uid, course.instructor.gid)
    done = course.run_as(course.instructor, "collect", "hand9.1", "--out", str(course.instructor.home / "c1"),
                         cwd=course.area, env={"TUTOR_CONFIG": None, "XDG_CONFIG_HOME": None})
    line = one_line_error(done)
    assert f"belongs to {s1.name}" in line and "tutor does not use it" in line
    assert not (course.instructor.home / "c1").exists()
    # Nor is one in a classmate's own folder (not writable by others): found only because the
    # instructor stood there, it is not theirs; naming it with TUTOR_CONFIG is the way to use it.
    project = course.root / "s1-project"
    project.mkdir()
    (project / "tutor.toml").write_text(course.config.read_text())
    for path in (project, project / "tutor.toml"):
        os.chown(path, s1.uid, s1.gid)
    there = course.run_as(course.instructor, "list", cwd=project, env={"TUTOR_CONFIG": None})
    assert "only found in the current folder" in one_line_error(there)
    # A config in a folder anyone may write to is refused to its own reader as well.
    drop = course.root / "drop"
    drop.mkdir(mode=0o777)
    os.chmod(drop, 0o777)
    (drop / "tutor.toml").write_text(course.config.read_text())
    mine = course.run_as(course.students[3], "list", env={"TUTOR_CONFIG": str(drop / "tutor.toml")})
    assert "a folder other users can write to" in one_line_error(mine)


# ------------------------------------------------------------------ 2. the instructor's --out

def test_collect_only_writes_into_a_new_folder_of_its_own(course):
    """Attack 2: a student pre-creates the --out folder (with a default ACL giving her
    everything) or puts a symlink there; collect used to write into it."""
    s1 = course.students[0]
    drop = course.root / "sticky"
    drop.mkdir()
    os.chmod(drop, 0o1777)
    squat, link = drop / "collected", drop / "linked"
    course.py_as(s1, f"import os, subprocess; os.mkdir({str(squat)!r}, 0o777); os.chmod({str(squat)!r}, 0o777); "
                     f"subprocess.run(['setfacl', '-d', '-m', 'u:{s1.name}:rwx', {str(squat)!r}], check=True); "
                     f"os.mkdir({str(s1.home / 'mine')!r}); os.symlink({str(s1.home / 'mine')!r}, {str(link)!r}); print('{{}}')")
    for target in (squat, link):
        assert "already exists" in one_line_error(collect(course, target))
    assert os.listdir(squat) == [] and os.listdir(s1.home / "mine") == []
    # The default ./collected-TASK, run from inside the area, is refused there.
    inside = course.run_as(course.instructor, "collect", "hand9.1", cwd=course.area,
                           env={"TUTOR_CONFIG": str(course.config)})
    assert "inside the hand-in area" in one_line_error(inside)
    # A folder other users can write to (not sticky) is no place for it either.
    open_dir = course.root / "open"
    open_dir.mkdir()
    os.chmod(open_dir, 0o777)
    assert "can be written by other users" in one_line_error(collect(course, open_dir / "out"))
    # In a sticky /tmp-like folder a fresh name is safe: created 0700, the instructor's.
    out = drop / "fresh"
    done = collect(course, out)
    assert done.returncode in (0, 1), done.stderr
    st = os.stat(out)
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (course.instructor.uid, 0o700)
    honest_collected(course, out)


# ------------------------------------------------------------------ 3. numbering

def test_attempt_numbers_cannot_exhaust_memory_or_flood_the_output(course):
    """Attack 3: attempt-99999999999 made the gap report build a range of 10^11 numbers
    (the kernel's OOM killer ended collect); 20,000 empty attempts took seconds and 2.8 MB."""
    s2 = course.students[1]
    task = attempt(course, s2).parent
    course.py_as(s2, f"import os\nt = {str(task)!r}\nos.mkdir(t + '/attempt-99999999999')\n"
                     "for i in range(2, 20002):\n    os.mkdir(f'{t}/attempt-{i:05d}')\nprint('{}')", timeout=300)
    out = course.instructor.home / "numbering"
    done = collect(course, out, limits=("--as=3000000000",))
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert len(done.stdout) + len(done.stderr) < 20_000, len(done.stdout)
    row = rows_of(out)[s2.name]
    assert row["attempts"] == 20_002
    assert any("attempt numbers run up to 99999999999 with 20002 folders" in p for p in row["problems"]), row
    assert any("only the newest 30 were looked at" in p for p in row["problems"])
    assert len(row["problems"]) <= 41
    honest_collected(course, out)


# ------------------------------------------------------------------ 4. bytes

SPARSE_ATTEMPT = r"""
import hashlib, json, os, shutil, sys
src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.mkdir(dst)
for name in os.listdir(src):
    if name != "manifest.json":
        shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
with open(os.path.join(dst, "run.3.out"), "wb") as h:
    h.truncate(size)  # a hole: a few KB on disk
digest = hashlib.sha256()
zero = bytes(1 << 20)
left = size
while left:
    digest.update(zero[:min(left, len(zero))]); left -= min(left, len(zero))
m = json.load(open(os.path.join(src, "manifest.json")))
m["attempt"] = int(dst.rsplit("-", 1)[1])
m["files"].append({"path": "run.3.out", "size": size, "sha256": digest.hexdigest()})
json.dump(m, open(os.path.join(dst, "manifest.json"), "w"))
for name in os.listdir(dst):
    os.chmod(os.path.join(dst, name), 0o440)
os.chmod(dst, 0o550)
print(json.dumps(os.stat(os.path.join(dst, "run.3.out")).st_blocks * 512))
"""


def test_a_sparse_file_with_the_right_sum_is_not_copied_past_the_budget(course):
    """Attack 4: a hand-made attempt with a sparse file (a few KB on disk) and its true
    SHA-256 was copied in full and reported verified; the limits held only in `tutor handin`."""
    s3 = course.students[2]
    script = s3.home / "sparse.py"
    script.write_text(SPARSE_ATTEMPT)
    os.chown(script, s3.uid, s3.gid)
    src = attempt(course, s3)
    dst = src.with_name("attempt-002")
    on_disk = course.py_as(s3, f"import runpy, sys; sys.argv = ['x', {str(src)!r}, {str(dst)!r}, '60000000']; "
                               f"runpy.run_path({str(script)!r}, run_name='__main__')")
    assert on_disk < 100_000
    out = course.instructor.home / "sparse"
    done = collect(course, out)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    row = rows_of(out)[s3.name]
    assert row["attempt"] == 2
    assert any("run.3.out is 60.0 MB, over the course's limit of 10.0 MB per file" in p for p in row["problems"]), row
    assert not (out / s3.name / "run.3.out").exists()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 1_000_000
    honest_collected(course, out)


def test_stock_handin_limits_files_per_pattern_and_bytes_per_attempt(course):
    """Attack 8: one stock `tutor handin` of 12 KB of sparse run.*.out files put ~900 MB in
    the area (no limit per attempt or per pattern)."""
    s3 = course.students[2]
    folder = course.submission(s3, "hand9.2")
    for n in range(1, 4):
        with open(folder / f"run.{n}.out", "wb") as handle:
            handle.truncate(9_000_000)  # each under the 10 MB per file, 27 MB together
    for path in folder.iterdir():
        os.chown(path, s3.uid, s3.gid)
    done = course.run_as(s3, "handin", "hand9.2", "--path", str(folder))
    assert "27.0 MB, over the course's limit of 20 MB per attempt" in one_line_error(done)
    for n in range(1, 25):
        (folder / f"run.{n}.out").write_text("ok\n")
        os.chown(folder / f"run.{n}.out", s3.uid, s3.gid)
    done = course.run_as(s3, "handin", "hand9.2", "--path", str(folder))
    assert done.returncode == 2 and "more than 20 files match" in done.stderr


def test_a_file_growing_while_collect_copies_it_is_cut_off(course, monkeypatch):
    """Attack 4: an honest attempt's file grown while collect read it was copied in full
    (900 MB, flagged CHANGED). Now exactly the manifest's size is read, then it stops."""
    from tutor.handin import reader

    s3 = course.students[2]
    folder = attempt(course, s3)
    grown = folder / "run.1.out"
    before = grown.read_bytes()
    inode = os.stat(grown).st_ino
    calls = []

    def read_then_grow(fd, n):
        if os.fstat(fd).st_ino != inode:
            return os.read(fd, n)
        if not calls:
            os.chmod(grown, 0o640)
            with open(grown, "ab") as handle:
                handle.write(b"x" * 5_000_000)
        calls.append(n)
        return os.read(fd, n)

    monkeypatch.setattr(reader, "_read", read_then_grow)
    copy_to = course.root / "grow-copy"
    copy_to.mkdir()
    task_fd = os.open(folder.parent, reader.OPEN_DIR)
    try:
        view = reader.inspect_attempt(task_fd, 1, folder.name, s3.uid, copy_to=copy_to)
    finally:
        os.close(task_fd)
        os.truncate(grown, len(before))
        os.chmod(grown, 0o440)
    first = next(p for p in view.problems if p.startswith("run.1.out"))
    assert "grew while being read: cut off" in first, view.problems
    assert sum(calls) <= len(before) + 1 and not (copy_to / "run.1.out").exists()


# ------------------------------------------------------------------ 5. crashes

def test_no_manifest_or_tree_crashes_collect(course):
    """Attack 5: a manifest listing a file twice (FileExistsError), a path longer than
    PATH_MAX or a tree 1,200 folders deep (RecursionError) stopped collect for everyone."""
    s1 = course.students[0]
    src = attempt(course, s1)
    code = f"""
import json, os
src = {str(src)!r}
task = os.path.dirname(src)
m = json.load(open(src + '/manifest.json'))
# attempt 3: every file listed twice
os.mkdir(task + '/attempt-003')
for name in os.listdir(src):
    if name != 'manifest.json':
        open(task + '/attempt-003/' + name, 'wb').write(open(src + '/' + name, 'rb').read())
twice = dict(m, attempt=3, files=m['files'] + m['files'])
json.dump(twice, open(task + '/attempt-003/manifest.json', 'w'))
# attempt 4: a manifest path longer than PATH_MAX, and a tree 1,200 folders deep
os.mkdir(task + '/attempt-004')
long = dict(m, attempt=4, files=m['files'] + [dict(m['files'][0], path='/'.join(['d' * 200] * 30))])
json.dump(long, open(task + '/attempt-004/manifest.json', 'w'))
fd = os.open(task + '/attempt-004', os.O_RDONLY)
for _ in range(1200):
    os.mkdir('dddddddd', dir_fd=fd)
    nxt = os.open('dddddddd', os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nxt
os.close(fd)
# attempt 2: a tree 1,200 deep under a manifest that is fine
os.mkdir(task + '/attempt-002')
for name in os.listdir(src):
    open(task + '/attempt-002/' + name, 'wb').write(open(src + '/' + name, 'rb').read())
m4 = dict(m, attempt=2)
json.dump(m4, open(task + '/attempt-002/manifest.json', 'w'))
fd = os.open(task + '/attempt-002', os.O_RDONLY)
for _ in range(1200):
    os.mkdir('e' * 100, dir_fd=fd)
    nxt = os.open('e' * 100, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nxt
os.close(fd)
print('{{}}')
"""
    course.py_as(s1, code, timeout=300)
    out = course.instructor.home / "crashes"
    done = collect(course, out)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
    row = rows_of(out)[s1.name]
    problems = " | ".join(row["problems"])
    assert row["attempt"] == 2, problems  # the newest readable attempt, its extra tree flagged
    assert "nested more than 32 deep" in problems
    assert "attempt 4: manifest.json is unreadable" in problems and "too long" in problems
    assert "attempt 3: manifest.json is unreadable" in problems and "listed twice" in problems
    honest_collected(course, out)  # the students after the attacker are still collected


# ------------------------------------------------------------------ 6. the terminal

STYLED = "[bold red]x[link=mailto:evil@example.org]click"  # no "/": a file name cannot hold one


def test_names_are_printed_as_data_never_markup_or_terminal_control(course):
    """Attack 6: a file named `a[/b]` crashed the listing (MarkupError); ESC sequences in
    names erased the attacker's CHANGED row and repainted a classmate's."""
    s3 = course.students[2]
    folder = attempt(course, s3, 2)  # the newest, so collect reads it
    evil = "\x1b[2K\x1b[1A\x1b[2K" + "s4  attempt 1  LATE CHANGED"
    course.py_as(s3, f"import os; d = {str(folder)!r}; os.chmod(d, 0o750); os.mkdir(d + '/a['); "
                     f"open(d + '/a[/b]', 'w').close(); open(d + '/' + {evil!r}, 'w').close(); "
                     f"open(d + '/' + {STYLED!r}, 'w').close(); "
                     "os.chmod(d, 0o550); print('{}')")
    out = course.instructor.home / "names"
    done = collect(course, out, "--max-gb", "1")
    assert done.returncode == 1 and "Traceback" not in done.stderr and "MarkupError" not in done.stderr
    assert "\x1b" not in done.stdout and "\x1b" not in done.stderr
    assert "a[/b] was added after hand-in" in done.stdout
    assert f"{STYLED} was added after hand-in" in done.stdout  # shown as typed, not styled or a link
    assert "\\x1b[2K\\x1b[1A" in done.stdout
    mine = course.run_as(s3, "handin", "--list")
    assert mine.returncode == 0 and "\x1b" not in mine.stdout and "a[/b]" in mine.stdout


# ------------------------------------------------------------------ 7. claims

FAKE_CHECK = """
import json
from pathlib import Path
from tutor.context import load_context
from tutor.handin import student
from tutor.handin.attempt import choose_files
from tutor.handin.manifest import CheckSummary
ctx = load_context()
task = ctx.task("hand9.1")
sub = Path({sub!r})
chosen = choose_files(task.spec, sub, 10_000_000)
student.select = lambda *args: chosen  # no missing-files refusal
made_up = CheckSummary(ran=True, status="passed", score=1.0, points=1, max_points=1)
done = student.hand_in(task, sub, ctx.config, anyway=False, check=made_up)
print(json.dumps(done.written.number))
"""


def test_a_made_up_check_and_missing_files_are_not_believed(course):
    """Attack 7: calling tutor's own hand_in() with a made-up passing check gave an attempt
    without a required file that collect showed as "check passed, verified"."""
    s2 = course.students[1]
    sub = course.submission(s2, "hand9.1-fake")
    (sub / "NOTES.md").unlink()
    (sub / "answer.py").write_text("")  # the required check would fail on it
    # the numbering attack above left 20,001 junk folders in s2's task folder; clear them
    task = attempt(course, s2).parent
    course.py_as(s2, f"import os\nt = {str(task)!r}\nfor n in os.listdir(t):\n"
                     "    if n.startswith('attempt-') and n != 'attempt-001':\n"
                     "        os.rmdir(os.path.join(t, n))\nprint('{}')", timeout=300)
    number = course.py_as(s2, FAKE_CHECK.format(sub=str(sub)))
    assert number == 2
    out = course.instructor.home / "claims"
    done = collect(course, out)
    assert done.returncode == 1, done.stderr
    row = rows_of(out)[s2.name]
    assert row["complete"] is False and row["missing"] == ["NOTES.md"], row
    assert row["claimed_check"] == "passed"  # reported as the student's claim, nothing more
    line = next(line for line in done.stdout.splitlines() if line.startswith(s2.name))
    assert "INCOMPLETE: missing NOTES.md" in line and "student's check: passed" in line
    honest_collected(course, out)


def test_undeclared_files_in_a_manifest_are_not_collected(course):
    """A hand-made manifest may list anything: only the task's declared files are copied."""
    s3 = course.students[2]
    src = attempt(course, s3)
    code = f"""
import hashlib, json, os
src = {str(src)!r}
dst = os.path.join(os.path.dirname(src), 'attempt-003')
os.mkdir(dst)
for name in os.listdir(src):
    if name not in ('manifest.json',) and not name.startswith(('a[', '\\x1b')):
        open(dst + '/' + name, 'wb').write(open(src + '/' + name, 'rb').read())
m = json.load(open(src + '/manifest.json'))
body = b'import os; os.system("id")\\n'
open(dst + '/conftest.py', 'wb').write(body)
m['attempt'] = 3
m['files'].append(dict(path='conftest.py', size=len(body), sha256=hashlib.sha256(body).hexdigest()))
json.dump(m, open(dst + '/manifest.json', 'w'))
print('{{}}')
"""
    course.py_as(s3, code)
    out = course.instructor.home / "undeclared"
    collect(course, out)
    row = rows_of(out)[s3.name]
    assert row["attempt"] == 3 and not (out / s3.name / "conftest.py").exists()
    assert any("conftest.py is not one of the task's declared files" in p for p in row["problems"]), row
