"""Extract a student's zip without trusting it: no path leaving the folder, no links,
no devices, bounded sizes (declared sizes are not trusted: bytes are counted as written)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 2000
CHUNK = 1 << 20
# Entries that archivers add and nobody means to hand in.
JUNK_PARTS = {"__MACOSX", ".DS_Store", "__pycache__", "Thumbs.db"}


class UnsafeArchive(Exception):
    """The archive is refused; str() is the one-line reason for the student's row."""


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, None for junk, or raise for anything leaving the folder."""
    raw = info.filename.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise UnsafeArchive(f"zip refused: entry '{info.filename}' is an absolute path")
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafeArchive(f"zip refused: entry '{info.filename}' leaves the folder (..)")
    if not parts or any(p in JUNK_PARTS or p.startswith("._") for p in parts):
        return None
    return PurePosixPath(*parts)


def _kind(info: zipfile.ZipInfo) -> str:
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver recorded no type
    if kind == stat.S_IFLNK:
        return "link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special"
    return "dir" if info.is_dir() else "file"


def extract(archive: Path, dest: Path, max_bytes: int) -> Path:
    """Extract `archive` into a new folder `dest` (replaced atomically if it exists).

    A single top-level folder in the zip is stripped, so `alice.zip` holding
    `task8.1/model.py` grades like a folder holding `model.py`. Raises UnsafeArchive.
    """
    if archive.is_symlink():
        raise UnsafeArchive(f"zip refused: {archive.name} is a symbolic link")
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeArchive(f"zip refused: {archive.name} is not a readable zip ({exc})") from None
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        with handle:
            members = handle.infolist()
            if len(members) > MAX_MEMBERS:
                raise UnsafeArchive(f"zip refused: more than {MAX_MEMBERS} entries")
            planned: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
            for info in members:
                rel = _member_path(info)
                if rel is None:
                    continue
                kind = _kind(info)
                if kind == "link":
                    raise UnsafeArchive(f"zip refused: entry '{info.filename}' is a symbolic link")
                if kind == "special":
                    raise UnsafeArchive(f"zip refused: entry '{info.filename}' is not a file")
                if info.flag_bits & 0x1:
                    raise UnsafeArchive(f"zip refused: entry '{info.filename}' is encrypted")
                if kind == "file":
                    planned.append((info, rel))
            written = 0
            for info, rel in planned:
                target = tmp.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    raise UnsafeArchive(f"zip refused: entry '{info.filename}' appears twice")
                with handle.open(info) as src, open(target, "xb") as out:
                    while chunk := src.read(CHUNK):
                        written += len(chunk)
                        if written > max_bytes:
                            raise UnsafeArchive(
                                f"zip refused: more than {max_bytes // (1 << 20)} MB once extracted"
                            )
                        out.write(chunk)
        root = _strip_single_folder(tmp)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(root, dest)
        return dest
    except zipfile.BadZipFile as exc:
        raise UnsafeArchive(f"zip refused: {archive.name} is damaged ({exc})") from None
    except (OSError, RuntimeError, NotImplementedError, EOFError) as exc:
        # zlib errors, unsupported compression, an entry name the file system refuses...
        raise UnsafeArchive(f"zip refused: {archive.name} cannot be extracted ({exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _strip_single_folder(folder: Path) -> Path:
    """Descend while a folder holds exactly one entry and it is a folder."""
    while True:
        entries = list(folder.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            folder = entries[0]
        else:
            return folder
