"""Small per-user cache files (what tutor can rebuild at any time from the real files).

Only in a folder no other user can reach (`tutor.trust.unsafe_parent_reason`), only files
owned by us and not writable by others, written atomically (0600). A file that is absent,
not ours or not JSON reads as None: the caller then rebuilds from the real files. No pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, Optional

from tutor.config_files import user_cache_dir
from tutor.trust import unsafe_parent_reason, writable_by_others


def cache_file(name: str) -> Optional[Path]:
    """Our cache file `name`, or None when the cache folder could be reached by other users
    (then tutor neither reads nor writes it)."""
    folder = user_cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    if unsafe_parent_reason(folder):
        return None
    return folder / name


def read_json(path: Optional[Path]) -> Any:
    """The file's JSON, or None when it is absent, not ours, writable by others or not JSON."""
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if st.st_uid != os.geteuid() or not stat.S_ISREG(st.st_mode) or writable_by_others(str(path), st):
            return None
        try:
            return json.loads(handle.read())
        except (OSError, ValueError):
            return None


def write_json(path: Optional[Path], data: Any) -> None:
    """Replace the file atomically; a cache we cannot write is a cache we do not have."""
    from tutor.state.atomic import write_atomic

    if path is None:
        return
    try:
        write_atomic(path, json.dumps(data), mode=0o600)
    except OSError:
        pass


def content_key(*parts: object) -> str:
    """A digest of `parts` (bytes as they are, anything else by its repr)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()
