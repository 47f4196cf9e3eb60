"""Where a job was when it was stopped: the line of the student's code it was running and the
last lines it printed, for the one-line reason of a timeout or an output flood.

The child arms Python's `faulthandler` on a file in its job folder before any student code
runs; when the server stops a job for time or output, it first sends `DUMP_SIGNAL`, and
faulthandler (C code, no help from the stuck interpreter needed) writes the Python stack
there. The file is the student's to spoil: it is read bounded and only ever shown as text.
"""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import time
from pathlib import Path
from typing import Any, Optional

DUMP_SIGNAL = signal.SIGUSR2
DUMP_FILE = ".where"
FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)', re.M)


def arm(workdir: Path) -> None:
    """In the child, before student code: dump the stack to WORKDIR/.where on DUMP_SIGNAL."""
    try:
        handle = open(Path(workdir) / DUMP_FILE, "w")  # noqa: SIM115 - kept open for the dump
        faulthandler.register(DUMP_SIGNAL, file=handle, all_threads=False, chain=False)
    except (OSError, ValueError, RuntimeError):
        pass  # no location then; the reason still says what happened


def where_it_was(pid: int, workdir: Path, wait_s: float = 1.0) -> Optional[str]:
    """In the server, before the job is killed: "model.py line 7 (in build_model)", or None."""
    path = Path(workdir) / DUMP_FILE
    try:
        os.kill(pid, DUMP_SIGNAL)
    except OSError:
        return None
    deadline = time.monotonic() + wait_s
    text = ""
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as handle:
                text = handle.read(16384).decode("utf-8", "replace")
        except OSError:
            return None
        if FRAME.search(text):
            time.sleep(0.05)  # let the dump finish
            with open(path, "rb") as handle:
                text = handle.read(16384).decode("utf-8", "replace")
            break
        time.sleep(0.05)
    from grader.sandbox.jail import JOB_ROOT  # at level `namespaces` the job sees its folder there

    return student_frame(text, Path(workdir) / "sub") or student_frame(text, JOB_ROOT / "sub")


def student_frame(dump: str, submission: Path) -> Optional[str]:
    """The innermost frame in the submission's own files, as `model.py line 7 (in build_model)`."""
    root = str(submission).rstrip("/") + "/"
    for match in FRAME.finditer(dump):  # faulthandler lists the most recent call first
        if match["file"].startswith(root):
            name = _printable(match["file"][len(root):], 80)
            return f"{name} line {match['line']} (in {_printable(match['func'], 40)})"
    return None


def last_lines(tail: str, count: int = 2, width: int = 100) -> list[str]:
    """The last non-empty lines printed, each cut to `width` characters."""
    lines = [line.strip() for line in tail.replace("\r", "\n").splitlines() if line.strip()]
    return [_printable(line, width) for line in lines[-count:]]


def explain(reason: str, pid: int, job: Any, tail: str) -> str:
    """The reason for a timeout or flood, with where the code was and what it printed last."""
    where = where_it_was(pid, Path(job.workdir))
    printed = last_lines(tail)
    if where:
        reason += f": {where} was running"
    if printed:
        reason += "; it last printed: " + " | ".join(f"'{line}'" for line in printed)
    elif where:
        reason += " (it printed nothing)"
    return reason


def _printable(text: str, width: int) -> str:
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= width else clean[: width - 1] + "…"
