"""Shared timing helpers for the benchmarks: best-of-N wall time of a command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parent.parent


def tutor_exe() -> str:
    exe = Path(sys.executable).with_name("tutor")
    return str(exe) if exe.exists() else "tutor"


def best_wall(command: Sequence[str], runs: int = 7, env: dict | None = None) -> float:
    """Best-of-`runs` wall time in seconds (the minimum is the least noisy estimate)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - start)
    return min(times)


def row(label: str, seconds: float, baseline: float) -> str:
    return f"{label:<34} {seconds * 1000:8.0f} ms   x{seconds / baseline:5.1f} of baseline"
