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
