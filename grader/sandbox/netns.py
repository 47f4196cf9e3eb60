"""Namespaces for sandboxed children: no network (what `unshare -rn` does) and, in the same
step, a private mount table where everything outside the job's folder is read-only.

Many HPC login nodes forbid unprivileged user namespaces; then the child keeps the network
and the filesystem (time, memory and output limits still hold), the report says so
(`meta.network`, `meta.filesystem`), and `tutor doctor` tells the instructor.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
# Flags a remount inside a user namespace must keep (the kernel locks them).
KEEP = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
        "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    return libc


def _mount(libc: ctypes.CDLL, source: str | None, target: str, flags: int) -> bool:
    return libc.mount(source.encode() if source else None, target.encode(), None, flags, None) == 0


def _map_ids(uid: int, gid: int) -> None:
    """Keep our own uid/gid inside the namespace (files keep their owner)."""
    try:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass


def _read_only_outside(libc: ctypes.CDLL, writable: list[Path]) -> bool:
    """Every mount read-only except the `writable` folders (each bind-mounted onto itself first)."""
    keep = [str(path.resolve()) for path in writable]
    if not _mount(libc, None, "/", MS_REC | MS_PRIVATE):
        return False
    if not all(_mount(libc, path, path, MS_BIND | MS_REC) for path in keep):
        return False
    ok = True
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        point, options = parts[4].replace("\\040", " "), parts[5].split(",")
        if any(point == path or point.startswith(path + "/") for path in keep) or point.split("/")[1:2] == ["proc"]:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for option in options:
            flags |= KEEP.get(option, 0)
        if not _mount(libc, None, point, flags) and point == "/":
            ok = False
    return ok


def isolate(writable: list[Path] | None, network: bool = False) -> tuple[bool, bool]:
    """In a single-threaded (freshly forked) child: new user + network + mount namespaces.
    Returns (network dropped, filesystem read-only outside the `writable` folders)."""
    if not sys.platform.startswith("linux"):
        return False, False
    try:
        libc = _libc()
        uid, gid = os.getuid(), os.getgid()
        flags = CLONE_NEWUSER | (0 if network else CLONE_NEWNET) | (CLONE_NEWNS if writable else 0)
        if libc.unshare(flags) != 0:
            return False, False
        _map_ids(uid, gid)
        read_only = _read_only_outside(libc, writable) if writable else False
        return (not network), read_only
    except (OSError, AttributeError, ValueError, IndexError):
        return False, False


PROBE = r"""
import os, socket, sys, tempfile
from pathlib import Path
from grader.sandbox.netns import isolate
work = Path(tempfile.mkdtemp())
pid = os.fork()
if pid == 0:
    dropped, read_only = isolate([work])
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=0.5).close()
        reach = True
    except OSError as exc:
        reach = exc.errno != 101  # ENETUNREACH: no interface at all
    try:
        (work.parent / (work.name + ".escape")).write_text("x")
        escaped = True
    except OSError:
        escaped = False
    (work / "inside").write_text("x")
    words = ("dropped" if dropped and not reach else "kept", "readonly" if read_only and not escaped else "writable")
    os.write(1, (" ".join(words) + "\n").encode())
    os._exit(0)
os.waitpid(pid, 0)
(work.parent / (work.name + ".escape")).unlink(missing_ok=True)
(work / "inside").unlink(missing_ok=True)
work.rmdir()
"""


def probe(timeout: float = 20.0) -> tuple[bool, bool]:
    """(network can be dropped, filesystem can be made read-only), tried in a fresh interpreter."""
    try:
        proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    except (OSError, subprocess.TimeoutExpired):
        return False, False
    words = proc.stdout.split()
    return "dropped" in words, "readonly" in words


def network_can_be_dropped(timeout: float = 20.0) -> bool:
    return probe(timeout)[0]
