"""Intake: a submission folder becomes one Submission; artifacts are told apart by content."""

from __future__ import annotations

import json
import zipfile

import pytest

from exercises import load_catalog
from grader.intake import ArtifactFormat, intake, sniff_format
from grader.sandbox import StagingError

HDF5_HEAD = b"\x89HDF\r\n\x1a\n" + b"\0" * 600


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def keras_zip(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps({"class_name": "Sequential"}))
        archive.writestr("model.weights.h5", b"x")
    return path


def test_formats_are_told_by_content_not_by_name(tmp_path):
    keras_zip(tmp_path / "model.h5")
    (tmp_path / "model.keras").write_bytes(HDF5_HEAD)
    (tmp_path / "blocked.keras").write_bytes(b"\0" * 512 + HDF5_HEAD)  # an HDF5 user block
    (tmp_path / "random.keras").write_bytes(b"not a model at all")
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "saved_model.pb").write_bytes(b"pb")
    assert sniff_format(tmp_path / "model.h5") is ArtifactFormat.keras_zip
    assert sniff_format(tmp_path / "model.keras") is ArtifactFormat.hdf5
    assert sniff_format(tmp_path / "blocked.keras") is ArtifactFormat.hdf5
    assert sniff_format(tmp_path / "random.keras") is ArtifactFormat.unknown
    assert sniff_format(tmp_path / "saved") is ArtifactFormat.saved_model


def test_a_submission_is_resolved_once_with_its_sources_artifact_and_record(catalog, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "model.py").write_text("def build_model(): ...\n")
    (folder / "notes.md").write_text("# notes\n")
    (folder / "model.h5").write_bytes(HDF5_HEAD)
    record = {"task": "task8.1", "seed": 42, "epochs": 1, "recipe_epochs": 5, "batch_size": 64, "labels": "int",
              "validation_split": 0.0, "train_size": 100, "history": {}, "epoch_times_s": [1.0], "total_s": 1.0,
              "tensorflow": "2.11.0", "keras": "2.11.0", "device": "GPU", "python": "3.8.10"}
    (folder / "train.json").write_text(json.dumps(record))
    sub = intake(catalog.get("task8.1"), folder, "grade")
    assert sub.model is not None and sub.model.name == "model.h5" and sub.model.format is ArtifactFormat.hdf5
    assert sub.model.size == len(HDF5_HEAD) and sub.model.mtime > 0
    assert {s.name for s in sub.sources} == {"model.py", "notes.md", "train.json"}
    assert sub.trained_with is not None and sub.trained_with.tensorflow == "2.11.0"
    assert sub.notebook_cells is None


def test_model_keras_wins_over_model_h5_and_a_code_folder_called_model_is_no_artifact(catalog, tmp_path):
    folder = tmp_path / "s"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "layers.py").write_text("x = 1\n")
    (folder / "model.py").write_text("def build_model(): ...\n")
    sub = intake(catalog.get("task8.1"), folder, "grade")
    assert sub.model is None and sub.has_source("model/layers.py")
    keras_zip(folder / "model.keras")
    (folder / "model.h5").write_bytes(HDF5_HEAD)
    both = intake(catalog.get("task8.1"), folder, "grade")
    assert both.model.name == "model.keras"
    # ... and the student is told, in one line, which one is graded and what to do (#12)
    assert both.notes == ("found model.h5 beside model.keras: tutor grades model.keras only; delete model.h5, "
                          "or save the model once, with model.save('model.keras')",)
    (folder / "model.keras").unlink()
    alone = intake(catalog.get("task8.1"), folder, "grade")
    assert alone.model.name == "model.h5" and alone.notes == ()


@pytest.mark.parametrize("kind, words", [
    ("savedmodel", ("SavedModel", "model.save('model.keras')")),
    ("random", ("corrupt",)),
    ("empty", ("empty", "0 bytes")),
])
def test_unusable_artifacts_have_one_line_reasons(catalog, tmp_path, kind, words):
    folder = tmp_path / "s"
    folder.mkdir()
    if kind == "savedmodel":
        (folder / "model").mkdir()
        (folder / "model" / "saved_model.pb").write_bytes(b"pb")
    elif kind == "random":
        (folder / "model.keras").write_bytes(b"garbage" * 100)
    else:
        (folder / "model.keras").write_bytes(b"")
    sub = intake(catalog.get("task8.1"), folder, "grade")  # grading from an artifact needs no model.py
    reason = sub.model.problem(folder)
    assert reason and "\n" not in reason and all(w in reason for w in words), reason
    with pytest.raises(StagingError):
        sub.model.copy_to(tmp_path / "in", folder)


def test_the_copy_is_sniffed_again_and_staged_under_its_formats_name(catalog, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "model.keras").write_bytes(HDF5_HEAD)
    sub = intake(catalog.get("task8.1"), folder, "grade")
    assert sub.model.copy_to(tmp_path / "in", folder).name == "model.h5"
    keras_zip(folder / "model.keras")  # swapped after intake
    with pytest.raises(StagingError, match="changed while it was being graded"):
        sub.model.copy_to(tmp_path / "in2", folder)


def test_missing_folder_and_missing_model_py_are_one_line_errors(catalog, tmp_path):
    with pytest.raises(StagingError, match="no such folder"):
        intake(catalog.get("task8.1"), tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StagingError, match="no model.py"):
        intake(catalog.get("task8.1"), tmp_path / "empty", "check")
