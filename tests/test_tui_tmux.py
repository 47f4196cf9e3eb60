"""The real `tutor` binary in a real terminal (tmux): it starts, shows the course, opens a
task, and quits cleanly with q (exit status 0, terminal modes and main screen restored)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conftest import require_tool

ENV_KEYS = ("TUTOR_HOME", "TUTOR_CACHE_DIR", "TUTOR_WORKSPACE_ROOT", "TUTOR_CONFIG",
            "TUTOR_DATA_DIR", "KERAS_HOME")


class Tmux:
    """A private tmux server (its own socket), so no one else's sessions are touched."""

    def __init__(self) -> None:
        self.base = ["tmux", "-L", f"tutor-test-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]

    def __call__(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True,
                              timeout=30).stdout

    def start(self, command: str, width: int = 80, height: int = 24) -> None:
        for _ in range(5):  # tmux now and then fails to start its server: retry
            started = subprocess.run([*self.base, "new-session", "-d", "-s", "t", "-x",
                                      str(width), "-y", str(height), command],
                                     capture_output=True, text=True, timeout=30)
            if started.returncode == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"tmux did not start: {started.stderr}")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "t", *keys)
        time.sleep(0.4)

    def pane(self) -> str:
        return self("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pane = self.pane()
            if text in pane:
                return pane
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the pane shows:\n{self.pane()}")

    def stop(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=30)


def test_tutor_starts_shows_the_course_and_quits_cleanly(tmp_path):
    require_tool("tmux")
    exe = Path(sys.executable).with_name("tutor")
    env = " ".join(f"{k}={shlex.quote(os.environ[k])}" for k in ENV_KEYS if k in os.environ)
    marks = {name: tmp_path / name for name in ("before", "after", "status")}
    script = (f"stty -g > {marks['before']}; env {env} TERM=xterm-256color {exe}; "
              f"echo $? > {marks['status']}; stty -g > {marks['after']}; echo TUTOR-LEFT; "
              "exec sleep 120")
    tmux = Tmux()
    try:
        tmux.start(f"sh -c {shlex.quote(script)}")
        pane = tmux.wait_for("tasks complete")
        assert "task8.1" in pane and "Improve the basic CNN" in pane
        assert tmux("display", "-p", "-t", "t", "#{alternate_on}").strip() == "1"
        # Keys at a human pace: a focus change lands after the key that caused it.
        tmux.keys("-l", "/")
        tmux.keys("-l", "8.1")
        tmux.wait_for(" 8.1\n")
        tmux.keys("Enter")
        tmux.keys("Enter")
        pane = tmux.wait_for("Instructions")
        assert "two-convolution baseline" in pane  # task 8.1's own screen
        tmux.keys("q")
        pane = tmux.wait_for("TUTOR-LEFT")  # echoed once the status and tty modes are saved
        assert marks["status"].read_text().strip() == "0", pane
        assert marks["after"].read_text() == marks["before"].read_text()  # tty modes restored
        assert tmux("display", "-p", "-t", "t", "#{alternate_on}").strip() == "0"
        assert "tasks complete" not in pane  # back on the main screen, the TUI gone
    finally:
        tmux.stop()


def test_without_a_terminal_tutor_says_so_in_one_line(tutor):
    for args in ((), ("ui",)):
        result = tutor(*args)
        assert result.returncode == 2
        assert result.stderr.strip() == "tutor: the full-screen guide needs a terminal; try: tutor list"
