"""A tiny job for tests and `tutor doctor`: reports what the child can see and do."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=0.5).close()
        network = "reachable"
    except OSError as exc:
        network = "unreachable" if exc.errno == 101 else "no answer"
    try:
        escape = workdir.parent / f"{workdir.name}.escape"
        escape.write_text("x")
        escape.unlink()
        outside = "writable"
    except OSError:
        outside = "read-only"
    return {
        "outside": outside,
        "home": os.environ.get("HOME"),
        "cwd": os.getcwd(),
        "network": network,
        "pgid_is_own": os.getpgid(0) == os.getpid(),
        "env_keys": sorted(os.environ),
        "threads": os.environ.get("TF_NUM_INTRAOP_THREADS"),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    }
