"""The fork server: imports TensorFlow once, never runs a TensorFlow op itself, and forks one
sandboxed child per job (DESIGN.md: a fork after any op deadlocks in the child; a fork of
a process that only imported TensorFlow builds, trains and predicts fine, in ~0.4 s instead
of a ~2.2 s fresh import).

Protocol: one JSON `Job` per line on stdin, one JSON `Reply` per line on the original
stdout. Everything else the server or its children print goes to stderr / capture pipes.
Run as `python -m grader.sandbox.server`.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import time
from typing import Any, BinaryIO, Optional

from grader.sandbox.whereabouts import explain as explain_stop

PR_SET_CHILD_SUBREAPER = 36
TAIL_BYTES = 16 * 1024
RESULT_BYTES = 32 * 1024 * 1024


def _become_subreaper() -> None:
    """Orphans of a job (double forks, setsid) become our children, so we can kill them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _descendants() -> list:
    import psutil

    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


def kill_all_jobs() -> None:
    """SIGKILL every process below the server (job groups, escaped orphans) and reap them."""
    import psutil

    for _ in range(3):
        procs = _descendants()
        if not procs:
            break
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(procs, timeout=2)
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break


MAX_PROCESSES = 128
MAX_FILES = 20000
LEVEL = os.environ.get("TUTOR_SANDBOX_LEVEL", "none")  # set by the client: grader.sandbox.isolation


def FACTS(policy: Any) -> dict[str, Any]:
    """What isolation a job had: said by the server, never by the job."""
    return {"isolation": LEVEL, "network_dropped": LEVEL == "namespaces" and not policy.network,
            "read_only": LEVEL != "none"}


def disk_usage(root: str, limit_files: int = MAX_FILES) -> tuple[int, int]:
    """(bytes allocated, entries) under a job's folder: blocks, so sparse files count as what
    they take; links are not followed. Stops counting past `limit_files` entries."""
    used, entries = 0, 0
    stack = [root]
    while stack and entries <= limit_files:
        try:
            with os.scandir(stack.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += info.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return used, entries


def _tree_usage(pid: int, cap: int) -> tuple[int, int]:
    """(memory, number of processes) of a job's process tree. Memory is the RSS sum, or where
    that passes `cap`, the PSS sum: forks of the server share TensorFlow's pages."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0, 0

    def total(measure) -> int:
        found = 0
        for proc in procs:
            try:
                found += measure(proc)
            except (psutil.Error, AttributeError):
                pass
        return found

    memory = total(lambda p: p.memory_info().rss)
    if memory > cap:
        memory = total(lambda p: p.memory_full_info().pss)
    return memory, len(procs)


def _reap_all(timeout: float) -> None:
    """After a job, until we have no child left: the job's processes, killed, end a moment
    later (a PID namespace ends with its PID 1; we are the subreaper of what it leaves)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not done:
            time.sleep(0.02)


def _reap_now(*_: Any) -> None:
    while True:
        try:
            done, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not done:
            return


def _reap_while_idle(idle: bool) -> None:
    """Between jobs, reap what a killed job leaves dying (a big PID namespace can take a while)."""
    signal.signal(signal.SIGCHLD, _reap_now if idle else signal.SIG_DFL)
    if idle:
        _reap_now()


def _signal_reason(signum: int, policy: Any, tail: str) -> tuple[str, str]:
    if signum == signal.SIGXCPU:
        return "cpu", f"used more than {policy.cpu_limit} s of CPU time"
    if signum == signal.SIGXFSZ:
        if policy.file_bytes >= policy.disk_bytes:
            return "disk", f"tried to write more than its {policy.disk_text()} disk budget"
        return "file", f"tried to write a file larger than {policy.file_bytes >> 20} MiB"
    name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
    if any(word in tail for word in ("bad_alloc", "ResourceExhausted", "Out of memory", "MemoryError", "OOM")):
        return "memory", f"ran out of memory under the sandbox's {policy.memory_text()} cap ({name})"
    return "crash", f"crashed ({name})"


def supervise(pid: int, job: Any, capture_r: int, result_r: int, started: float,
              protocol_in: Optional[int] = None) -> dict[str, Any]:
    """Wait for the child within the policy; collect its result, its output tail, its fate.

    Also watched: the job's disk use (its folder holds its /tmp and /dev/shm too), and the
    protocol's input, which only ends when the grading process is gone."""
    policy = job.policy
    baseline, _ = disk_usage(job.workdir)
    deadline = started + policy.wall_s
    tail = bytearray()
    printed = 0
    result = bytearray()
    open_fds = {capture_r, result_r}
    verdict: Optional[tuple[str, str]] = None
    status: Optional[int] = None
    cpu_used = 0.0
    next_memory_check = 0.0
    parent = os.getppid()
    while True:
        now = time.monotonic()
        if now >= deadline:
            verdict = ("timeout", f"did not finish within the {policy.wall_s:g} s time limit")
            break
        watched = list(open_fds) + ([protocol_in] if protocol_in is not None else [])
        ready, _, _ = select.select(watched, [], [], min(0.2, deadline - now))
        if protocol_in in ready and not os.read(protocol_in, 1):  # the grading process is gone
            kill_all_jobs()
            _remove_base()
            os._exit(0)
        for fd in ready:
            if fd == protocol_in:
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
            elif fd == capture_r:
                printed += len(data)
                tail = (tail + data)[-TAIL_BYTES:]
            else:
                result += data
        if printed > policy.output_bytes:
            verdict = ("output", f"printed more than {policy.output_bytes >> 20} MiB of output")
            break
        if len(result) > RESULT_BYTES:
            verdict = ("crash", "sent an oversized result")
            break
        if now >= next_memory_check:
            next_memory_check = now + 0.1
            memory, count = _tree_usage(pid, policy.memory_bytes)
            if count > MAX_PROCESSES:
                verdict = ("crash", f"started more than {MAX_PROCESSES} processes")
                break
            if memory > policy.memory_bytes:
                verdict = ("memory", f"used more than the sandbox's {policy.memory_text()} memory cap")
                break
            used, entries = disk_usage(job.workdir)
            if used - baseline > policy.disk_bytes:
                verdict = ("disk", f"wrote more than its {policy.disk_text()} disk budget")
                break
            if entries > MAX_FILES:
                verdict = ("disk", f"created more than {MAX_FILES} files")
                break
            if os.getppid() != parent:  # the grading process is gone: stop everything
                kill_all_jobs()
                _remove_base()
                os._exit(0)
        done, wait_status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            status = wait_status
            cpu_used = usage.ru_utime + usage.ru_stime
            while result_r in open_fds:  # drain what the child sent just before exiting
                ready, _, _ = select.select([result_r], [], [], 0.2)
                if not ready:
                    break
                data = os.read(result_r, 1 << 16)
                if not data:
                    break
                result += data
            break
    if verdict is not None and verdict[0] in ("timeout", "output"):  # say where, before the kill
        verdict = (verdict[0], explain_stop(verdict[1], pid, job, tail.decode("utf-8", "replace")))
    kill_all_jobs()
    _reap_all(timeout=2.0)
    for fd in (capture_r, result_r):
        try:
            os.close(fd)
        except OSError:
            pass
    text_tail = tail.decode("utf-8", "replace")
    reply: dict[str, Any] = {"id": job.id, "ok": False, "output_tail": text_tail[-4000:],
                             "wall_s": round(time.monotonic() - started, 3)}
    reply.update(FACTS(policy))
    ended = None
    if verdict is None and result:
        try:
            message = json.loads(bytes(result))
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            verdict = ("crash", "sent an unreadable result")
        else:
            ended = message.get("ended") if isinstance(message.get("ended"), dict) else None
            if ended is None:
                reply.update({k: message[k] for k in ("ok", "result", "reason", "failure") if k in message})
                return reply
    if verdict is None and ended is not None:  # the job's process ended without a result (J says how)
        if isinstance(ended.get("signal"), int):
            verdict = _signal_reason(ended["signal"], policy, text_tail)
        else:
            reply["exit_code"] = ended.get("exit_code") if isinstance(ended.get("exit_code"), int) else None
            verdict = ("exit", f"exited (code {reply['exit_code']}) before returning a result")
    if verdict is None:
        if status is not None and os.WIFSIGNALED(status):
            verdict = _signal_reason(os.WTERMSIG(status), policy, text_tail)
            if os.WTERMSIG(status) == signal.SIGKILL and cpu_used >= policy.cpu_limit:  # PID 1 at its CPU limit
                verdict = _signal_reason(signal.SIGXCPU, policy, text_tail)
        else:
            code = os.WEXITSTATUS(status) if status is not None else None
            reply["exit_code"] = code
            verdict = ("exit", f"exited (code {code}) before returning a result")
    reply["failure"], reply["reason"] = verdict
    return reply


def run_job(job: Any, protocol_in: int) -> dict[str, Any]:
    from grader.sandbox import child

    capture_r, capture_w = os.pipe()
    result_r, result_w = os.pipe()
    started = time.monotonic()
    if LEVEL == "namespaces":
        from grader.sandbox import jail

        jail.before_fork()
    pid = os.fork()
    if pid == 0:
        child.main(job, capture_w, result_w, LEVEL)
    if LEVEL == "namespaces":
        jail.after_fork()
    os.close(capture_w)
    os.close(result_w)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    return supervise(pid, job, capture_r, result_r, started, protocol_in)


def _remove_base() -> None:
    """The temporary folder the parent made for us, when the parent cannot remove it itself."""
    base = os.environ.get("TUTOR_SANDBOX_BASE")
    if base and os.path.basename(base).startswith("tutor-sandbox-"):
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def _send(stream: BinaryIO, message: dict[str, Any]) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def main() -> None:
    protocol_in = os.dup(0)
    protocol_out_fd = os.dup(1)
    protocol_out = os.fdopen(protocol_out_fd, "wb")
    os.dup2(2, 1)  # TensorFlow's and anyone's prints go to the server log, not the protocol
    _become_subreaper()
    if LEVEL == "namespaces":
        from grader.sandbox import jail

        jail.server_setup()
    started = time.monotonic()
    import keras  # noqa: F401  (imports tensorflow; no op runs here, ever)
    import tensorflow as tf

    import grader.build  # noqa: F401  (preload our child code so forks pay nothing)
    import grader.data.adapters  # noqa: F401
    import grader.evaluator  # noqa: F401
    import grader.notebook.execute  # noqa: F401  (notebook submissions)
    import grader.sandbox.datasets_shim  # noqa: F401
    import grader.summary  # noqa: F401
    import grader.training  # noqa: F401
    from grader.sandbox.protocol import Job

    _send(protocol_out, {"ready": True, "tensorflow": tf.__version__, "keras": keras.__version__,
                         "import_s": round(time.monotonic() - started, 3), "pid": os.getpid(),
                         "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "1", "isolation": LEVEL})
    reader = os.fdopen(protocol_in, "rb")
    _reap_while_idle(True)
    for line in reader:
        if not line.strip():
            continue
        try:
            job = Job.model_validate_json(line)
        except ValueError as exc:
            _send(protocol_out, {"id": -1, "ok": False, "failure": "server", "reason": f"bad job: {exc}"[:300]})
            continue
        _reap_while_idle(False)  # a job's own status is collected by supervise
        reply = run_job(job, protocol_in)
        _reap_while_idle(True)
        _send(protocol_out, reply)
    kill_all_jobs()  # stdin closed: the grading process is done (or was killed)
    _remove_base()


if __name__ == "__main__":
    main()
