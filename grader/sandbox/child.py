"""What a forked child does before and after the job: limits, private HOME, no network,
output into the capture pipe, then exactly one result message (or none, if it dies)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from grader.sandbox.netns import isolate
from grader.sandbox.policy import apply_limits, thread_env
from grader.sandbox.protocol import Job, JobFailure
from grader.sandbox.whereabouts import arm as arm_whereabouts


def _dispatch(kind: str) -> Callable[[dict[str, Any], Path], dict[str, Any]]:
    if kind == "build":
        from grader.build import run
    elif kind == "evaluate":
        from grader.evaluator import run
    elif kind == "train":
        from grader.training import run
    else:
        from grader.sandbox.probe import run
    return run


def _die_with_parent() -> None:
    """If the fork server dies (e.g. killed with the CLI), its running job dies too."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def main(job: Job, capture_fd: int, result_fd: int, close_fds: list[int]) -> None:
    """Never returns: ends the child with os._exit."""
    code = 0
    try:
        os.setpgid(0, 0)
        _die_with_parent()
        for fd in close_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(capture_fd, 1)
        os.dup2(capture_fd, 2)
        os.close(capture_fd)
        workdir = Path(job.workdir)
        # Writable: the job's folder, and the staged KERAS_HOME (Keras insists on a writable cache;
        # the parent restores it before every job).
        writable = [workdir] + ([Path(os.environ["KERAS_HOME"])] if os.environ.get("KERAS_HOME") else [])
        dropped, read_only = isolate(writable if job.policy.read_only else None, network=job.policy.network)
        apply_limits(job.policy)
        os.environ.update(thread_env(job.policy.threads))  # read by TensorFlow at its first op, here
        home = workdir / "home"
        os.environ["HOME"] = str(home)
        os.environ["TMPDIR"] = str(home)
        tempfile.tempdir = None
        os.chdir(workdir / "sub")
        if job.kind in ("build", "train"):  # student code runs: its load_data() gets the staged arrays
            from grader.sandbox.datasets_shim import install

            install(job.args.get("datasets"), workdir)
        arm_whereabouts(workdir)  # a timeout or flood can then say which line was running
        run = _dispatch(job.kind)
        try:
            message: dict[str, Any] = {"ok": True, "result": run(job.args, workdir)}
        except JobFailure as failure:
            message = {"ok": False, "reason": str(failure), "failure": "refused"}
        except MemoryError:
            message = {"ok": False, "reason": f"ran out of memory under the sandbox's {job.policy.memory_text()} cap", "failure": "memory"}
        message["network_dropped"] = dropped
        message["read_only"] = read_only
        sys.stdout.flush()
        sys.stderr.flush()
        _write_all(result_fd, json.dumps(message).encode())
    except BaseException as exc:  # our own bug: say so in one line, never hang
        try:
            text = f"internal sandbox error: {type(exc).__name__}: {exc}"
            _write_all(result_fd, json.dumps({"ok": False, "reason": text[:500], "failure": "crash"}).encode())
        except BaseException:
            code = 70
    finally:
        os._exit(code)
