"""The course's published parameter counts, reproduced through `tutor check` on real builds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO, run_tutor
from tests.weights_support import build_weights, stage_in_keras_home

BOOK = REPO / "exercises" / "packs" / "book"
SOLUTIONS = REPO / "solutions"


@pytest.fixture(scope="module")
def mobilenet_weights(tmp_path_factory):
    return build_weights(tmp_path_factory.mktemp("weights"))


def check_json(task: str, folder) -> dict:
    result = run_tutor("check", task, "--path", str(folder), "--json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "task, folder, total",
    [
        ("task7.2", SOLUTIONS / "task7.2", 7_960),  # chapter 7's first dense network
        ("task8.1", BOOK / "task8.1" / "starter", 62_346),  # chapter 8's baseline CNN
        ("lecture1", SOLUTIONS / "lecture1", 23_860),  # lecture model 1
        ("lecture4", SOLUTIONS / "lecture4", 289_630),  # lecture model 4
        ("lecture5", SOLUTIONS / "lecture5", 108_870),  # lecture model 5
    ],
)
def test_published_parameter_counts(task, folder, total):
    if not folder.is_dir():
        pytest.fail(f"{folder} is missing")
    report = check_json(task, folder)
    assert report["model"]["total_params"] == total
    assert report["model"]["trainable_params"] == total


def test_mobilenet_transfer_figures_with_staged_weights(mobilenet_weights):
    stage_in_keras_home(mobilenet_weights)
    report = check_json("task8.5", SOLUTIONS / "task8.5")
    assert report["status"] == "passed", report
    model = report["model"]
    assert (model["total_params"], model["trainable_params"]) == (2_270_794, 12_810)
    backbone = model["layers"][0]
    assert backbone["class_name"] == "Functional" and backbone["sublayers"] > 100
    assert backbone["frozen_sublayers"] == backbone["sublayers"]
    assert report["meta"]["weights"]["mobilenet_v2_96_no_top"].endswith(mobilenet_weights.name)


def test_mobilenet_task_without_staged_weights_says_how_to_stage_them():
    result = run_tutor("check", "task8.5", "--path", str(SOLUTIONS / "task8.5"))
    assert result.returncode == 2
    assert "tutor data stage mobilenet_v2_96_no_top" in result.stderr
    assert result.stderr.count("\n") == 1


def test_mobilenet_grade_on_the_stated_subset(mobilenet_weights, tmp_path):
    """8.5 on a CPU: graded on the spec's eval_subset with a confidence interval."""
    stage_in_keras_home(mobilenet_weights)
    folder = tmp_path / "s85"
    shutil.copytree(SOLUTIONS / "task8.5", folder)
    save = "import model; model.build_model().save('model.keras')"
    proc = subprocess.run([sys.executable, "-c", save], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = run_tutor("grade", "task8.5", "--path", str(folder), "--json")
    report = json.loads(result.stdout)
    assert report["meta"]["dataset"]["test_images"] == 1000
    accuracy = {c["id"]: c for c in report["checks"]}["accuracy"]
    assert "first 1,000 test images" in accuracy["message"] and "95 % interval" in accuracy["message"]
    assert report["accuracy"] is not None  # an untrained head on stand-in weights: scored, not passing
    assert result.returncode == 1
