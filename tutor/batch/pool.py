"""Run submissions through N worker processes, each keeping its grader (and TensorFlow)
loaded. One submission never stops the batch: a worker that hangs past the timeout or dies
is killed with its whole process tree, the submission gets an error row with the reason,
and a fresh worker takes the next one."""

from __future__ import annotations

import json
import os
import queue
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import psutil

from grader.report import Report
from tutor.batch.models import Fingerprints, Submission

STARTUP_TIMEOUT = 180.0


def threads_per_worker(workers: int) -> int:
    """Share the CPUs this process may use among the workers (no oversubscription)."""
    from grader.limits import available_cpus

    return max(1, available_cpus() // max(1, workers))


class WorkerDied(Exception):
    pass


@dataclass
class GradedSubmission:
    """One submission a worker has graded: its report, the fingerprints and the time it took."""

    submission: Submission
    report: Report
    fingerprints: Fingerprints
    wall_s: float


def _tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (children first), [] if it is gone."""
    try:
        root = psutil.Process(pid)
        return [*root.children(recursive=True), root]
    except psutil.Error:
        return []


class WorkerProcess:
    """One `python -m tutor.batch.worker` and the pipe to it."""

    def __init__(self, task_id: str, data_dir: Optional[Path], log: Path, threads: int = 0) -> None:
        self.task_id, self.data_dir, self.log, self.threads = task_id, data_dir, log, threads
        self.proc: Optional[subprocess.Popen] = None
        self.graded = 0
        self._buffer = b""

    def start(self) -> None:
        env = {**os.environ, "TUTOR_BATCH_PARENT": str(os.getpid())}
        if self.threads and "TUTOR_GRADE_THREADS" not in os.environ:
            env["TUTOR_GRADE_THREADS"] = str(self.threads)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tutor.batch.worker", self.task_id, str(self.data_dir or "")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                start_new_session=True, env=env,
            )
        self._buffer = b""
        self.graded = 0
        ready = self._read_line(STARTUP_TIMEOUT)
        if not ready or not json.loads(ready).get("ready"):
            self.kill()
            raise WorkerDied(f"the grader did not start (see {self.log})")

    def grade(self, folder: Path, timeout: float) -> tuple[Report, Fingerprints]:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        assert self.proc and self.proc.stdin
        try:
            self.proc.stdin.write((json.dumps({"path": str(folder)}) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            self.kill()
            raise WorkerDied("the grading worker died") from None
        line = self._read_line(timeout)
        if line is None:
            self.kill()
            raise TimeoutError
        if not line:
            self.kill()
            raise WorkerDied("the grading worker died while grading it")
        answer = json.loads(line)
        self.graded += 1
        return Report.model_validate(answer["report"]), Fingerprints.model_validate(
            answer["fingerprints"]
        )

    def _read_line(self, timeout: float) -> Optional[str]:
        """A line from the worker, "" when it exited, None when the time ran out."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    return ""
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()

    def kill(self) -> None:
        """Kill the worker and every process under it (sandboxes may be in other groups)."""
        if self.proc is None:
            return
        victims = _tree(self.proc.pid)
        for proc in victims:
            try:
                proc.kill()
            except psutil.Error:
                pass
        try:
            self.proc.kill()
        except OSError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream and stream.close()
            except OSError:
                pass
        psutil.wait_procs(victims, timeout=5)
        self.proc = None

    def close(self) -> None:
        """Ask politely (end of input), then make sure."""
        if self.proc is None:
            return
        try:
            assert self.proc.stdin
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class Pool:
    """Grade submissions on `workers` processes; `on_done` is called (from worker threads,
    one at a time) with each GradedSubmission as soon as it is known."""

    def __init__(self, task_id: str, data_dir: Optional[Path], workers: int, logs: Path,
                 timeout: float, recycle_after: int = 0) -> None:
        self.task_id, self.data_dir, self.logs = task_id, data_dir, logs
        self.workers, self.timeout, self.recycle_after = max(1, workers), timeout, recycle_after
        self._done_lock = threading.Lock()
        self._procs: list[WorkerProcess] = []
        self.startup_error: Optional[str] = None
        self.fatal: Optional[str] = None  # a result could not be stored: stop everything
        self.stopping = False

    def run(self, submissions: list[Submission], on_done: Callable[[GradedSubmission], None]) -> None:
        todo: "queue.Queue[Submission]" = queue.Queue()
        for sub in submissions:
            todo.put(sub)
        threads = []
        share = threads_per_worker(self.workers)
        for i in range(min(self.workers, len(submissions))):
            worker = WorkerProcess(self.task_id, self.data_dir, self.logs / f"worker-{i}.log", threads=share)
            self._procs.append(worker)
            thread = threading.Thread(target=self._loop, args=(worker, todo, on_done), daemon=True)
            thread.start()
            threads.append(thread)
        finished = False
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.5)
            finished = True
        finally:
            # Interrupted (Ctrl-C): nothing in flight may be stored as "the worker died".
            self.stopping = not finished
            for worker in self._procs:
                worker.close() if finished else worker.kill()
        from tutor.errors import UserError

        if self.fatal:
            raise UserError(self.fatal)
        if not todo.empty() and self.startup_error:
            raise UserError(self.startup_error)

    def _loop(self, worker: WorkerProcess, todo: "queue.Queue[Submission]",
              on_done: Callable[[GradedSubmission], None]) -> None:
        try:
            worker.start()
        except WorkerDied as exc:
            self.startup_error = f"{exc}; nothing was graded by this worker"
            return
        while not (self.fatal or self.stopping):
            try:
                sub = todo.get_nowait()
            except queue.Empty:
                return
            start = time.monotonic()
            prints = Fingerprints()
            try:
                report, prints = worker.grade(sub.path, self.timeout)
            except TimeoutError:
                report = Report.could_not_grade(
                    self.task_id,
                    f"timed out after {self.timeout:.0f} s in the batch: the grader was stopped "
                    "for this submission only",
                    time.monotonic() - start,
                )
            except WorkerDied as exc:
                report = Report.could_not_grade(self.task_id, str(exc), time.monotonic() - start)
            except (ValueError, KeyError) as exc:
                worker.kill()
                report = Report.could_not_grade(
                    self.task_id, f"the grading worker answered nonsense ({type(exc).__name__})"
                )
            if self.recycle_after and worker.graded >= self.recycle_after:
                worker.close()
            with self._done_lock:
                if self.stopping:
                    return
                try:
                    on_done(GradedSubmission(sub, report, prints, time.monotonic() - start))
                except OSError as exc:
                    self.fatal = (f"cannot store results ({exc.strerror or exc}): free some space "
                                  "or fix the --out folder, then rerun to finish the batch")
                    return
