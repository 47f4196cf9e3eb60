"""Dropping the network: a new user + network namespace (what `unshare -rn` does).

Many HPC login nodes forbid unprivileged user namespaces; then the child keeps the network
and the report says so (`meta.network`), and `tutor doctor` tells the instructor.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def drop_network() -> bool:
    """In a single-threaded (freshly forked) child: leave the network. True if it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
            return False
        # Map our own uid/gid so files keep their owner (what `unshare -r` does, minus root).
        try:
            with open("/proc/self/setgroups", "w") as handle:
                handle.write("deny")
            with open("/proc/self/uid_map", "w") as handle:
                handle.write(f"{uid} {uid} 1")
            with open("/proc/self/gid_map", "w") as handle:
                handle.write(f"{gid} {gid} 1")
        except OSError:
            pass
        return True
    except (OSError, AttributeError):
        return False


PROBE = r"""
import os, socket, sys
from grader.sandbox.netns import drop_network
pid = os.fork()
if pid == 0:
    ok = drop_network()
    reach = True
    try:
        socket.create_connection(("192.0.2.1", 9), timeout=0.5).close()
    except OSError as exc:
        reach = exc.errno not in (101,)  # ENETUNREACH: no interface at all
    os.write(1, (("dropped" if ok and not reach else "kept") + "\n").encode())
    os._exit(0)
os.waitpid(pid, 0)
"""


def network_can_be_dropped(timeout: float = 20.0) -> bool:
    """Probe in a fresh interpreter whether sandboxed children can run without network."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.stdout.strip() == "dropped"
