"""Whether a file tutor reads as configuration could have been written by someone else.

On a shared cluster a student can write into some folders the instructor reads from (the
hand-in area above all). A config file is only read if no other user could have put it
there or changed it: the file is not writable by others, and every folder on its path is
either closed to other writers, or sticky (others may add names, never replace ours) with
the next step owned by root, by us or by that folder's owner.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import struct
from pathlib import Path
from typing import Optional

ACL_XATTR = "system.posix_acl_access"
_ACL_USER, _ACL_GROUP, _ACL_MASK = 0x02, 0x08, 0x10
_WRITE = 0x02


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _acl_grants_write(path: str) -> bool:
    """A named user or group entry with write permission (and a mask that lets it through)."""
    try:
        raw = os.getxattr(path, ACL_XATTR, follow_symlinks=False)
    except OSError:
        return False
    entries = [struct.unpack_from("<HHI", raw, offset) for offset in range(4, len(raw) - 7, 8)]
    mask = next((perm for tag, perm, _ in entries if tag == _ACL_MASK), 0o7)
    return any(tag in (_ACL_USER, _ACL_GROUP) and perm & mask & _WRITE for tag, perm, _ in entries)


def _private_group(st: os.stat_result) -> bool:
    """The owner's own user-private group (same name, nobody else listed in it)."""
    try:
        group = grp.getgrgid(st.st_gid)
    except KeyError:
        return False
    owner = _owner(st.st_uid)
    return group.gr_name == owner and set(group.gr_mem) <= {owner}


def writable_by_others(path: str, st: os.stat_result) -> bool:
    if st.st_mode & stat.S_IWOTH:
        return True
    if st.st_mode & stat.S_IWGRP and not _private_group(st):
        return True
    return _acl_grants_write(path)


def _chain_reason(shown: Path, real: str, st: os.stat_result, owners: Optional[set[int]] = None) -> Optional[str]:
    """Walk up from `real`: a folder others may write to only if sticky with the next step
    owned by root, us or that folder's owner (so not planted by one of the others who write
    there). With `owners`, every folder must also belong to one of them (for a folder we write
    into); without, a folder's owner is not held against it (the owners above a course's
    config are the site's or the course's staff)."""
    child, child_st = real, st
    for parent in Path(real).parents:
        try:
            pst = os.stat(parent)
        except OSError:
            return None
        if owners is not None and pst.st_uid not in owners:
            return (f"{shown} is under {parent}, which belongs to {_owner(pst.st_uid)}: "
                    "they could move what is in it; use a folder of your own")
        if writable_by_others(str(parent), pst):
            if not pst.st_mode & stat.S_ISVTX:
                return (f"{shown} is in {parent}, a folder other users can write to: "
                        "tutor does not use it; choose another place")
            if child_st.st_uid not in (0, os.geteuid(), pst.st_uid):
                return (f"{child} belongs to {_owner(child_st.st_uid)} and sits in {parent}, a folder "
                        "other users write to: tutor does not use it")
        child, child_st = str(parent), pst
    return None


def untrusted_reason(path: Path) -> Optional[str]:
    """Why `path` (a config file or folder) could come from another user; None if it cannot."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return None  # reading it will say why
    if writable_by_others(real, st):
        return (f"{path} can be changed by other users (mode {stat.S_IMODE(st.st_mode):o}): "
                f"not read as configuration; its owner should run `chmod go-w {real}`")
    # Someone else's file (the instructor's config, read by a student) is as safe as the
    # folders above it: none may let other users swap it.
    return _chain_reason(path, real, st)


def foreign_cwd_config(path: Path) -> Optional[str]:
    """Why `./tutor.toml` (found only because of the current folder) is not read: it must be
    root's or ours; anyone else's is used only when named with TUTOR_CONFIG."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_uid in (0, os.geteuid()):
        return None
    return (f"./{path.name} in {path.parent} belongs to {_owner(st.st_uid)}: tutor does not use a config "
            f"it only found in the current folder; to use it, export TUTOR_CONFIG={path}")


def unsafe_parent_reason(parent: Path) -> Optional[str]:
    """Why a new private folder made in `parent` could be reached or swapped by other users."""
    real = os.path.realpath(parent)
    try:
        st = os.stat(real)
    except OSError as exc:
        return f"{parent}: {exc.strerror}; create it first"
    if not stat.S_ISDIR(st.st_mode):
        return f"{parent} is not a folder"
    trusted = {0, os.geteuid()}
    if st.st_uid not in trusted:
        return f"{parent} belongs to {_owner(st.st_uid)}: they could move what you put there; use a folder of yours"
    if writable_by_others(real, st) and not st.st_mode & stat.S_ISVTX:
        return f"{parent} can be written by other users: choose a folder only you can write to"
    return _chain_reason(parent, real, st, trusted)
