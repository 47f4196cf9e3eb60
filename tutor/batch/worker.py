"""A batch worker process: one `grader.api.Grader` (its fork server keeps TensorFlow loaded)
grading one submission after another, spoken to in JSON lines by `pool`.

Protocol: the worker prints {"ready": true} once its grader is up, then answers each request
line {"path": DIR} with {"report": {...}, "fingerprints": {...}}. Anything else that writes to
stdout (a library, a stray print) is sent to stderr, so it can never forge an answer. The
worker dies with the batch process (PR_SET_PDEATHSIG), so `kill -9` of the batch leaves no
grader behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Optional

from grader.report import Report
from tutor.batch.models import Fingerprints


def _die_with_parent() -> None:
    expected = int(os.environ.get("TUTOR_BATCH_PARENT", "0") or 0)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if expected and os.getppid() != expected:
        os._exit(0)  # the parent is already gone


def _private_stdout() -> IO[str]:
    """Keep the real stdout for answers; point fd 1 at stderr for everyone else."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", buffering=1, encoding="utf-8")


class _Fingerprinter:
    """The helper process that opens untrusted artifacts for fingerprints (see fingerprint)."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen] = None

    def __call__(self, folder: Path) -> Fingerprints:
        for _ in range(2):
            if self.proc is None or self.proc.poll() is not None:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "tutor.batch.fingerprint"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                )
            try:
                assert self.proc.stdin and self.proc.stdout
                self.proc.stdin.write(json.dumps({"path": str(folder)}) + "\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
                if line:
                    return Fingerprints.model_validate_json(line)
            except (OSError, ValueError):
                pass
            self.close()
        return Fingerprints(notes=["fingerprint helper crashed on this submission"])

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def main() -> None:
    _die_with_parent()
    answers = _private_stdout()
    task_id, data_dir = sys.argv[1], (Path(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None)
    from grader.api import Grader
    from grader.checks import FrontEndFacts
    from tutor.context import load_context

    context = load_context()
    task = context.task(task_id)
    fingerprint = _Fingerprinter()
    with Grader(data_dir, target=context.target) as grader:  # checks follow the course's framework
        answers.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
        for line in sys.stdin:
            request = json.loads(line)
            folder = Path(request["path"])
            try:
                report = grader.grade(task, folder, FrontEndFacts(include_hidden=True))  # instructor grading
            except Exception as exc:  # the grader promises reports; keep the batch going anyway
                report = Report.could_not_grade(task.id, f"grader failed: {type(exc).__name__}: {exc}")
            prints = fingerprint(folder)
            answers.write(
                json.dumps({"report": report.model_dump(mode="json"),
                            "fingerprints": prints.model_dump(mode="json")}) + "\n"
            )
    fingerprint.close()


if __name__ == "__main__":
    main()
