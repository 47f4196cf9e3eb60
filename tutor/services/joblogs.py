"""A job's two logs as both front ends read them: `tutor logs` (whole, or followed while the job
runs), `tutor jobs` (the error tail of a failed job) and the TUI's jobs screen (the log's tail,
re-read while the job runs). Reading only: what to show is the front end's business."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from grader.logs import filter_noise
from grader.logs.terminal import MAX_LOG_BYTES, read_log
from hpc.jobrow import JobRow


def read_text(path: Optional[Path], limit: int = MAX_LOG_BYTES) -> Optional[str]:
    """A log's text (its last `limit` bytes, carriage returns intact); None while it is not
    written. OSError when it exists but cannot be read."""
    if path is None or not path.is_file():
        return None
    return read_log(path, limit)


@dataclass(frozen=True)
class JobLogs:
    """A job's stdout and stderr as far as they are written (None: not written yet)."""

    stdout: Optional[str]
    stderr: Optional[str]

    @property
    def written(self) -> bool:
        return self.stdout is not None or self.stderr is not None


def job_logs(row: JobRow, limit: int = MAX_LOG_BYTES) -> JobLogs:
    """Both logs of a job; an unreadable file counts as not written. When SLURM writes both
    streams to one file, stderr is left empty rather than shown twice."""

    def read(path: Path) -> Optional[str]:
        try:
            return read_text(path, limit)
        except OSError:
            return None

    stdout = read(row.stdout)
    stderr = "" if row.stderr == row.stdout and stdout is not None else read(row.stderr)
    return JobLogs(stdout, stderr)


def error_tail(row: JobRow, lines: int = 6) -> list[str]:
    """The last lines of a job's stderr without TensorFlow's start-up noise (why it failed)."""
    try:
        text = read_text(row.stderr)
    except OSError:
        return []
    return [line for line in filter_noise(text or "").splitlines() if line.strip()][-lines:]


class LogTail:
    """New complete lines of a growing log (Keras' carriage-return redraws collapsed)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.partial = path, 0, b""

    def lines(self, final: bool = False) -> list[str]:
        """Lines written since the last call; with `final`, the unterminated last one too.

        Read as bytes: text mode would turn each `\r` redraw into a line of its own, and a
        multi-byte character split across two reads would be garbled."""
        chunk = b""
        try:
            if self.path.is_file():  # as read_text: a FIFO in the log's place would block
                with self.path.open("rb") as handle:
                    handle.seek(self.offset)
                    chunk = handle.read(MAX_LOG_BYTES)  # a huge or sparse log arrives in pieces
                    self.offset = handle.tell()
        except OSError:
            pass
        parts = (self.partial + chunk).split(b"\n")
        self.partial = b"" if final else parts.pop()
        if len(self.partial) >= MAX_LOG_BYTES:  # a line that never ends is shown in pieces too
            parts.append(self.partial)
            self.partial = b""
        frames = (p.rstrip(b"\r").split(b"\r")[-1].decode("utf-8", errors="replace") for p in parts)
        return [line for line in frames if line.strip()]
