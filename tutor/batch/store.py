"""The result store: one JSON file per graded submission, written atomically the moment it
finishes, named by student and content hash, plus an append-only log of what was graded.

Layout under `<out>/.batch/`: `results/<student>.<hash16>.json` and `events.jsonl`. A result
counts only if its content hash and spec hash match the submission as it is now, so a rerun
skips unchanged submissions and regrades changed ones. A file that does not parse (a disk
that failed mid-write, someone editing it) is quarantined and the submission regraded.
SLURM array tasks write here too: the folder must be on a file system the nodes share.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Optional

from pydantic import ValidationError

from tutor.batch.models import StoredResult, Submission
from tutor.state.atomic import quarantine, write_atomic

KEY_CHARS = 16


class ResultStore:
    def __init__(self, out: Path) -> None:
        self.root = out / ".batch"
        self.results = self.root / "results"
        self.events = self.root / "events.jsonl"
        self.results.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def path_for(self, student: str, content_hash: str) -> Path:
        return self.results / f"{student}.{content_hash[:KEY_CHARS]}.json"

    def get(self, sub: Submission, spec_hash: str) -> Optional[StoredResult]:
        """The stored result for this exact submission and spec, or None."""
        path = self.path_for(sub.student, sub.content_hash)
        result = self._read(path)
        if result and result.content_hash == sub.content_hash and result.spec_hash == spec_hash:
            return result
        return None

    def put(self, result: StoredResult) -> Path:
        """Write atomically, then log it (a result on disk is the only proof of grading)."""
        path = self.path_for(result.student, result.content_hash)
        write_atomic(path, result.model_dump_json(indent=1) + "\n")
        self._log({"event": "graded", "student": result.student, "hash": result.content_hash,
                   "at": result.graded_at, "host": result.host, "pid": os.getpid()})
        return path

    def _log(self, event: dict) -> None:
        line = (json.dumps(event, sort_keys=True) + "\n").encode()
        # One write() of a short line with O_APPEND: concurrent writers (threads, array
        # tasks) never interleave within a line.
        with self._lock:
            fd = os.open(self.events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def _read(self, path: Path) -> Optional[StoredResult]:
        try:
            return StoredResult.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except (ValidationError, ValueError, OSError):
            try:
                quarantine(path)
            except OSError:
                pass
            return None
