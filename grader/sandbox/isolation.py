"""How strongly this machine can isolate a sandboxed job, named plainly.

- `namespaces` (full): the fork server runs under bubblewrap in a private root (the
  interpreter, site-packages, our `grader`/`exercises` code, an empty /tmp; no /home, /run,
  course data, other repos), and every job gets its own user, mount, PID, IPC and network
  namespaces on top: it sees only its own folder, its own processes and an empty private
  /tmp, and cannot signal, ptrace or connect to anything outside (`grader.sandbox.jail`).
- `landlock`: where unprivileged user namespaces are off (many HPC login nodes) but the kernel
  has Landlock: files limited to the job and the interpreter, no TCP, no signals or abstract
  unix sockets beyond the job (ABI 6); /proc and unix socket *files* stay reachable.
- `none`: resource limits only; student code can reach whatever the grading user can.

`TUTOR_SANDBOX_ISOLATION` (namespaces / landlock / none) caps the level (a site's choice, and
how the weaker levels are tested); the level is never raised above what the machine allows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

Level = Literal["namespaces", "landlock", "none"]
LEVELS: tuple[Level, ...] = ("namespaces", "landlock", "none")
ENV = "TUTOR_SANDBOX_ISOLATION"

DESCRIPTION: dict[str, str] = {
    "namespaces": "full (bubblewrap + namespaces): each job sees only its own folder, processes and "
                  "private /tmp; no network, no signals, sockets or files outside its job",
    "landlock": "partial (Landlock): files limited to the job, no TCP, no signals outside the job; "
                "other processes stay visible in /proc (command lines, environment) and unix socket "
                "files (tmux, ssh-agent, D-Bus) stay reachable",
    "none": "limits only: student code runs as the grading user and can reach everything that user can "
            "(files, processes, sockets, network)",
}
WEAK_HINT = ("enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / "
             "user.max_user_namespaces) and install bubblewrap, or grade on a compute node")

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding `grader/`
SANDBOX_PACKAGES = ("grader", "exercises")  # all the fork server and its jobs import of ours


def describe(level: str) -> str:
    return f"{level}: {DESCRIPTION.get(level, level)}"


SYSTEM_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group")


def _system_args() -> list[str]:
    """/usr and the merged-/usr symlinks (or real folders) next to it, and a few /etc files."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for path in _system_files():
        args += ["--ro-bind", path, path]
    return args


def _system_files() -> list[str]:
    return [str(Path("/etc") / name) for name in SYSTEM_FILES if (Path("/etc") / name).exists()]


def python_paths() -> list[str]:
    """The interpreter, its standard library and every sys.path folder; of a source checkout
    (an editable install puts the repo on sys.path) only our packages, never its solutions/,
    tests/ or anything else in it or above it."""
    source_tree = (PACKAGE_ROOT / "pyproject.toml").exists()
    keep: set[Path] = set()
    for entry in [sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(sys.executable).parent), *sys.path]:
        if not entry:
            continue
        path = Path(entry).resolve()
        if not path.is_dir() or path in (Path("/"), Path("/tmp")) or str(path).startswith("/usr/"):
            continue
        if source_tree and (path == PACKAGE_ROOT or path in PACKAGE_ROOT.parents):
            continue
        keep.add(path)
    if source_tree:
        keep.update(PACKAGE_ROOT / name for name in SANDBOX_PACKAGES)
    unique: list[Path] = []
    for path in sorted(keep, key=lambda p: len(p.parts)):
        if not any(parent in unique for parent in path.parents):
            unique.append(path)
    return [str(path) for path in unique]


def readable_paths() -> list[str]:
    """Everything a job may read besides its own folder (the `landlock` level's list)."""
    system = ["/usr"] + [str(Path("/") / n) for n in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
                         if (Path("/") / n).exists()]
    return system + _system_files() + python_paths()


def bwrap_command(base: Path) -> list[str]:
    """bubblewrap around the fork server: a private root with only what grading needs, its own
    user and PID namespaces, and CAP_SYS_ADMIN inside them only (to give every job namespaces
    of its own: `grader.sandbox.jail`). The network stays: each job drops its own.

    The server is uid 0 of its namespace for every user, as it is for root: a non-root uid
    loses the added capabilities at exec (setns then fails), and mapping the job's own user
    namespace onto that uid 0 needs CAP_SETFCAP where it is made (Linux >= 5.12)."""
    bwrap = shutil.which("bwrap") or "bwrap"
    return [
        bwrap, "--unshare-user", "--uid", "0", "--gid", "0", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
        "--unshare-cgroup-try", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETFCAP", "--die-with-parent",
        # /tmp first: an install that lives under /tmp (a class prefix, a test venv) is bound over it.
        *_system_args(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        *[arg for path in python_paths() for arg in ("--ro-bind", path, path)],
        "--bind", str(base), str(base), "--dir", "/job", "--remount-ro", "/", "--chdir", str(base),
    ]


PROBE = ["--unshare-user", "--unshare-net", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]


@lru_cache(maxsize=1)
def _bwrap_works() -> bool:
    bwrap = shutil.which("bwrap")
    if not bwrap or not sys.platform.startswith("linux"):
        return False
    try:
        return subprocess.run([bwrap, *PROBE], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def available() -> Level:
    """The strongest level this machine allows, capped by TUTOR_SANDBOX_ISOLATION."""
    wanted = os.environ.get(ENV, "").strip().lower()
    cap = LEVELS.index(wanted) if wanted in LEVELS else 0
    for level in LEVELS[cap:]:
        if level == "namespaces" and _bwrap_works():
            return level
        if level == "landlock":
            from grader.sandbox.landlock import abi_version

            if abi_version() >= 6:
                return level
        if level == "none":
            return level
    return "none"


def why_weaker() -> str:
    """One line: why the level is below `namespaces` on this machine (empty if it is not)."""
    wanted = os.environ.get(ENV, "").strip().lower()
    if wanted in LEVELS[1:]:
        return f"{ENV}={wanted} caps it"
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed"
    if not _bwrap_works():
        return "this machine forbids unprivileged user namespaces"
    return ""
