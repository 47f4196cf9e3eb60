"""The per-job view inside the bubblewrap'd fork server (isolation level `namespaces`).

bubblewrap gives the server a private root (`isolation.bwrap_command`), its own user and PID
namespaces and CAP_SYS_ADMIN in that user namespace only. For each job the server makes a new
PID namespace, so the job's first process (J) is its PID 1. J, before any job code:

- new mount, IPC and network namespaces; the job's folder at /job, its tmp/ and shm/ over
  /tmp and /dev/shm (which hides the server's /tmp: the sandbox base and every other job),
  /dev read-only, a /proc that shows only the job's processes;
- then a further user + mount namespace: every mount above becomes locked (the job cannot
  unmount /tmp to see what is under it, nor make /dev writable) and the capability is gone.

So a job can signal, ptrace or read /proc of its own processes only, shares no socket, IPC
namespace or network with anything, and when J ends the kernel ends everything it started.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
KEEP = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
JOB_ROOT = Path("/job")
# Folders of the job's own that stand in for shared places of the machine.
PRIVATE = {"tmp": "/tmp", "shm": "/dev/shm"}

_server_pid_ns: int | None = None


class JailError(Exception):
    """The job's namespaces could not be set up (not the submission's fault)."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return libc


def _check(result: int, what: str) -> None:
    if result != 0:
        raise JailError(f"{what}: {os.strerror(ctypes.get_errno())}")


def _mount(libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int) -> None:
    _check(libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                      flags, None), f"mount {target}")


def _mounts() -> list[tuple[str, list[str]]]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        found.append((parts[4].replace("\\040", " "), parts[5].split(",")))
    return found


def _read_only(libc: ctypes.CDLL, target: str) -> None:
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    for point, options in _mounts():
        if point == target:
            for option in options:
                flags |= KEEP.get(option, 0)
    _mount(libc, None, target, None, flags)


# -- in the server, once and around each fork -----------------------------------------------
def server_setup() -> None:
    """Once, in the server: a /proc the kernel counts as fully visible (bubblewrap covers
    parts of its /proc, and then refuses any job its own), and a handle on our PID namespace."""
    global _server_pid_ns
    libc = _libc()
    covered = sorted((p for p, _ in _mounts() if p.startswith("/proc/")), key=len, reverse=True)
    for point in covered:
        _check(libc.umount2(point.encode(), MNT_DETACH), f"umount {point}")
    _server_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)


def before_fork() -> None:
    """The next child the server forks is PID 1 of a new PID namespace."""
    _check(_libc().unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)")


def after_fork() -> None:
    """In the server, right after the fork: children are made in our own namespace again."""
    if _server_pid_ns is not None:
        _check(_libc().setns(_server_pid_ns, CLONE_NEWPID), "setns")


# -- in J, PID 1 of the job ------------------------------------------------------------------
def enter(workdir: Path, network: bool) -> None:
    """The job's mounts and namespaces, then the lock. Afterwards the job is at JOB_ROOT."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWNS | CLONE_NEWIPC | (0 if network else CLONE_NEWNET)), "unshare")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount(libc, str(workdir), str(JOB_ROOT), None, MS_BIND | MS_REC)
    for name, target in PRIVATE.items():
        (JOB_ROOT / name).mkdir(exist_ok=True)
        if Path(target).is_dir():
            _mount(libc, str(JOB_ROOT / name), target, None, MS_BIND)
    _read_only(libc, "/dev")
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER)")  # locks all of the above
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    os.chdir(JOB_ROOT)
