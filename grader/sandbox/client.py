"""The trusted parent's handle on the fork server: start it, send jobs, restart it if a job
took it down. The parent itself never imports TensorFlow."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

from grader.sandbox import isolation
from grader.sandbox.policy import Policy, scrubbed_env
from grader.sandbox.protocol import Job, JobKind, Ready, Reply

PACKAGE_ROOT = isolation.PACKAGE_ROOT
START_TIMEOUT = 180.0
# Folders of every job: sub/ (the submission copy), home/, in/, out/, and its own tmp/, shm/
# and keras/ (KERAS_HOME: fresh copies of the task's weights, so no job can spoil the next's).
JOB_FOLDERS = ("home", "in", "out", "tmp", "shm", "keras/models", "keras/datasets")


class SandboxError(Exception):
    """The sandbox machinery itself could not run (not the submission's fault)."""


def _kill_tree(pid: int) -> None:
    """The server's whole tree: the process group first (the wrapper that removes the base
    folder when the server ends must not do so while we restart it), then every descendant."""
    import psutil

    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        procs = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for child in procs:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=3)


class ForkServer:
    """One long-lived server process; jobs run one at a time, each in a fresh forked child."""

    def __init__(self, keras_home: Optional[Path] = None, threads: int = 2, base: Optional[Path] = None) -> None:
        self.threads = threads
        self.level: isolation.Level = isolation.available()
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix="tutor-sandbox-"))
        os.chmod(self.base, 0o700)
        # Weights every job gets a fresh copy of in its own KERAS_HOME: the files in
        # keras_home/models, and `weights` (file name -> the course's staged file).
        self.keras_home = Path(keras_home) if keras_home else self.base / "keras"
        for sub in ("models", "datasets"):
            (self.keras_home / sub).mkdir(parents=True, exist_ok=True)
        self.weights: dict[str, Path] = {}
        self.proc: Optional[subprocess.Popen] = None
        self.ready: Optional[Ready] = None
        self._buffer = b""
        self._next_id = 0
        self.starts = 0

    # -- lifecycle -----------------------------------------------------------------
    def spawn(self) -> None:
        """Start the server process without waiting: it imports TensorFlow while we go on."""
        if self.proc is not None and self.proc.poll() is None:
            return
        home = self.base / "server-home"
        home.mkdir(parents=True, exist_ok=True)
        extra = {"PYTHONPATH": str(PACKAGE_ROOT), "TUTOR_SANDBOX_LEVEL": self.level}
        if self._own_base:  # the server removes it if we die without closing
            extra["TUTOR_SANDBOX_BASE"] = str(self.base)
        env = scrubbed_env(str(home), str(home / "keras"), self.threads, extra)
        command = [sys.executable, "-m", "grader.sandbox.server"]
        if self.level == "namespaces":
            command = isolation.bwrap_command(self.base) + command
            if self._own_base:  # inside, the server cannot remove the folder it is mounted on
                command = ["/bin/sh", "-c", '"$@"; code=$?; rm -rf -- "$TUTOR_SANDBOX_BASE"; exit $code', "sh", *command]
        log = open(self.base / "server.log", "ab")
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=str(self.base),
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"could not start the sandbox ({exc.strerror})") from None
        finally:
            log.close()
        self._buffer = b""
        self.ready = None
        self.starts += 1

    def start(self) -> Ready:
        """Spawn the server if needed and wait until TensorFlow is imported."""
        self.spawn()
        line = self._read_line(START_TIMEOUT)
        if line is None:
            self.stop()
            raise SandboxError(
                f"the sandbox could not start TensorFlow ({self.log_tail() or 'no output'}); "
                "install it with pip install 'tutor[tf]', or run where the course's environment is loaded"
            )
        try:
            self.ready = Ready.model_validate_json(line)
        except ValueError:
            self.stop()
            raise SandboxError("the sandbox sent an unreadable start message") from None
        return self.ready

    def ensure(self) -> Ready:
        alive = self.proc is not None and self.proc.poll() is None
        if alive and self.ready is not None:
            return self.ready
        if not alive:
            self.proc = None
        return self.start()

    def log_tail(self, lines: int = 1) -> str:
        try:
            text = (self.base / "server.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        useful = [line for line in text if line.strip() and not line.startswith(("WARNING: All log", "I0000"))]
        return " | ".join(useful[-lines:])

    def stop(self) -> None:
        """Stop the server and every job below it (jobs run in process groups of their own)."""
        proc, self.proc, self.ready = self.proc, None, None
        if proc is None:
            return
        # Killed before its stdin closes: on EOF alone the server would remove our folder,
        # which is only right when we are gone. Nothing to flush, no TensorFlow shutdown to wait for.
        _kill_tree(proc.pid)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- jobs ----------------------------------------------------------------------
    def new_workdir(self, label: str, with_sub: bool = True) -> Path:
        """A private folder for one job (JOB_FOLDERS, and sub/ unless the caller copies the
        submission there), with fresh copies of the weights in its keras/models."""
        path = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=self.base))
        for name in JOB_FOLDERS + (("sub",) if with_sub else ()):
            (path / name).mkdir(parents=True)
        models = path / "keras" / "models"
        staged = {p.name: p for p in (self.keras_home / "models").iterdir() if p.is_file() and not p.is_symlink()}
        for name, source in {**staged, **self.weights}.items():
            shutil.copyfile(source, models / name)
        return path

    def run(
        self,
        kind: JobKind,
        workdir: Path,
        policy: Policy,
        args: Optional[dict[str, Any]] = None,
        poll: Optional[Callable[[], None]] = None,
    ) -> Reply:
        self.ensure()
        self._next_id += 1
        job = Job(id=self._next_id, kind=kind, workdir=str(workdir), policy=policy, args=args or {})
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(job.model_dump_json().encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.stop()
            return Reply(id=job.id, ok=False, failure="server", reason="the sandbox stopped unexpectedly")
        line = self._read_line(policy.wall_s + 30, poll)
        if line is None:
            tail = self.log_tail()
            self.stop()
            reason = "the sandbox stopped unexpectedly" + (f" ({tail})" if tail else "")
            return Reply(id=job.id, ok=False, failure="server", reason=reason)
        try:
            reply = Reply.model_validate_json(line)
        except ValueError:
            self.stop()
            return Reply(id=job.id, ok=False, failure="server", reason="the sandbox sent an unreadable reply")
        return reply

    def _read_line(self, timeout: float, poll: Optional[Callable[[], None]] = None) -> Optional[bytes]:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], min(0.5, remaining))
            if poll is not None:
                poll()
            if ready:
                data = os.read(fd, 1 << 16)
                if not data:
                    return None
                self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line
