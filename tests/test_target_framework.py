"""The target framework is data (the cluster profile's [framework]); script checks follow it."""

from __future__ import annotations

import json
import shutil

import pytest

from hpc.profiles import load_profile
from tests.conftest import REPO, run_tutor

BOOK_MNIST = REPO / "tests" / "fixtures" / "frameworks" / "book_MNIST.py"


def test_shipped_profiles_declare_what_their_jobs_train_with(tmp_path):
    mn5 = load_profile("mn5").framework
    assert (mn5.tensorflow, mn5.keras, mn5.python, mn5.keras_major, mn5.writes_hdf5_keras) == ("2.11.0", "2.11.0", "3.8", 2, True)
    local = load_profile("local").framework
    assert local.own and local.resolved().keras and local.keras_major == 3
    (tmp_path / "site.toml").write_text('extends = "mn5"\naccount = "g"\n[framework]\nkeras = "3.3.3"\nbackend = "torch"\n')
    site = load_profile("site", tmp_path).framework
    assert site.keras_major == 3 and site.backend == "torch" and "Keras 3.3.3 (torch)" in site.label


@pytest.mark.parametrize("profile, passes", [("mn5", True), ("local", False)])
def test_the_books_mnist_py_passes_check_on_keras2_targets_only(tmp_path, profile, passes):
    folder = tmp_path / "task8.2"
    folder.mkdir()
    shutil.copy(BOOK_MNIST, folder / "MNIST.py")
    config = tmp_path / "tutor.toml"
    config.write_text(f'profile = "{profile}"\n')
    result = run_tutor("check", "task8.2", "--path", str(folder), "--json", env={"TUTOR_CONFIG": str(config)}, timeout=300)
    report = json.loads(result.stdout)
    offline = {c["id"]: c for c in report["checks"]}["offline-data"]
    assert (result.returncode == 0) is passes, result.stdout[-2000:]
    if passes:
        assert offline["status"] == "passed" and "TensorFlow 2.11.0, Keras 2.11.0" in report["meta"]["target"]
    else:
        assert "Keras 3 refuses it" in offline["message"]


def test_a_report_says_which_framework_trained_the_artifact_and_which_graded_it():
    from grader.report import Report
    from tutor.report_view import provenance

    report = Report(task="task8.1", status="passed", score=1.0, points=10, max_points=10, checks=[], duration_s=1.0,
                    meta={"tensorflow": "2.21.0", "keras": "3.15.1",
                          "artifact": {"name": "model.keras", "format": "hdf5"},
                          "train": {"tensorflow": "2.11.0", "keras": "2.11.0", "backend": ""}})
    assert str(provenance(report)) == ("model.keras (legacy Keras HDF5 file) trained with TensorFlow 2.11.0 / "
                                       "Keras 2.11.0; graded with TensorFlow 2.21.0 / Keras 3.15.1")
    report.meta["train"] = {"tensorflow": "none", "keras": "3.15.1", "backend": "torch"}
    report.meta["artifact"]["format"] = "keras-zip"
    assert "trained with Keras 3.15.1 on torch" in str(provenance(report))
    report.meta["train"] = None
    assert "unknown framework (no readable train.json)" in str(provenance(report))


def test_hints_speak_the_courses_framework_and_fall_back_to_the_common_hint(tmp_path):
    """Task 8.2's second hint has a Keras 2 and a Keras 3 text ([hints_for]); the others are common."""
    from exercises import load_catalog
    from exercises.target import TargetFramework

    spec = load_catalog().get("task8.2").spec
    seen = {}
    for profile in ("mn5", "local"):
        config = tmp_path / f"{profile}.toml"
        config.write_text(f'profile = "{profile}"\n')
        env = {"TUTOR_CONFIG": str(config), "TUTOR_HOME": str(tmp_path / profile)}
        first, second = (run_tutor("hint", "task8.2", env=env) for _ in range(2))
        assert first.returncode == second.returncode == 0, first.stderr + second.stderr
        assert spec.hints[0] in first.stdout  # common to both
        seen[profile] = second.stdout
    assert spec.hints_for.keras2[2] in seen["mn5"] and "Keras 3" not in seen["mn5"]
    assert spec.hints_for.keras3[2] in seen["local"] and "byte-identical" not in seen["local"]
    # a target the pack wrote nothing for gets the common hint
    plain = spec.model_copy(update={"hints_for": None})
    assert plain.hints_for_target(TargetFramework(keras="2.15.0")) == spec.hints
