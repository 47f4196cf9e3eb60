"""Staging a dataset or weights file once for the class: verify, copy atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from grader.data.errors import DataError
from grader.data.registry import DATASETS, WEIGHTS
from grader.data.resolve import unknown
from grader.data.verify import file_sha256, verify_dataset


def staged_path(name: str, data_dir: Path) -> Path:
    """Keras cache layout, so KERAS_HOME=data_dir works for official files."""
    if name in DATASETS:
        return data_dir / "datasets" / DATASETS[name].staged_name
    if name in WEIGHTS:
        return data_dir / "models" / WEIGHTS[name].file_name
    raise unknown(name)


LOAD_DATA_TAKES_PATH = {"mnist"}  # keras.datasets.<name>.load_data(path=...) exists for these


def official_copy_note(name: str, path: Path) -> str:
    """Whether a staged dataset is byte-identical to the official Keras file, and what that
    means in Keras 2 containers (the book's TF 2.11), whose load_data(path=...) checks the
    official SHA-256. Empty for datasets Keras ships as no single file."""
    info = DATASETS.get(name)
    if name not in LOAD_DATA_TAKES_PATH or info is None or not info.official_sha256:
        return ""
    if file_sha256(path) == info.official_sha256:
        return ("byte-identical to the official Keras file: in Keras 2 containers (TensorFlow <= 2.15) "
                f"keras.datasets.{name}.load_data(path=...) reads it offline")
    return ("a faithful repack, not byte-identical to the official Keras file: in Keras 2 containers "
            f"(TensorFlow <= 2.15) keras.datasets.{name}.load_data(path=...) sees another SHA-256 and tries "
            "to download, which fails offline; stage the official file, or have students read it with np.load(path)")


def stage(name: str, source: Path, data_dir: Path) -> tuple[Path, str]:
    """Verify `source`, copy it into `data_dir` atomically, and return (path, what it is)."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise DataError(f"{source}: no such file to stage")
    if name == "cifar10" and source.name.endswith((".tar.gz", ".tgz")):
        from grader.data.cifar10 import npz_from_archive  # the official cifar-10-python.tar.gz

        with npz_from_archive(source) as npz:
            return stage(name, npz, data_dir)
    target = staged_path(name, data_dir)
    if name in DATASETS:
        info = DATASETS[name]
        variant = verify_dataset(info, source, use_cache=False)
        what = f"{info.title}, {variant.label}"
        note = official_copy_note(name, source)
        if note:
            what += f"; {note}"
    else:
        expected = WEIGHTS[name].sha256
        digest = file_sha256(source)
        if expected and digest != expected:
            raise DataError(f"{source}: SHA-256 {digest[:12]}… is not the expected {expected[:12]}…")
        what = f"{WEIGHTS[name].title} (sha256 {digest[:12]}…)"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except PermissionError:
        raise DataError(f"{target.parent}: not writable (permission denied); pick a data dir you own") from None
    except OSError as exc:
        raise DataError(f"{target.parent}: cannot write ({exc.strerror})") from None
    return target, what
