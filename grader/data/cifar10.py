"""The official CIFAR-10 archive, `cifar-10-python.tar.gz`, staged as the npz the grader reads.

The archive is accepted only if its SHA-256 is the one Keras pins for it: `file_hash` in
`keras/src/datasets/cifar10.py` (Keras 3.15.1, the version installed with tutor), next to
`origin="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"`. Its batches are Python
pickles; they are unpickled only after that check, and then only with a restricted unpickler
that can build numpy arrays and nothing else. The result has the layout
`keras.datasets.cifar10.load_data()` returns: x (N, 32, 32, 3) uint8, y (N, 1) uint8.
"""

from __future__ import annotations

import contextlib
import io
import pickle
import tarfile
import tempfile
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from grader.data.verify import DataError, file_sha256

ARCHIVE = "cifar-10-python.tar.gz"
ARCHIVE_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"{FOLDER}/data_batch_{i}" for i in range(1, 6))
TEST_BATCH = f"{FOLDER}/test_batch"
MAX_MEMBER_BYTES = 64 << 20  # each official batch is about 30 MB
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D102
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing {module}.{name} in a CIFAR-10 batch")


def _batch(tar: tarfile.TarFile, member: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        info = tar.getmember(member)
    except KeyError:
        raise DataError(f"{ARCHIVE}: {member} is missing") from None
    if not info.isfile() or info.size > MAX_MEMBER_BYTES:
        raise DataError(f"{ARCHIVE}: {member} is not a batch file")
    handle = tar.extractfile(info)
    assert handle is not None
    try:
        batch = _ArraysOnly(io.BytesIO(handle.read()), encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.uint8)
    except (pickle.UnpicklingError, KeyError, TypeError, ValueError, EOFError) as exc:
        raise DataError(f"{ARCHIVE}: {member} is not a CIFAR-10 batch ({exc})") from None
    images = data.reshape(len(data), 3, 32, 32).transpose(0, 2, 3, 1)  # channels last, as Keras
    return np.ascontiguousarray(images), labels.reshape(-1, 1)


def arrays_from_archive(path: Path, expected_sha256: Optional[str] = None) -> dict[str, np.ndarray]:
    """x_train, y_train, x_test, y_test from the verified official archive."""
    expected_sha256 = expected_sha256 or ARCHIVE_SHA256
    digest = file_sha256(path)
    if digest != expected_sha256:
        raise DataError(
            f"{path}: SHA-256 {digest[:12]}… is not that of the official {ARCHIVE} "
            f"({expected_sha256[:12]}…, as Keras pins it); download it again"
        )
    try:
        with tarfile.open(path, "r:gz") as tar:
            train = [_batch(tar, member) for member in TRAIN_BATCHES]
            x_test, y_test = _batch(tar, TEST_BATCH)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable tar.gz archive ({exc})") from None
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
    }


@contextlib.contextmanager
def npz_from_archive(path: Path, expected_sha256: Optional[str] = None) -> Iterator[Path]:
    """A temporary `cifar10.npz` converted from the archive (removed afterwards)."""
    arrays = arrays_from_archive(path, expected_sha256)
    with tempfile.TemporaryDirectory(prefix="tutor-cifar10-") as tmp:
        target = Path(tmp) / "cifar10.npz"
        np.savez(target, **arrays)
        yield target
