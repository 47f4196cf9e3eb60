"""How much each kind of sandboxed job may use, per task (env overrides for sites and tests).

`TUTOR_SANDBOX_TIMEOUT` (seconds), `TUTOR_SANDBOX_MEMORY_MB` and `TUTOR_GRADE_THREADS` override
the check/grade limits (batch grading sets the threads to cores / workers); `TUTOR_TRAIN_TIMEOUT`
and `TUTOR_TRAIN_THREADS` the training ones. `TUTOR_SANDBOX_DISK_MB` is every job's disk budget:
all it writes (its folder, its private /tmp and /dev/shm), DISK_MB by default.
"""

from __future__ import annotations

import os
from typing import Optional

from exercises.schema import Exercise
from grader.sandbox.policy import GiB, MiB, Policy, cuda_present

THREADS = 2
DISK_MB = 512  # a trained model.keras of the course is tens of MiB; far below a login node's /tmp


def _env_float(name: str) -> Optional[float]:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _memory(spec: Exercise, default_gib: float) -> int:
    override = _env_float("TUTOR_SANDBOX_MEMORY_MB")
    if override:
        return int(override * MiB)
    heavy = spec.dataset is not None and spec.dataset.adapter == "rgb96"
    return int((default_gib + (2 if heavy else 0)) * GiB)


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity: a SLURM job's --cpus-per-task)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def grade_threads() -> int:
    """Threads for a check or grade: THREADS, or `TUTOR_GRADE_THREADS` (at least 1)."""
    override = _env_float("TUTOR_GRADE_THREADS")
    return max(1, int(override)) if override else THREADS


def train_threads() -> int:
    """Training may use the CPUs this process was given (a SLURM job's --cpus-per-task), up to 8;
    `TUTOR_TRAIN_THREADS` overrides. Checks and grading stay at THREADS (login nodes are shared)."""
    override = _env_float("TUTOR_TRAIN_THREADS")
    if override:
        return int(override)
    return max(THREADS, min(available_cpus(), 8))


def disk_bytes() -> int:
    return int((_env_float("TUTOR_SANDBOX_DISK_MB") or DISK_MB) * MiB)


def policy_for(spec: Exercise, kind: str) -> Policy:
    cuda = cuda_present()
    disk = disk_bytes()
    if kind == "train":
        wall = _env_float("TUTOR_TRAIN_TIMEOUT") or 4 * 3600.0
        return Policy(wall_s=wall, memory_bytes=_memory(spec, 8), threads=train_threads(), address_space_limit=not cuda,
                      disk_bytes=disk, file_bytes=disk)
    wall = _env_float("TUTOR_SANDBOX_TIMEOUT") or (120.0 if kind == "evaluate" else 60.0)
    return Policy(wall_s=wall, memory_bytes=_memory(spec, 4), threads=grade_threads(), address_space_limit=not cuda,
                  disk_bytes=disk, file_bytes=disk)
