"""What a sandboxed child may use: time, CPU, memory, output, threads, network, environment.

The policy travels from the trusted parent to the fork server as JSON; `apply_limits` runs in
the forked child, before any student code or untrusted artifact is touched.
"""

from __future__ import annotations

import glob
import os
import resource
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

GiB = 1 << 30
MiB = 1 << 20

# Variables a child may keep from the parent's environment (everything else is dropped).
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH",
            "TF_ENABLE_ONEDNN_OPTS")


class Policy(BaseModel):
    """Limits for one sandboxed job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_s: float = Field(default=60.0, gt=0)
    cpu_s: Optional[int] = Field(default=None, gt=0)  # None: wall_s x threads + margin
    memory_bytes: int = Field(default=4 * GiB, gt=0)  # address space of each process, and RSS of the tree
    output_bytes: int = Field(default=8 * MiB, gt=0)  # stdout+stderr; past it the job is stopped
    file_bytes: int = Field(default=512 * MiB, gt=0)  # largest file a child may write
    disk_bytes: int = Field(default=512 * MiB, gt=0)  # all a job writes (its folder, /tmp, /dev/shm)
    threads: int = Field(default=2, gt=0)
    network: bool = False  # True: leave the network as it is
    read_only: bool = True  # everything outside the job's folder read-only (where namespaces allow)
    address_space_limit: bool = True  # False on CUDA builds (they reserve huge ranges)

    @property
    def cpu_limit(self) -> int:
        return self.cpu_s or int(self.wall_s * (self.threads + 1)) + 30

    def disk_text(self) -> str:
        return f"{self.disk_bytes / MiB:g} MiB"

    def memory_text(self) -> str:
        return f"{self.memory_bytes / GiB:g} GiB"


def gpu_devices() -> list[str]:
    """The NVIDIA GPU device nodes of this machine (no TensorFlow import needed)."""
    return sorted(glob.glob("/dev/nvidia[0-9]*"))


def cuda_present() -> bool:
    """The NVIDIA driver is loaded: TensorFlow's CUDA build then reserves huge address ranges,
    so the memory cap uses RLIMIT_DATA instead of RLIMIT_AS (DESIGN.md)."""
    return os.path.exists("/dev/nvidiactl") or bool(gpu_devices())


def gpu_visible() -> bool:
    """A GPU this process could use: a device node, and CUDA_VISIBLE_DEVICES does not hide it."""
    return os.environ.get("CUDA_VISIBLE_DEVICES") not in ("", "-1") and bool(gpu_devices())


def thread_env(threads: int) -> dict[str, str]:
    n = str(threads)
    return {
        "OMP_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": "1",
    }


def scrubbed_env(home: str, keras_home: str, threads: int, extra: Optional[dict] = None) -> dict[str, str]:
    """A clean environment: no secrets, no user site, a temporary HOME, staged data for Keras."""
    env = {k: os.environ[k] for k in KEEP_ENV if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    # oneDNN kernels: about half the CPU time per prediction on x86 (TensorFlow leaves them off
    # by default here); a site can still set TF_ENABLE_ONEDNN_OPTS=0.
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    env.update(thread_env(threads))
    env.update(
        {
            "HOME": home,
            "TMPDIR": home,
            "KERAS_HOME": keras_home,
            "KERAS_BACKEND": "tensorflow",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "MPLBACKEND": "Agg",
            "NO_PROXY": "*",
        }
    )
    env.update(extra or {})
    return env


def _owned(path: str) -> bool:
    try:
        return os.stat(path).st_uid == os.getuid()
    except OSError:
        return False


def apply_limits(policy: Policy) -> None:
    """In the child: resource limits that hold for it and everything it starts."""
    cpu = policy.cpu_limit
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    largest = min(policy.file_bytes, policy.disk_bytes)
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest, largest))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() != 0:  # per-user count (root ignores it): room for the job, not a fork bomb
        running = sum(1 for entry in os.scandir("/proc") if entry.name.isdigit() and _owned(entry.path))
        resource.setrlimit(resource.RLIMIT_NPROC, (running + 128, running + 128))
    if policy.address_space_limit:
        resource.setrlimit(resource.RLIMIT_AS, (policy.memory_bytes, policy.memory_bytes))
    else:
        resource.setrlimit(resource.RLIMIT_DATA, (policy.memory_bytes, policy.memory_bytes))
