"""Writing attempts: what is refused and why, atomicity under failures and kills, a real full
disk, deadlines with zones, and lateness taken from the filesystem rather than a clock."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO, run_tutor
from tests.handin_env import folder_of, write_pack, write_submission
from tutor.config import load_config_file
from tutor.errors import UserError


@pytest.fixture
def course(isolated_home, tmp_path):
    """A course as root (group root): config with the test pack, area under tmp_path."""
    pack = write_pack(tmp_path / "course")
    config = Path(os.environ["TUTOR_CONFIG"])
    config.write_text(f'exercise_dirs = ["{pack}"]\n')
    area = tmp_path / "handin"
    done = run_tutor("course", "init", str(area), "--group", "root", "--max-mb", "1")
    assert done.returncode == 0, done.stderr
    return area


def attempts(area: Path, task: str = "hand9.1") -> list[str]:
    folder = folder_of(area, "root") / task
    return sorted(os.listdir(folder)) if folder.exists() else []


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[0]


def test_symlinks_are_refused_with_the_reason(course, tmp_path):
    sub = write_submission(tmp_path / "sub")
    (sub / "answer.py").unlink()
    (sub / "answer.py").symlink_to(sub / "NOTES.md")
    (sub / "run.3.out").symlink_to("/etc/passwd")
    done = run_tutor("handin", "hand9.1", "--path", str(sub), "--anyway")
    assert done.returncode == 2
    assert "nothing was handed in" in one_line(done.stderr)
    assert "answer.py: is a symbolic link" in done.stderr and "run.3.out: is a symbolic link" in done.stderr
    assert attempts(course) == []


def test_files_over_the_course_limit_are_refused(course, tmp_path):
    sub = write_submission(tmp_path / "sub")
    (sub / "run.2.out").write_bytes(b"x" * 1_500_000)
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 2
    assert "run.2.out: 1.5 MB, over the course limit of 1.0 MB" in done.stderr
    assert not [a for a in attempts(course) if a.startswith("attempt-")]


def test_missing_files_and_failing_required_checks_refuse_unless_anyway(course, tmp_path):
    sub = write_submission(tmp_path / "sub")
    (sub / "NOTES.md").unlink()
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 2 and "missing in" in one_line(done.stderr) and "NOTES.md" in done.stderr

    (sub / "NOTES.md").write_text("notes\n")
    (sub / "answer.py").write_text("")  # the required check 'answer-present' fails on it
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 2
    assert "required checks fail" in one_line(done.stderr) and "answer-present" in done.stderr
    assert "--anyway" in done.stderr
    assert not [a for a in attempts(course) if a.startswith("attempt-")]

    done = run_tutor("handin", "hand9.1", "--path", str(sub), "--anyway")
    assert done.returncode == 0, done.stderr
    assert "attempt 1" in done.stdout and "with failing checks (--anyway): answer-present" in done.stdout
    manifest = json.loads((folder_of(course, "root") / "hand9.1" / "attempt-001" / "manifest.json").read_text())
    assert manifest["anyway"] is True
    assert manifest["check"]["failed_required"][0].startswith("answer-present")
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # SHA-256 of b""
    assert {f["path"]: f["sha256"] for f in manifest["files"]}["answer.py"] == empty


def _hand_in_inproc(tmp_path: Path, **submission):
    from exercises.catalog import load_catalog
    from tutor.handin.student import hand_in

    config = load_config_file(Path(os.environ["TUTOR_CONFIG"]))
    task = load_catalog(config.exercise_dirs).get("hand9.1")
    sub = write_submission(tmp_path / "sub", **submission)
    return hand_in(task, sub, config, anyway=False)


@pytest.mark.parametrize("failure", ["ENOSPC", "EDQUOT", "interrupt"])
def test_a_failure_in_the_middle_of_the_copy_leaves_no_half_attempt(course, tmp_path, monkeypatch, failure):
    from tutor.handin import attempt

    calls = []

    def failing_write(fd, data):
        calls.append(len(data))
        if len(calls) == 3:  # two files copied, the third breaks
            if failure == "interrupt":
                raise KeyboardInterrupt
            raise OSError(getattr(errno, failure), os.strerror(getattr(errno, failure)))
        return os.write(fd, data)

    monkeypatch.setattr(attempt, "_write", failing_write)
    expected = KeyboardInterrupt if failure == "interrupt" else UserError
    with pytest.raises(expected) as caught:
        _hand_in_inproc(tmp_path)
    if expected is UserError:
        assert "hand-in area is full" in str(caught.value) and "nothing was handed in" in str(caught.value)
    assert attempts(course) == [".handin.lock"]  # no attempt-001, no .incoming-*
    monkeypatch.setattr(attempt, "_write", os.write)
    result = _hand_in_inproc(tmp_path)
    assert result.written.number == 1


def test_a_real_full_disk_ends_in_one_line_and_leaves_nothing(isolated_home, tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k,mode=0755", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        message = f"cannot mount a tmpfs here: {done.stderr.strip()}"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    try:
        pack = write_pack(tmp_path / "course")
        Path(os.environ["TUTOR_CONFIG"]).write_text(f'exercise_dirs = ["{pack}"]\n')
        area = mount / "handin"
        assert run_tutor("course", "init", str(area), "--group", "root", "--max-mb", "1").returncode == 0
        sub = write_submission(tmp_path / "sub")
        (sub / "run.1.out").write_bytes(os.urandom(600_000))  # under the 1 MB limit, over the disk
        done = run_tutor("handin", "hand9.1", "--path", str(sub))
        assert done.returncode == 2
        assert one_line(done.stderr).startswith("tutor: the hand-in area is full (No space left on device)")
        assert len(done.stderr.strip().splitlines()) == 1
        assert sorted(os.listdir(folder_of(area, "root") / "hand9.1")) == [".handin.lock"]
        assert "No attempts yet" in run_tutor("handin", "--list").stdout
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_sigkill_in_the_middle_of_a_copy_leaves_no_attempt(course, tmp_path):
    config = Path(os.environ["TUTOR_CONFIG"])
    config.write_text(config.read_text().replace("max_handin_mb = 1", "max_handin_mb = 400"))
    sub = write_submission(tmp_path / "sub")
    with open(sub / "run.2.out", "wb") as handle:  # big enough that the copy takes a while
        for _ in range(120):
            handle.write(os.urandom(1 << 20))
    exe = Path(REPO / ".venv" / "bin" / "tutor")
    proc = subprocess.Popen([str(exe if exe.exists() else shutil.which("tutor")), "handin", "hand9.1",
                             "--path", str(sub)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    caught = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        task_dir = folder_of(course, "root") / "hand9.1"  # the folder is named at the first hand-in
        if task_dir.is_dir():
            caught = next((n for n in os.listdir(task_dir) if n.startswith(".incoming-")), None)
            if caught:
                os.kill(proc.pid, signal.SIGKILL)
                break
        time.sleep(0.002)
    proc.wait(timeout=60)
    assert caught, "the hand-in finished before it could be killed mid-copy"
    left = os.listdir(task_dir)
    assert not [n for n in left if n.startswith("attempt-")], left
    assert "No attempts yet" in run_tutor("handin", "--list").stdout
    (sub / "run.2.out").write_text("small again\n")
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 0 and "attempt 1" in done.stdout, done.stderr
    assert sorted(os.listdir(task_dir)) == [".handin.lock", "attempt-001"]  # the leftover is swept


def test_deadlines_need_a_zone_and_are_stored_with_it(course):
    done = run_tutor("course", "init", str(course), "--group", "root", "--deadline", "hand9.1=2026-12-01T23:59")
    assert done.returncode == 2 and "has no time zone" in one_line(done.stderr)
    done = run_tutor("course", "init", str(course), "--group", "root",
                     "--deadline", "hand9.1=2026-07-01 23:59 Europe/Madrid",
                     "--deadline", "HAND9.2=2026-12-01 23:59 Europe/Madrid")
    assert done.returncode == 0, done.stderr
    text = Path(os.environ["TUTOR_CONFIG"]).read_text()
    assert '"hand9.1" = 2026-07-01T23:59:00+02:00' in text  # summer time
    assert '"hand9.2" = 2026-12-01T23:59:00+01:00' in text  # winter time
    assert 'exercise_dirs' in text  # the rest of the config is kept


def test_a_late_hand_in_is_accepted_and_marked(course, tmp_path):
    started = datetime.now(timezone.utc).replace(microsecond=0)
    past = (started - timedelta(hours=3)).isoformat(timespec="seconds")
    assert run_tutor("course", "init", str(course), "--group", "root", "--deadline",
                     f"hand9.1={past}").returncode == 0
    sub = write_submission(tmp_path / "sub")
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 0
    # 3 h plus however long the machine took to get here (no wall-clock bound on the test).
    minutes = int(re.search(r"LATE by 3 h (\d+) min", done.stdout).group(1))
    assert minutes * 60 <= (datetime.now(timezone.utc) - started).total_seconds() + 1
    listing = run_tutor("handin", "--list")
    assert "attempt 1" in listing.stdout and "LATE by 3 h" in listing.stdout and "intact" in listing.stdout
    again = json.loads(run_tutor("handin", "hand9.1", "--path", str(sub), "--json").stdout)
    assert again["attempt"] == 2 and again["late_by_s"] > 3 * 3600 - 60 and len(again["receipt"]) == 12
    rows = json.loads(run_tutor("handin", "--list", "--json").stdout)
    assert [(r["attempt"], r["intact"]) for r in rows] == [(1, True), (2, True)]
    assert rows[1]["receipt"] == again["receipt"] and rows[1]["deadline"].startswith(past[:16])


def test_lateness_comes_from_the_filesystem_not_the_students_clock(course, tmp_path, monkeypatch):
    """A clock set three days back writes an early time into the manifest; the attempt is
    still late, because its time is the folder's ctime, and the mismatch is reported."""
    import tutor.handin.student as student
    from tutor.handin.deadlines import verdict
    from tutor.handin.reader import read_attempts

    real = datetime

    class SlowClock(datetime):
        @classmethod
        def now(cls, tz=None):
            return real.now(tz) - timedelta(days=3)

    monkeypatch.setattr(student, "datetime", SlowClock)
    result = _hand_in_inproc(tmp_path)
    assert result.written.manifest.created_at < real.now(timezone.utc) - timedelta(days=2)
    deadline = real.now(timezone.utc) - timedelta(days=1)
    views, _ = read_attempts(folder_of(course, "root") / "hand9.1", os.geteuid())
    assert verdict(views[0].counted_at, deadline).startswith("LATE by")
    assert any("later than the manifest's time" in p for p in views[0].problems)


def test_handin_without_an_area_says_what_to_do(isolated_home, tmp_path):
    pack = write_pack(tmp_path / "course")
    Path(os.environ["TUTOR_CONFIG"]).write_text(f'exercise_dirs = ["{pack}"]\n')
    sub = write_submission(tmp_path / "sub")
    done = run_tutor("handin", "hand9.1", "--path", str(sub))
    assert done.returncode == 2 and "tutor course init" in one_line(done.stderr)
    done = run_tutor("handin", "task7.1")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_collect_is_not_stalled_by_a_fifo_or_fed_a_grown_file(course, tmp_path):
    """A student who swaps a handed-in file for a FIFO (which would block a plain open) or a
    much bigger file gets a flagged row; collect neither hangs nor copies the impostor."""
    sub = write_submission(tmp_path / "sub")
    assert run_tutor("handin", "hand9.1", "--path", str(sub)).returncode == 0
    attempt = folder_of(course, "root") / "hand9.1" / "attempt-001"
    os.chmod(attempt, 0o750)
    (attempt / "answer.py").unlink()
    os.mkfifo(attempt / "answer.py")
    (attempt / "run.1.out").chmod(0o640)
    (attempt / "run.1.out").write_bytes(b"x" * 3_000_000)
    os.chmod(attempt, 0o550)
    out = tmp_path / "out"
    done = run_tutor("collect", "hand9.1", "--out", str(out), timeout=60)
    assert done.returncode == 1, done.stderr
    row = json.loads((out / ".collect.json").read_text())["rows"][0]
    assert any(p.startswith("attempt 1: answer.py: not a regular file") for p in row["problems"]), row["problems"]
    assert any("run.1.out is 3000000 bytes, not the" in p for p in row["problems"]), row
    assert not (out / "root" / "run.1.out").exists() and not (out / "root" / "answer.py").exists()
    assert (out / "root" / "NOTES.md").read_text() == "What I did and why.\n"


def test_without_a_students_group_the_area_is_creatable_but_never_listable(isolated_home, tmp_path):
    import stat

    done = run_tutor("course", "init", str(tmp_path / "area"), "--group", "root")
    assert done.returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "area").st_mode) == 0o3773  # others: -wx, no r
    assert "no --students group" in done.stderr
    assert (tmp_path / "area" / "tutor.toml").exists() is False  # recorded in the config in force
    assert f'handin_dir = "{tmp_path / "area"}"' in Path(os.environ["TUTOR_CONFIG"]).read_text()
    bad = run_tutor("course", "init", str(tmp_path / "area2"), "--group", "no-such-group-xyz")
    assert bad.returncode == 2 and "no Unix group named 'no-such-group-xyz'" in bad.stderr
