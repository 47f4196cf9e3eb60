"""What a forked child does around one job.

The child the server forks (J, PID 1 of the job's own PID namespace at level `namespaces`)
sets up the job's isolation (`grader.sandbox.jail`). Jobs that run student code (build,
train) then run in a process of their own (S) that never holds the result pipe: J reads what
S hands back through a pipe of S's own and alone writes the server's result pipe (so student
code cannot write a result there, nor say how it ended). Evaluate and probe jobs run our code
only, in J itself. Whatever a job sends is untrusted and validated by the caller; the facts
about isolation come from the server, never from the job.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from grader.sandbox.policy import apply_limits, thread_env
from grader.sandbox.protocol import Job, JobFailure
from grader.sandbox.whereabouts import arm as arm_whereabouts

RESULT_BYTES = 32 * 1024 * 1024


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

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _close_other_fds(keep: set[int]) -> None:
    """Nothing of the server's (protocol pipes, logs) reaches the job."""
    top = 0
    for name in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        if name.isdigit():
            top = max(top, int(name))
    for fd in range(3, max(top + 1, 256)):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _set_dumpable(on: bool) -> None:
    """prctl(PR_SET_DUMPABLE): off, same-uid processes without CAP_SYS_PTRACE cannot ptrace us."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 1 if on else 0, 0, 0, 0)


def run_job(job: Job, workdir: Path, job_w: int, level: str) -> None:
    """J: limits, environment, the job itself; its message to C on `job_w`. Never returns."""
    code = 0
    try:
        try:
            os.setsid()  # its own session and process group: kill(0, ...) reaches the job only
        except OSError:
            pass  # already a group leader
        for name in [k for k in os.environ if k.startswith("TUTOR_")]:
            del os.environ[name]
        if level == "landlock":
            from grader.sandbox.isolation import readable_paths
            from grader.sandbox.landlock import restrict

            restrict(workdir, readable_paths())
        apply_limits(job.policy)
        if os.getpid() == 1:  # PID 1 ignores SIGXCPU: let the kernel's SIGKILL end it at the limit
            import resource

            resource.setrlimit(resource.RLIMIT_CPU, (job.policy.cpu_limit, job.policy.cpu_limit))
        os.environ.update(thread_env(job.policy.threads))  # read by TensorFlow at its first op, here
        home = workdir / "home"
        os.environ["HOME"] = str(home)
        os.environ["TMPDIR"] = str(workdir / "tmp")
        os.environ["KERAS_HOME"] = str(workdir / "keras")
        keras_config = sys.modules.get("keras.src.backend.config")
        if keras_config is not None:  # Keras read KERAS_HOME when the server imported it
            keras_config._KERAS_DIR = str(workdir / "keras")
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
        sys.stdout.flush()
        sys.stderr.flush()
        _write_all(job_w, json.dumps(message).encode())
    except BaseException as exc:  # our own bug: say so in one line, never hang
        try:
            import traceback

            where = traceback.extract_tb(exc.__traceback__)[-1]
            text = f"internal sandbox error: {type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
            _write_all(job_w, json.dumps({"ok": False, "reason": text[:500], "failure": "crash"}).encode())
        except BaseException:
            code = 70
    finally:
        os._exit(code)


STUDENT_JOBS = ("build", "train")  # jobs that run student code: in a process of their own


def _collect(pid: int, fd: int) -> tuple[bytes, bool, int]:
    """What the job process sends until it ends (orphans it left holding the pipe do not keep
    us waiting), and its wait status; reaps every other child meanwhile (we may be PID 1)."""
    import select

    data = bytearray()
    status: int | None = None
    pipe_open = True
    while pipe_open and len(data) <= RESULT_BYTES:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            chunk = os.read(fd, 1 << 16)
            pipe_open = bool(chunk)
            data += chunk
        elif status is not None:
            break  # the job is over and sent everything
        while status is None:
            try:
                done, wait_status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if done == 0:
                break
            if done == pid:
                status = wait_status
    if status is None:
        _, status = os.waitpid(pid, 0)
    return bytes(data), len(data) > RESULT_BYTES, status


def _relay(raw: bytes, oversized: bool, status: int) -> dict[str, Any]:
    """The job's message reduced to the fields a job may set; how it ended if it sent none."""
    if oversized:
        return {"ok": False, "failure": "crash", "reason": "sent an oversized result"}
    if not raw:
        if os.WIFSIGNALED(status):
            return {"ok": False, "ended": {"signal": os.WTERMSIG(status)}}
        return {"ok": False, "ended": {"exit_code": os.WEXITSTATUS(status)}}
    try:
        message = json.loads(raw)
        if not isinstance(message, dict):
            raise ValueError("not an object")
    except ValueError:
        return {"ok": False, "failure": "crash", "reason": "sent an unreadable result"}
    return {k: message[k] for k in ("ok", "result", "reason", "failure") if k in message}


def main(job: Job, capture_fd: int, result_fd: int, level: str) -> None:
    """J, the job's first process (PID 1 of its own namespace at level `namespaces`).
    Never returns: ends with os._exit."""
    code = 0
    try:
        if os.getpid() != 1:
            os.setpgid(0, 0)
        _die_with_parent()
        _close_other_fds({capture_fd, result_fd})
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(capture_fd, 1)
        os.dup2(capture_fd, 2)
        os.close(capture_fd)
        workdir = Path(job.workdir)
        if level == "namespaces":
            from grader.sandbox import jail

            jail.enter(workdir, network=job.policy.network)
            workdir = jail.JOB_ROOT
        if job.kind not in STUDENT_JOBS:  # our code only: no process between it and the pipe
            run_job(job, workdir, result_fd, level)
        job_r, job_w = os.pipe()
        # This process relays the job's message onto the result pipe: the job (student code, same
        # uid, capabilities in the job's user namespace) must not ptrace it. Non-dumpable, it
        # needs CAP_SYS_PTRACE where its memory was made, outside the job. Set before the fork
        # so there is no window; the job takes the usual flag back.
        _set_dumpable(False)
        pid = os.fork()
        if pid == 0:
            _set_dumpable(True)
            os.close(result_fd)
            os.close(job_r)
            run_job(job, workdir, job_w, level)
        os.close(job_w)
        from grader.sandbox.whereabouts import DUMP_SIGNAL

        # the server asks for the job's stack (a timeout, a flood): the job is S, not us
        signal.signal(DUMP_SIGNAL, lambda *_: os.kill(pid, DUMP_SIGNAL))
        raw, oversized, status = _collect(pid, job_r)
        _write_all(result_fd, json.dumps(_relay(raw, oversized, status)).encode())
    except BaseException as exc:  # our own bug, or a machine that refused the isolation
        try:
            text = f"internal sandbox error: {type(exc).__name__}: {exc}"
            _write_all(result_fd, json.dumps({"ok": False, "reason": text[:500], "failure": "server"}).encode())
        except BaseException:
            code = 70
    finally:
        os._exit(code)
