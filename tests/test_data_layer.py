"""Offline-first data: resolution order, content verification with the real files, staging."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from grader.data import DataError, resolve_dataset, resolve_weights
from grader.data.adapters import batches
from grader.data.registry import DATASETS, WEIGHTS
from grader.data.resolve import load_split
from grader.data.stage import stage
from grader.data.verify import content_sha256, file_sha256, verify_dataset


def test_the_shared_files_are_the_documented_ones(shared_data):
    # Checksums from ../shared/data/README.md.
    assert file_sha256(shared_data / "cifar10-subset.npz") == (
        "276e2e77cd222f48f5e71aa1a79862b2c84a56f2c71ef3981ac6feeec09787d2"
    )
    resolved = resolve_dataset("mnist")
    x, y = load_split(resolved, "train")
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert x.shape == (60000, 28, 28) and round(float(x.mean()), 4) == 33.3184
    x_test, y_test = load_split(resolved, "test")
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_every_dataset_resolves_and_verifies_from_tutor_data_dir(shared_data):
    for name in DATASETS:
        resolved = resolve_dataset(name)
        assert resolved.place.label == "TUTOR_DATA_DIR"
        assert resolved.variant is not None


def test_resolution_order_is_env_then_config_then_keras_home(tmp_path, shared_data, monkeypatch):
    config_dir = tmp_path / "course"
    keras_home = tmp_path / "keras"
    for base in (config_dir, keras_home / "datasets"):
        base.mkdir(parents=True)
    shutil.copy(shared_data / "cifar10-subset.npz", config_dir / "cifar10-subset.npz")
    shutil.copy(shared_data / "cifar10-subset.npz", keras_home / "datasets" / "cifar10.npz")
    monkeypatch.setenv("KERAS_HOME", str(keras_home))

    assert resolve_dataset("cifar10", config_dir).place.label == "TUTOR_DATA_DIR"
    monkeypatch.delenv("TUTOR_DATA_DIR")
    assert resolve_dataset("cifar10", config_dir).place.label == "config data_dir"
    assert resolve_dataset("cifar10", None).place.label == "KERAS_HOME"
    (keras_home / "datasets" / "cifar10.npz").unlink()
    with pytest.raises(DataError) as info:
        resolve_dataset("cifar10", None)
    assert "not staged" in str(info.value)
    assert "tutor data stage cifar10 --from" in str(info.value)


def test_a_faithful_repack_is_accepted_and_a_changed_array_is_not(tmp_path, shared_data):
    with np.load(shared_data / "cifar10-subset.npz") as data:
        arrays = {k: data[k] for k in data.files}
    repacked = tmp_path / "repacked.npz"
    np.savez(repacked, **arrays)  # uncompressed: other bytes, same arrays
    assert file_sha256(repacked) != file_sha256(shared_data / "cifar10-subset.npz")
    assert verify_dataset(DATASETS["cifar10"], repacked, use_cache=False).label.startswith("first 200")

    arrays["y_train"] = arrays["y_train"].copy()
    arrays["y_train"][0] = 3
    tampered = tmp_path / "tampered.npz"
    np.savez_compressed(tampered, **arrays)
    with pytest.raises(DataError, match="do not match any known cifar10"):
        verify_dataset(DATASETS["cifar10"], tampered, use_cache=False)


def test_a_corrupt_staged_file_is_an_error_not_a_silent_skip(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data_dir))
    with pytest.raises(DataError, match="not a readable .npz file"):
        resolve_dataset("mnist")


def test_verification_is_cached_by_path_size_and_mtime(shared_data, monkeypatch):
    import grader.data.verify as verify

    resolve_dataset("mnist")  # fills the cache
    calls = []
    monkeypatch.setattr(verify, "read_npz", lambda p: calls.append(p) or {})
    resolve_dataset("mnist")
    assert calls == []


def test_stage_verifies_then_copies_into_the_keras_layout(tmp_path, shared_data):
    target, what = stage("cifar10", shared_data / "cifar10-subset.npz", tmp_path / "course")
    assert target == tmp_path / "course" / "datasets" / "cifar10.npz"
    assert file_sha256(target) == file_sha256(shared_data / "cifar10-subset.npz")
    assert "first 200 training images" in what
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")]


def test_stage_refuses_a_wrong_file_and_leaves_nothing(tmp_path, shared_data):
    with pytest.raises(DataError, match="do not match any known mnist"):
        stage("mnist", shared_data / "cifar10-subset.npz", tmp_path / "course")
    assert not (tmp_path / "course" / "datasets" / "mnist.npz").exists()
    with pytest.raises(DataError, match="no such file"):
        stage("mnist", tmp_path / "nope.npz", tmp_path / "course")


def test_stage_where_a_file_blocks_the_folder_says_so(tmp_path, shared_data):
    blocker = tmp_path / "course"
    blocker.write_text("a file, not a folder")
    with pytest.raises(DataError, match="cannot write"):
        stage("cifar10", shared_data / "cifar10-subset.npz", blocker)


def test_weights_resolve_from_the_keras_models_folder(tmp_path, monkeypatch):
    info = WEIGHTS["mobilenet_v2_96_no_top"]
    with pytest.raises(DataError, match="not staged"):
        resolve_weights(info.name)
    (tmp_path / "keras" / "models").mkdir(parents=True)
    (tmp_path / "keras" / "models" / info.file_name).write_bytes(b"h5")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    assert resolve_weights(info.name).place.label == "KERAS_HOME"


def test_adapters_stream_in_batches(shared_data):
    x, _ = load_split(resolve_dataset("mnist"), "test")
    shapes = [b.shape for b in batches(x[:600], "image", batch_size=256)]
    assert shapes == [(256, 28, 28, 1), (256, 28, 28, 1), (88, 28, 28, 1)]
    flat = next(batches(x[:10], "flatten"))
    assert flat.shape == (10, 784) and flat.dtype == np.float32 and float(flat.max()) <= 1.0


def test_content_hash_depends_on_names_dtypes_and_shapes():
    a = np.arange(6, dtype=np.uint8)
    assert content_sha256({"x": a}) != content_sha256({"y": a})
    assert content_sha256({"x": a}) != content_sha256({"x": a.reshape(2, 3)})
    assert content_sha256({"x": a}) != content_sha256({"x": a.astype(np.int16)})
