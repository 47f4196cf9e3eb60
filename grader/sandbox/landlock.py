"""Landlock for the `landlock` isolation level (no user namespaces needed; kernel >= 6.12 for
ABI 6): the job may read the interpreter and our packages, read and write its own folder,
use /dev's null/zero/random; no TCP bind or connect; no signals to, and no abstract unix
sockets of, processes outside its own Landlock domain (the grader, the batch, other jobs).

What Landlock does not cover (and the level's description says): /proc of other processes
of the same user stays readable (command lines; as root also their environment), and
connect() to a unix socket *file* is allowed wherever that file is.
"""

from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path

SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
READ = EXECUTE | READ_FILE | READ_DIR
FS_BITS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
NET_ALL = (1 << 0) | (1 << 1)  # bind and connect TCP (ABI 4)
SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract unix sockets and signals (ABI 6)
DEVICES = ("null", "zero", "full", "random", "urandom")  # not /dev/shm: nothing shared between jobs


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    numbers = SYSCALLS.get(platform.machine())
    if numbers is None:
        return 0
    try:
        version = _libc().syscall(numbers[0], None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def restrict(workdir: Path, readable: list[str]) -> None:
    """In the job's process, before any job code: the Landlock domain described above
    (`readable`: what the job may read besides `workdir`, isolation.readable_paths())."""
    abi = abi_version()
    if abi < 6:
        raise OSError("Landlock ABI 6 is not available")
    create, add_rule, restrict_self = SYSCALLS[platform.machine()]
    libc = _libc()
    fs_all = FS_BITS_BY_ABI.get(abi, (1 << 16) - 1)
    attr = RulesetAttr(fs_all, NET_ALL, SCOPE_ALL)
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    rules = [(path, READ) for path in readable]
    rules += [("/proc", READ_FILE | READ_DIR), (str(workdir), fs_all)]
    rules += [(f"/dev/{name}", READ_FILE | WRITE_FILE) for name in DEVICES]
    try:
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if os.path.isfile(path):
                    access &= EXECUTE | READ_FILE | WRITE_FILE
                rule = PathBeneathAttr(access, fd)
                if libc.syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                                ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {path} failed")
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "no_new_privs failed")
        if libc.syscall(restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
