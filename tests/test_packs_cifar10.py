"""CIFAR-10 staging: the official cifar-10-python.tar.gz (by the SHA-256 Keras pins) and a full
npz known by its first 200 training images, built here from the real 200-image subset."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

import grader.data.cifar10 as cifar
from grader.data import DATASETS, DataError, resolve_dataset
from grader.data.resolve import load_split
from grader.data.stage import stage
from grader.data.verify import file_sha256, verify_dataset
from tests.conftest import SHARED_DATA, run_tutor


@pytest.fixture(scope="module")
def subset():
    with np.load(SHARED_DATA / "cifar10-subset.npz") as data:
        return data["x_train"], data["y_train"]


def batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """A batch as the official archive stores it: rows of R, G, B planes; labels as a list."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)
    return pickle.dumps({b"batch_label": b"synthetic", b"labels": [int(v) for v in labels.reshape(-1)],
                         b"data": rows, b"filenames": []}, protocol=4)


def archive(path: Path, batches: list[tuple[np.ndarray, np.ndarray]]) -> Path:
    names = list(cifar.TRAIN_BATCHES) + [cifar.TEST_BATCH]
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, (x, y) in zip(names, batches):
            data = batch_bytes(x, y)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_an_archive_that_is_not_the_official_one_is_refused_in_one_line(tmp_path, subset):
    x, y = subset
    fake = archive(tmp_path / "cifar-10-python.tar.gz", [(x[:40], y[:40])] * 6)
    with pytest.raises(DataError, match="is not that of the official cifar-10-python.tar.gz"):
        stage("cifar10", fake, tmp_path / "data")
    result = run_tutor("data", "stage", "cifar10", "--from", str(fake), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 2 and "6d958be07457" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "datasets" / "cifar10.npz").exists()


def test_batches_become_keras_layout_images(tmp_path, subset):
    x, y = subset
    parts = [(x[i * 40:(i + 1) * 40], y[i * 40:(i + 1) * 40]) for i in range(5)] + [(x[:10], y[:10])]
    path = archive(tmp_path / "cifar-10-python.tar.gz", parts)
    arrays = cifar.arrays_from_archive(path, expected_sha256=file_sha256(path))
    assert np.array_equal(arrays["x_train"], x) and np.array_equal(arrays["y_train"], y)
    assert arrays["x_test"].shape == (10, 32, 32, 3) and arrays["y_test"].dtype == np.uint8


def test_a_pickle_that_builds_anything_but_arrays_is_refused(tmp_path, subset):
    x, y = subset
    evil = pickle.dumps({b"data": x[:1], b"labels": [0], b"hook": print}, protocol=4)
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in list(cifar.TRAIN_BATCHES) + [cifar.TEST_BATCH]:
            info = tarfile.TarInfo(name)
            info.size = len(evil)
            tar.addfile(info, io.BytesIO(evil))
    with pytest.raises(DataError, match="refusing builtins.print"):
        cifar.arrays_from_archive(path, expected_sha256=file_sha256(path))


def test_the_full_set_stages_from_its_archive_and_is_known_by_its_first_images(tmp_path, subset, monkeypatch):
    x, y = subset
    filler = np.zeros((10000, 32, 32, 3), np.uint8), np.zeros((10000, 1), np.uint8)
    first = (np.concatenate([x, filler[0][200:]]), np.concatenate([y, filler[1][200:]]))
    path = archive(tmp_path / "cifar-10-python.tar.gz", [first] + [filler] * 5)
    monkeypatch.setattr(cifar, "ARCHIVE_SHA256", file_sha256(path))  # stands in for the official bytes
    staged, what = stage("cifar10", path, tmp_path / "data")
    assert staged == tmp_path / "data" / "datasets" / "cifar10.npz"
    assert what.startswith("CIFAR-10") and "first 200 training images verified" in what
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path / "data"))
    resolved = resolve_dataset("cifar10")
    x_test, y_test = load_split(resolved, "test")
    assert x_test.shape == (10000, 32, 32, 3) and y_test.shape == (10000, 1)
    with np.load(staged) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["x_train"][0, 0, 0, 0] ^= 1  # one pixel of a verified image changed
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(DataError, match="do not match any known cifar10"):
        verify_dataset(DATASETS["cifar10"], tmp_path / "tampered.npz", use_cache=False)
