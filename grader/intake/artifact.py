"""A trained artifact as the trusted parent sees it: name, format (by content), size, mtime.

Formats the supported frameworks write:

- Keras v3 zip (`.keras` from Keras >= 2.13 and every Keras 3): `config.json` + weights;
- legacy HDF5 (`model.keras` from tf.keras <= 2.12, `model.h5` from any Keras 2): the model
  config is the `model_config` attribute, read only in the evaluator sandbox;
- a TensorFlow SavedModel folder (Keras 2's `model.save('dir')`): not graded, the student is
  told how to re-save it.

Only the first bytes and the zip directory are read here; nothing is deserialised.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from enum import Enum
from pathlib import Path
from typing import BinaryIO, Optional

from pydantic import BaseModel, ConfigDict

from grader.sandbox.staging import MiB, StagingError
from grader.save_advice import saved_model_folder

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
# HDF5 allows a user block before the superblock: the signature sits at 0, 512, 1024, 2048...
HDF5_OFFSETS = (0, 512, 1024, 2048, 4096, 8192)
MAX_BYTES = 512 * MiB
MAX_UNPACKED = 1024 * MiB
MAX_DIRECTORY = 1 * MiB  # a zip directory's size; a Keras archive's is a few hundred bytes


class ArtifactFormat(str, Enum):
    keras_zip = "keras-zip"
    hdf5 = "hdf5"
    saved_model = "savedmodel"
    unknown = "unknown"

    @property
    def label(self) -> str:
        return {
            "keras-zip": "Keras .keras archive",
            "hdf5": "legacy Keras HDF5 file",
            "savedmodel": "TensorFlow SavedModel folder",
            "unknown": "unrecognised file",
        }[self.value]

    @property
    def staged_name(self) -> str:
        """The name the evaluator gets the copy under (Keras picks its loader by extension)."""
        return "model.h5" if self is ArtifactFormat.hdf5 else "model.keras"


def open_regular(path: Path) -> BinaryIO:
    """`path` opened for reading only if it is a regular file itself: never through a symlink
    (even one swapped in after intake), and never blocking on a FIFO a student left there."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sniff_format(path: Path) -> ArtifactFormat:
    """The artifact's format from its content (a folder: SavedModel if it holds saved_model.pb)."""
    try:
        if path.is_dir() and not path.is_symlink():
            return ArtifactFormat.saved_model if (path / "saved_model.pb").is_file() else ArtifactFormat.unknown
        with open_regular(path) as handle:
            head = handle.read(len(ZIP_SIGNATURE))
            if head == ZIP_SIGNATURE:
                return ArtifactFormat.keras_zip
            for offset in HDF5_OFFSETS:
                handle.seek(offset)
                if handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                    return ArtifactFormat.hdf5
    except OSError:
        pass
    return ArtifactFormat.unknown


class Artifact(BaseModel):
    """One trained artifact found in a submission folder (or written by `tutor train`)."""

    model_config = ConfigDict(frozen=True)

    name: str  # as found: model.keras, model.h5, model (a SavedModel folder)...
    path: Path
    format: ArtifactFormat
    size: int = 0
    mtime: float = 0.0
    link: Optional[str] = None  # where a symlink points (refused, with that reason)

    @classmethod
    def at(cls, path: Path) -> "Artifact":
        link = os.readlink(path) if path.is_symlink() else None
        try:
            info = path.lstat()
            size, mtime = (info.st_size if stat.S_ISREG(info.st_mode) else 0), info.st_mtime
        except OSError:
            size, mtime = 0, 0.0
        fmt = ArtifactFormat.unknown if link is not None else sniff_format(path)
        return cls(name=path.name, path=path, format=fmt, size=size, mtime=mtime, link=link)

    def problem(self, root: Path, max_bytes: int = MAX_BYTES, max_unpacked: int = MAX_UNPACKED) -> Optional[str]:
        """Why this artifact cannot be graded (one line), or None: symlink, empty, wrong format, too big."""
        name = self.name
        if self.link is not None:
            return f"{name} is a symlink ({self.link}); put the trained file itself in the submission folder"
        if self.format is ArtifactFormat.saved_model:
            return saved_model_folder(name)
        if not self.path.is_file():
            return f"{name} is not a regular file"
        if not self.path.resolve().is_relative_to(root.resolve()):
            return f"{name} is outside the submission folder"
        if self.size == 0:
            return f"{name} is empty (0 bytes): train again to write it"
        if self.size > max_bytes:
            return f"{name} is {self.size / MiB:.0f} MiB, over the {max_bytes // MiB} MiB limit: the model is far too large"
        if self.format is ArtifactFormat.unknown:
            return f"{name} is corrupt: not a Keras .keras archive nor an HDF5 model (save it with model.save('{name}'))"
        if self.format is ArtifactFormat.keras_zip:
            return _zip_problem(self.path, name, max_unpacked)
        return None

    def copy_to(self, folder: Path, root: Path) -> Path:
        """Copy into the evaluator's input folder under the name its format needs; the copy is
        sniffed again, so a file swapped after intake is refused rather than opened."""
        reason = self.problem(root)
        if reason:
            raise StagingError(reason)
        dest = folder / self.format.staged_name
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open_regular(self.path) as source, dest.open("wb") as target:
                shutil.copyfileobj(source, target)
        except OSError:
            dest.unlink(missing_ok=True)
            raise StagingError(f"{self.name} changed while it was being graded; grade it again once it is written") from None
        copied = Artifact.at(dest).model_copy(update={"name": self.name})
        if copied.format is not self.format or copied.problem(folder) is not None:
            dest.unlink(missing_ok=True)
            raise StagingError(f"{self.name} changed while it was being graded; grade it again once it is written")
        return dest


def _zip_problem(path: Path, name: str, max_unpacked: int) -> Optional[str]:
    corrupt = f"{name} is corrupt: not a Keras .keras archive (save it with model.save('{name}'))"
    try:
        with open_regular(path) as handle:
            # The end record is read first (a bounded read): zipfile would otherwise build one
            # object per directory entry in this trusted process, and a 94 MB file can list 2
            # million of them (800 MB of memory here). A Keras archive lists a handful.
            end = zipfile._EndRecData(handle)  # the same record ZipFile itself trusts, zip64 included
            if end is None:
                return corrupt
            if end[zipfile._ECD_SIZE] > MAX_DIRECTORY:
                return (f"{name}'s zip directory is {end[zipfile._ECD_SIZE] / MiB:.0f} MiB, over the "
                        f"{MAX_DIRECTORY // MiB} MiB limit (a Keras model file lists a handful of files): "
                        f"save it with model.save('{name}')")
            with zipfile.ZipFile(handle) as archive:
                members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return corrupt
    if "config.json" not in {m.filename for m in members}:
        return f"{name} is not a Keras model file (no config.json inside); save it with model.save('{name}')"
    unpacked = sum(m.file_size for m in members)
    if unpacked > max_unpacked:
        return (f"{name} unpacks to {unpacked / MiB:.0f} MiB, over the {max_unpacked // MiB} MiB limit: "
                "the model is far too large")
    return None
