"""Integrity flags: identical trained weights (not file bytes) and identical normalised source."""

from __future__ import annotations

import shutil

import pytest

from exercises import load_catalog
from grader.report import Report
from tutor.batch.fingerprint import fingerprints, source_fingerprint
from tutor.batch.integrity import find_groups, write_report
from tutor.batch.models import StoredResult

TASK = load_catalog().get("task8.1")
STARTER = (TASK.starter / "model.py").read_text()

RENAMED = '''
import keras
from keras import layers as L

# my own CNN (honest!)
def build_model():
    """Different docstring."""
    net = keras.Sequential([keras.Input(shape=(28, 28, 1)),
        L.Conv2D(32, (3, 3), activation="relu"), L.Flatten(), L.Dense(10, activation="softmax")])
    net.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return net
'''
ORIGINAL = RENAMED.replace("net", "model").replace("L.", "layers.").replace(" as L", "").replace(
    "# my own CNN (honest!)", "").replace('"""Different docstring."""', '"""Build it."""')


def test_source_fingerprint_ignores_comments_docstrings_layout_and_names(tmp_path):
    a, b, c = (tmp_path / n for n in "abc")
    for folder, text in ((a, ORIGINAL), (b, RENAMED), (c, ORIGINAL.replace("(3, 3)", "(5, 5)"))):
        folder.mkdir()
        (folder / "model.py").write_text(text)
    assert source_fingerprint(a) == source_fingerprint(b)
    assert source_fingerprint(a) != source_fingerprint(c)
    (c / "model.py").write_text("def broken(:\n")
    assert "does not parse" in fingerprints(c).notes[0]


@pytest.mark.tf
def test_weights_fingerprint_sees_through_a_resave_and_catches_a_perturbation(tmp_path):
    import keras
    import numpy as np

    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=1, verbose=0)
    for name in ("orig", "resaved", "tweaked"):
        (tmp_path / name).mkdir()
    model.save(tmp_path / "orig" / "model.keras")
    again = keras.models.load_model(tmp_path / "orig" / "model.keras")
    again.save(tmp_path / "resaved" / "model.keras")
    weights = again.get_weights()
    weights[0][0, 0] += 1e-3
    again.set_weights(weights)
    again.save(tmp_path / "tweaked" / "model.keras")
    prints = {n: fingerprints(tmp_path / n).weights for n in ("orig", "resaved", "tweaked")}
    assert (tmp_path / "orig" / "model.keras").read_bytes() != (tmp_path / "resaved" / "model.keras").read_bytes()
    assert prints["orig"] == prints["resaved"] != prints["tweaked"]
    # Keras 2's model.h5 (legacy HDF5) is what the grader grades in its place: same weights, same print
    (tmp_path / "h5").mkdir()
    model.save(tmp_path / "h5" / "model.h5")
    assert fingerprints(tmp_path / "h5").weights == prints["orig"]
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "model.keras").write_bytes(b"PK\x03\x04 not really")
    assert fingerprints(tmp_path / "junk").weights is None


def _result(student: str, folder) -> StoredResult:
    return StoredResult(student=student, task="task8.1", content_hash=student * 8, spec_hash="s",
                        origin=str(folder), report=Report.could_not_grade("task8.1", "n/a"),
                        fingerprints=fingerprints(folder), graded_at="t", wall_s=0.0)


def test_report_groups_copied_source_but_not_the_untouched_starter(tmp_path):
    folders = {}
    for student, text in (("ann", ORIGINAL), ("ben", RENAMED), ("cat", STARTER), ("dan", STARTER),
                          ("eve", ORIGINAL.replace("adam", "sgd"))):
        folders[student] = tmp_path / student
        folders[student].mkdir()
        (folders[student] / "model.py").write_text(text)
    report = find_groups(TASK, [_result(s, f) for s, f in folders.items()])
    assert [(g.kind, g.students) for g in report.groups] == [("source", ["ann", "ben"])]
    write_report(tmp_path, report)
    text = (tmp_path / "integrity.txt").read_text()
    assert "ann, ben" in text and "not a grade" in text
    shutil.rmtree(folders["eve"])
