"""Issue #13: a hostile student against the sandbox, through the real `tutor` CLI.

Each attack below worked on the code before #13 (the issue lists what it did); each test
fails there. Attacks 6 and 8 (LMS file names, spreadsheet formulas) are issue #17's tests.
In CI the machine must give the full isolation level (bubblewrap and user namespaces);
the weaker levels are forced with TUTOR_SANDBOX_ISOLATION and must say so plainly."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO, SHARED_DATA, require_tool, run_tutor
from tests.hostile_support import (
    BATCH_KILLER,
    DISK_FILLER,
    FORGER,
    NESTED_CONVS,
    TMUX_ESCAPE,
    WEIGHTS_DELETER,
    WEIGHTS_POISONER,
    external_weights,
    inspector,
    memoriser,
    raise_report,
    submission,
)

SOLUTION_85 = REPO / "solutions" / "task8.5"


@pytest.fixture(scope="module", autouse=True)
def full_isolation():
    """The full level wherever the machine allows it, and always in CI."""
    require_tool("bwrap")
    from grader.sandbox.isolation import available

    level = available()
    if level != "namespaces":
        message = f"this machine isolates at level {level!r}, not 'namespaces' (user namespaces off?)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def reason_of(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-2000:]
    return result.stderr.strip()


def escaped(result: subprocess.CompletedProcess) -> str:
    text = reason_of(result)
    assert "ESCAPED:" in text, text
    return text.split("ESCAPED:", 1)[1].split()[0].rstrip(".;,)")


def gradebook(out: Path) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open())}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -------------------------------------------------------------------------- 1. unix sockets


def test_1_a_tmux_server_of_the_same_user_is_out_of_reach(tmp_path):
    """build_model() asks the instructor's tmux server to run a shell command."""
    require_tool("tmux")
    folder_of_socket = Path("/tmp") / f"tutor-test-tmux-{uuid.uuid4().hex[:8]}"
    folder_of_socket.mkdir()
    sock = folder_of_socket / "default"
    marker = tmp_path / "tmux-ran-this"
    subprocess.run(["tmux", "-S", str(sock), "new-session", "-d", "-s", "victim", "sleep 600"], check=True)
    try:
        assert subprocess.run(["tmux", "-S", str(sock), "run-shell", "true"]).returncode == 0  # it works from outside
        code = TMUX_ESCAPE.format(socket=str(sock), marker=str(marker)) + raise_report()
        result = run_tutor("check", "task8.1", "--path", str(submission(tmp_path, "s", code)))
        assert result.returncode == 1
        assert escaped(result) == "-"
        assert not marker.exists()
    finally:
        subprocess.run(["tmux", "-S", str(sock), "kill-server"], capture_output=True)
        shutil.rmtree(folder_of_socket, ignore_errors=True)


# ------------------------------------------------- 2, 3 and the rest: one student tries everything


@pytest.fixture
def targets(tmp_path):
    """Things a hostile job must not reach: a same-uid process, files, sockets, a TCP port."""
    canary = subprocess.Popen(["sleep", "600"], env={**os.environ, "TUTOR_CANARY_SECRET": "x"})
    secret = tmp_path / "instructor-secret.txt"
    secret.write_text("grading key\n")
    classmate = tmp_path / "class" / "bob"
    classmate.mkdir(parents=True)
    (classmate / "NOTES.md").write_text("bob's notes\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".ssh").mkdir()
    shm = Path("/dev/shm") / f"tutor-test-{uuid.uuid4().hex[:8]}"
    shm.write_text("left in shared memory\n")
    unix_path = tmp_path / "agent.sock"
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(str(unix_path))
    unix.listen(4)
    abstract_name = f"tutor-test-{uuid.uuid4().hex[:8]}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + abstract_name)
    abstract.listen(4)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    found = {"canary": canary.pid, "secret": str(secret), "solution": str(REPO / "solutions" / "task8.1" / "model.py"),
             "classmate": str(classmate / "NOTES.md"), "home": str(home), "write": str(tmp_path / "planted.txt"),
             "shm": str(shm), "unix": str(unix_path), "abstract": abstract_name, "tcp": tcp.getsockname()[1]}
    try:
        yield found
    finally:
        for sock in (unix, abstract, tcp):
            sock.close()
        shm.unlink(missing_ok=True)
        canary.kill()
        canary.wait()


def test_2_3_a_job_reaches_no_process_file_socket_or_network_outside_itself(tmp_path, targets):
    """Signals, /proc, ptrace, files of the instructor, a classmate and the solutions, unix
    and abstract sockets, TCP, shared memory, the environment, inherited descriptors."""
    import psutil

    folder = submission(tmp_path, "mallory", inspector(targets))
    result = run_tutor("check", "task8.1", "--path", str(folder), "--json",
                       env={"TUTOR_TEST_SECRET": "do-not-leak"})
    assert result.returncode == 1
    assert escaped(result) == "-", result.stderr
    assert psutil.Process(targets["canary"]).status() != psutil.STATUS_STOPPED
    assert not (tmp_path / "planted.txt").exists()
    meta = json.loads(result.stdout)["meta"]
    assert meta["isolation"].startswith("namespaces") and meta["network"] == "off"


def test_2_a_job_cannot_kill_the_batch(tmp_path):
    """The child walks /proc up to `tutor batch` and sends it SIGKILL."""
    subs = tmp_path / "subs"
    submission(subs, "alice")
    submission(subs, "mallory", BATCH_KILLER + raise_report("[]"))
    out = tmp_path / "out"
    result = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(out), "--workers", "1")
    assert result.returncode in (0, 1), (result.returncode, result.stderr[-2000:])
    rows = gradebook(out)
    assert set(rows) == {"alice", "mallory"}
    assert rows["alice"]["status"] != "error"


def test_3_a_classmates_work_and_the_solutions_never_reach_feedback(tmp_path):
    """The child reads a classmate's folder (named on the batch's command line) and the
    reference solution (on the editable install's sys.path) and returns them as its reason."""
    subs = tmp_path / "subs"
    submission(subs, "alice")
    (subs / "alice" / "NOTES.md").write_text("ALICE-PRIVATE-NOTES\n")
    thief = (
        "import glob, os, sys\nfound = []\n"
        f"for path in glob.glob({str(subs)!r} + '/*/NOTES.md') + [p + '/solutions/task8.1/model.py' for p in sys.path]"
        f" + [{str(REPO / 'solutions' / 'task8.1' / 'model.py')!r}]:\n"
        "    try:\n        found.append(open(path).read()[:60].replace('\\n', ' '))\n    except OSError:\n        pass\n"
        "def build_model():\n    raise RuntimeError('FOUND:' + ('|'.join(found) or '-'))\n"
    )
    submission(subs, "mallory", thief)
    out = tmp_path / "out"
    result = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(out), "--workers", "1")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    feedback = (out / "feedback" / "mallory.txt").read_text()
    assert "FOUND:-" in feedback, feedback
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "ALICE-PRIVATE-NOTES" not in text and "def build_model" not in text, path


# ------------------------------------------------------------------ 4, 5. the staged weights


@pytest.fixture
def staged_weights(tmp_path):
    from tests.weights_support import build_weights, stage_in_keras_home

    link = stage_in_keras_home(build_weights(tmp_path / "course-weights"))
    return link.resolve()


def test_4_5_no_job_can_delete_or_poison_the_weights_of_the_next(tmp_path, staged_weights):
    """One student replaces KERAS_HOME/models with a link to the course's folder (the parent
    used to delete the course's file through it); another edits the weights in place and
    restores their mtime (the copy was not refreshed). The next student builds fine."""
    before = sha(staged_weights)
    subs = tmp_path / "subs"
    submission(subs, "a-deleter", WEIGHTS_DELETER.format(course_models=str(staged_weights.parent)) + raise_report("[]"))
    submission(subs, "b-poisoner", WEIGHTS_POISONER + raise_report("[]"))
    good = subs / "c-good"
    shutil.copytree(SOLUTION_85, good)
    out = tmp_path / "out"
    result = run_tutor("batch", str(subs), "--task", "task8.5", "--out", str(out), "--workers", "1")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert staged_weights.is_file() and sha(staged_weights) == before
    feedback = (out / "feedback" / "c-good.txt").read_text()
    assert "6 of 8 points" in feedback, feedback  # every structural check; only the training-based ones fail
    # the same student checked again after the attacks still passes its structural checks
    again = run_tutor("check", "task8.5", "--path", str(good))
    assert again.returncode == 0, again.stderr


# ------------------------------------------------------------------------- 7. forged result


def test_7_a_forged_result_does_not_pass_check(tmp_path):
    """Student code writes a complete result into every inherited descriptor and exits."""
    result = run_tutor("check", "task8.1", "--path", str(submission(tmp_path, "s", FORGER)), "--json")
    assert result.returncode == 1, result.stdout[-2000:]
    report = json.loads(result.stdout)
    assert report["status"] == "failed" and report["points"] == 0 and report["model"] is None
    assert "could be saved and checked" in reason_of(result)


# --------------------------------------------------------------------------- 9. disk budget


def test_9_a_job_that_fills_the_disk_is_stopped_and_others_are_graded(tmp_path):
    subs = tmp_path / "subs"
    submission(subs, "alice")
    submission(subs, "mallory", DISK_FILLER + raise_report("[]"))
    out = tmp_path / "out"
    result = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(out), "--workers", "1",
                       env={"TUTOR_SANDBOX_DISK_MB": "64"})
    assert result.returncode in (0, 1), result.stderr[-2000:]
    rows = gradebook(out)
    feedback = (out / "feedback" / "mallory.txt").read_text()
    assert "64 MiB disk budget" in feedback, feedback
    assert rows["alice"]["status"] != "error"
    alice = (out / "feedback" / "alice.txt").read_text()
    assert "model-builds" not in alice or "disk" not in alice


def test_9_the_budget_reason_is_one_line_in_check(tmp_path):
    result = run_tutor("check", "task8.1", "--path", str(submission(tmp_path, "s", DISK_FILLER + raise_report("[]"))),
                       env={"TUTOR_SANDBOX_DISK_MB": "64"})
    assert result.returncode == 1
    assert "wrote more than its 64 MiB disk budget" in reason_of(result) or "64 MiB disk budget" in reason_of(result)
    assert result.stderr.count("\n") == 1


# ---------------------------------------------------------------------- 10. fingerprints


def test_10_the_fingerprint_helper_follows_no_external_storage(tmp_path):
    """Two artifacts whose weights are an HDF5 external dataset on the same instructor file
    used to be flagged as 'same trained weights' (an oracle on that file)."""
    secret = tmp_path / "instructor-key.bin"
    secret.write_bytes(os.urandom(64))
    subs = tmp_path / "subs"
    for name in ("mallory", "trudy"):
        folder = submission(subs, name)
        external_weights(secret, folder / "model.keras")
    out = tmp_path / "out"
    result = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(out), "--workers", "1")
    assert result.returncode in (0, 1), result.stderr[-2000:]
    integrity = json.loads((out / "integrity.json").read_text())
    assert not [g for g in integrity["groups"] if g["kind"] == "weights"], integrity
    notes = json.dumps(integrity)
    assert "external or virtual dataset" in notes or "links" in notes or "not_fingerprinted" in notes


# ------------------------------------------------------------------ 11. memorised test split


def test_11_a_lookup_table_of_the_public_test_split_fails_accuracy(tmp_path):
    folder = tmp_path / "s"  # the artifact alone (no model.py to compare it with)
    folder.mkdir()
    memoriser(SHARED_DATA / "mnist.npz", folder / "model.keras")
    result = run_tutor("grade", "task8.1", "--path", str(folder), "--json")
    report = json.loads(result.stdout)
    assert report["accuracy"] > 0.999  # it does know the public images
    accuracy = next(c for c in report["checks"] if c["id"] == "accuracy")
    assert accuracy["status"] == "failed"
    assert "shifted by one pixel" in accuracy["message"] and "public test images" in accuracy["message"]
    probe = report["meta"]["shift_probe"]
    assert probe["accuracy"] > 0.999 and probe["accuracy"] - probe["shifted_accuracy"] > 0.03


# ------------------------------------------------------------------------ 12. nested models


def test_12_convolutions_in_a_nested_model_are_counted(tmp_path):
    result = run_tutor("check", "task7.3", "--path", str(submission(tmp_path, "s", NESTED_CONVS)), "--json")
    report = json.loads(result.stdout)
    rows = {c["id"]: c for c in report["checks"]}
    counted = [c for c in report["checks"] if c["kind"] == "layer_count" and "Conv2D" in c["message"]]
    assert counted and counted[0]["status"] == "failed", rows
    assert "2 Conv2D" in counted[0]["message"]
    assert result.returncode == 1


# --------------------------------------------------------------------- the weaker levels


@pytest.mark.parametrize("level", ["landlock", "none"])
def test_weaker_levels_are_named_in_doctor_report_and_batch(tmp_path, level):
    from grader.sandbox.landlock import abi_version

    if level == "landlock" and abi_version() < 6:
        (pytest.fail if IN_CI else pytest.skip)("this kernel has no Landlock ABI 6")
    env = {"TUTOR_SANDBOX_ISOLATION": level}
    doctor = json.loads(run_tutor("doctor", "--no-tf", "--json", env=env).stdout)
    line = next(f for f in doctor if f["area"] == "sandbox")
    assert line["level"] == "warn" and line["message"].startswith(f"isolation {level}:")
    assert "TUTOR_SANDBOX_ISOLATION" in line["message"]
    check = run_tutor("check", "task8.1", "--path", str(submission(tmp_path, "s")), "--json", env=env)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["meta"]["isolation"].startswith(f"{level}:")
    subs = tmp_path / "subs"
    submission(subs, "alice")
    batch = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(tmp_path / "out"), env=env)
    assert f"warning: student code will run with isolation {level}:" in batch.stderr
    assert batch.stderr.index("warning") < len(batch.stderr)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["isolation"].startswith(f"{level}:")
    assert f"isolation {level}:" in batch.stdout


def test_landlock_level_still_contains_signals_and_files(tmp_path, targets):
    from grader.sandbox.landlock import abi_version

    if abi_version() < 6:
        (pytest.fail if IN_CI else pytest.skip)("this kernel has no Landlock ABI 6")
    folder = submission(tmp_path, "mallory", inspector(targets))
    result = run_tutor("check", "task8.1", "--path", str(folder), env={"TUTOR_SANDBOX_ISOLATION": "landlock"})
    got = set(escaped(result).split(","))
    # what Landlock cannot hide (the level's description says so): other processes in /proc,
    # and connect() to a unix socket file
    assert got <= {"proc", "environ", "unix"}, got
    assert {"signal", "kill", "ptrace", "secret", "solution", "classmate", "write", "abstract", "tcp"}.isdisjoint(got)


def test_full_level_is_named_with_no_warning(tmp_path):
    doctor = json.loads(run_tutor("doctor", "--no-tf", "--json").stdout)
    line = next(f for f in doctor if f["area"] == "sandbox")
    assert line["level"] == "ok" and line["message"].startswith("isolation namespaces:")
    subs = tmp_path / "subs"
    submission(subs, "alice")
    batch = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(tmp_path / "out"))
    assert "warning: student code" not in batch.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["isolation"].startswith("namespaces:")


def test_a_killed_job_leaves_no_sandbox_folder_and_time_limits_hold(tmp_path):
    """PID 1 of a job ignores signals it does not handle: the CPU limit must still end it."""
    code = "def build_model():\n    while True:\n        pass\n"
    start = time.monotonic()
    result = run_tutor("check", "task8.1", "--path", str(submission(tmp_path, "s", code)),
                       env={"TUTOR_SANDBOX_TIMEOUT": "4"})
    assert result.returncode == 1
    assert "time limit" in reason_of(result) or "CPU time" in reason_of(result)
    assert time.monotonic() - start < 300
