"""The sandbox itself: what a child sees, and that the fork server outlives what children do."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from grader.sandbox import ForkServer, Policy, StagingError, copy_submission
from grader.sandbox.isolation import available
from tests.conftest import IN_CI, run_tutor


def require_full_isolation() -> None:
    """The full level where the machine allows it; in CI it must (skips locally only)."""
    level = available()
    if level != "namespaces":
        message = f"this machine isolates at level {level!r} (bubblewrap or user namespaces missing)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def server():
    os.environ["TUTOR_TEST_SECRET"] = "do-not-leak"
    srv = ForkServer()
    try:
        yield srv
    finally:
        srv.close()
        os.environ.pop("TUTOR_TEST_SECRET", None)


def probe(server: ForkServer, **policy) -> dict:
    workdir = server.new_workdir("probe")
    reply = server.run("probe", workdir, Policy(wall_s=30, **policy))
    assert reply.ok, reply.reason
    return {**reply.result, "workdir": str(workdir), "network_dropped": reply.network_dropped,
            "read_only": reply.read_only}


def test_child_gets_private_home_cwd_group_and_clean_env(server):
    require_full_isolation()
    seen = probe(server)
    assert seen["home"] == "/job/home"  # its own folder, mounted at /job: no path of the host
    assert seen["cwd"] == "/job/sub"
    assert seen["pgid_is_own"] is True
    assert "TUTOR_TEST_SECRET" not in seen["env_keys"]
    assert {"OMP_NUM_THREADS", "KERAS_HOME", "HOME"} <= set(seen["env_keys"])


def test_child_threads_follow_the_policy_and_onednn_kernels_are_on(server):
    assert probe(server, threads=1)["threads"] == "1"
    assert probe(server, threads=3)["threads"] == "3"
    assert server.ensure().onednn is True
    assert probe(server)["onednn"] == "1"


def test_a_site_can_turn_onednn_off(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    srv = ForkServer()
    try:
        assert srv.ensure().onednn is False
        assert probe(srv)["onednn"] == "0"
    finally:
        srv.close()


def test_child_has_no_network_and_a_read_only_world(server):
    require_full_isolation()
    seen = probe(server)
    assert seen["network"] == "unreachable"  # no interface at all: ENETUNREACH
    assert seen["outside"] == "read-only"
    assert seen["network_dropped"] is True and seen["read_only"] is True


def test_the_weakest_level_says_it_keeps_network_and_files(monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_ISOLATION", "none")
    srv = ForkServer()
    try:
        assert srv.ensure().isolation == "none"
        seen = probe(srv)
        assert seen["outside"] == "writable"
        assert seen["network_dropped"] is False and seen["read_only"] is False
    finally:
        srv.close()


def test_network_can_be_left_on_by_policy(server):
    require_full_isolation()
    seen = probe(server, network=True)
    assert seen["network_dropped"] is False and seen["network"] != "unreachable"


def write_model(server: ForkServer, code: str) -> Path:
    workdir = server.new_workdir("build")
    (workdir / "sub" / "model.py").write_text(code)
    return workdir


def test_server_survives_a_crashing_child(server):
    pid = server.ensure().pid
    workdir = write_model(server, "import ctypes\nctypes.string_at(0)\n")  # a real segfault
    reply = server.run("build", workdir, Policy(wall_s=30))
    assert not reply.ok and reply.failure == "crash" and "SIGSEGV" in reply.reason
    assert server.ensure().pid == pid  # the same server, no new TensorFlow import
    assert probe(server)["pgid_is_own"]


def test_cpu_time_limit(server):
    workdir = write_model(server, "while True:\n    pass\n")
    reply = server.run("build", workdir, Policy(wall_s=30, cpu_s=1))
    assert not reply.ok and reply.failure == "cpu"


def test_a_child_cannot_kill_the_server(server):
    """Its parent is outside its PID namespace: there is no PID to send the signal to."""
    require_full_isolation()
    code = ("import os, signal\n"
            "for pid in [os.getppid(), 1, -1] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n")
    starts, pid = server.starts, server.ensure().pid
    reply = server.run("build", write_model(server, code), Policy(wall_s=30))
    assert reply.failure != "server", reply.reason
    assert probe(server)["pgid_is_own"]
    assert server.starts == starts and server.ensure().pid == pid  # the same server, untouched


def test_at_the_weakest_level_a_server_killed_by_a_child_is_restarted(monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_ISOLATION", "none")
    srv = ForkServer()
    try:
        # student code runs below our job process, which runs below the server: at this level
        # nothing stops it from finding the server in /proc and killing it
        code = ("import os, signal\n"
                "server = int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1])\n"
                "os.kill(server, signal.SIGKILL)\n")
        workdir = write_model(srv, code)
        reply = srv.run("build", workdir, Policy(wall_s=30))
        assert not reply.ok and reply.failure == "server"
        starts = srv.starts
        assert probe(srv)["pgid_is_own"]  # restarted on demand
        assert srv.starts == starts + 1
    finally:
        srv.close()


def test_copy_refuses_symlinks_that_leave_the_folder(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    (src / "model.py").write_text("x = 1\n")
    (src / "data.txt").symlink_to(src / "model.py")  # inside: copied as a file
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    copied = copy_submission(src, tmp_path / "copy1")
    assert sorted(copied) == ["data.txt", "model.py"]
    assert not (tmp_path / "copy1" / "data.txt").is_symlink()
    (src / "secrets").symlink_to("/etc")
    with pytest.raises(StagingError, match="outside the submission folder"):
        copy_submission(src, tmp_path / "copy2")


def test_copy_refuses_a_huge_folder(tmp_path):
    src = tmp_path / "sub"
    src.mkdir()
    (src / "model.py").write_text("x = 1\n")
    (src / "dump.bin").write_bytes(b"\0" * 2048)
    with pytest.raises(StagingError, match="keep only your code"):
        copy_submission(src, tmp_path / "copy", max_bytes=1024)


def test_doctor_names_the_isolation_level():
    require_full_isolation()
    result = run_tutor("doctor", "--no-tf", "--json")
    findings = [f for f in json.loads(result.stdout) if f["area"] == "sandbox"]
    assert findings[0]["level"] == "ok", findings
    assert findings[0]["message"].startswith("isolation namespaces: full")
    assert "no network" in findings[0]["message"]
    bare = run_tutor("doctor", "--no-tf", "--json", env={"TUTOR_SANDBOX_ISOLATION": "none"})
    weak = [f for f in json.loads(bare.stdout) if f["area"] == "sandbox"][0]
    assert weak["level"] == "warn" and weak["message"].startswith("isolation none: limits only")
    assert "user namespaces" in weak["fix"]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_stopping_tutor_stops_the_running_job(tmp_path, how):
    """Ctrl-C (or a kill) of `tutor check` leaves no sandboxed job running behind it."""
    import subprocess
    import sys
    import time

    import psutil

    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "model.py").write_text("while True:\n    pass\n")
    exe = Path(sys.executable).with_name("tutor")
    proc = subprocess.Popen([str(exe), "check", "task8.1", "--path", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def job_child():
        for p in psutil.Process(proc.pid).children(recursive=True):
            try:
                if p.cwd().endswith("/sub"):
                    return p.pid
            except psutil.Error:
                continue
        return None

    deadline = time.monotonic() + 120
    child = None
    while child is None and time.monotonic() < deadline:
        time.sleep(0.2)
        child = job_child()
    assert child is not None and psutil.pid_exists(child)
    proc.send_signal(how)
    proc.wait(timeout=30)
    if how == signal.SIGINT:
        assert "Traceback" not in proc.stderr.read()
    gone_by = time.monotonic() + 10
    while time.monotonic() < gone_by:
        try:
            if psutil.Process(child).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the sandboxed job outlived tutor")


def test_the_grading_process_never_imports_tensorflow(tmp_path):
    """The trust boundary: TensorFlow (and so any untrusted artifact) lives only in the sandbox."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import REPO

    folder = tmp_path / "s"
    shutil.copytree(REPO / "solutions" / "task8.1", folder)
    code = (
        "import sys\n"
        "from exercises import load_catalog\n"
        "from grader.api import check\n"
        f"report = check(load_catalog().get('task8.1'), {str(folder)!r})\n"
        "print(report.status, report.model.total_params, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.stdout.split() == ["passed", "62346", "False", "False"], proc.stderr[-2000:]


def test_a_child_cannot_spoil_the_staged_weights_for_the_next_submission(tmp_path):
    """Batch grading: one submission overwrites the sandbox's copy of the ImageNet weights and
    plants a keras.json; the next submission still builds with the staged file."""
    import shutil

    from exercises import load_catalog
    from grader.api import Grader
    from tests.conftest import REPO
    from tests.weights_support import build_weights, stage_in_keras_home

    staged = stage_in_keras_home(build_weights(tmp_path / "weights"))
    task = load_catalog().get("task8.5")
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    (hostile / "model.py").write_text(
        "import glob, os\n"
        "home = os.environ['KERAS_HOME']\n"
        "for path in glob.glob(home + '/models/*'):\n"
        "    open(path, 'wb').write(b'spoiled')\n"
        "open(home + '/keras.json', 'w').write('{\"image_data_format\": \"channels_first\"}')\n"
        "def build_model():\n    return None\n"
    )
    good = tmp_path / "good"
    shutil.copytree(REPO / "solutions" / "task8.5", good)
    with Grader() as grader:
        assert grader.check(task, hostile).status == "failed"
        report = grader.check(task, good)
    assert report.status == "passed", [c.message for c in report.failed_checks()]
    assert staged.resolve().read_bytes()[:8] != b"spoiled"


def test_a_killed_grading_process_leaves_no_sandbox_folder(tmp_path):
    import subprocess
    import sys
    import time

    code = (
        "import sys, time\n"
        "from grader.sandbox import ForkServer\n"
        "server = ForkServer()\n"
        "server.start()\n"
        "print(server.base, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    base = Path(proc.stdout.readline().strip())
    assert base.is_dir()
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 20
    while base.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not base.exists()
