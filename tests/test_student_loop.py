"""Issue #19 through the real `tutor` CLI: a student is never misled. Timeouts and output
floods say where; a typo gets "did you mean"; one root cause per report; words that match the
state with the next step; the task comes from the workspace folder."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_tutor


@pytest.fixture(autouse=True)
def book_only(isolated_home):
    (isolated_home / "tutor.toml").write_text('packs = ["book"]\n')


def workspace(isolated_home: Path, task_id: str, model: str | None = None) -> Path:
    assert run_tutor("start", task_id).returncode == 0
    folder = isolated_home / "work" / task_id
    if model is not None:
        (folder / "model.py").write_text(model)
    return folder


LOOP = """import keras
from keras import layers


def build_model():
    n = 0
    while True:
        n += 1
"""

FLOOD = """import keras


def build_model():
    step = 0
    while True:
        step += 1
        print(f"step {step}: still building " + "." * 200)
"""


def test_a_timeout_names_the_line_that_was_running(isolated_home):
    workspace(isolated_home, "task7.3", LOOP)
    proc = run_tutor("check", "task7.3", env={"TUTOR_SANDBOX_TIMEOUT": "8"})
    assert proc.returncode in (1, 2), proc.stdout + proc.stderr
    reason = proc.stderr.strip().splitlines()[-1]
    assert "did not finish within the 8 s time limit" in reason
    assert "model.py line 8 (in build_model) was running" in reason, reason
    assert "Traceback" not in proc.stderr


def test_an_output_flood_shows_the_last_lines_and_where(isolated_home):
    workspace(isolated_home, "task7.3", FLOOD)
    proc = run_tutor("check", "task7.3")
    reason = proc.stderr.strip().splitlines()[-1]
    assert "printed more than 8 MiB" in reason
    assert "it last printed: 'step " in reason and "still building" in reason, reason
    assert "model.py line" in reason and "(in build_model)" in reason


TYPO = (REPO / "solutions" / "task7.3" / "model.py").read_text()


def test_a_typo_in_a_keras_name_is_one_root_cause_with_did_you_mean(isolated_home):
    assert "layers.Dense(" in TYPO
    workspace(isolated_home, "task7.3", TYPO.replace("layers.Dense(", "layers.Dence(", 1))
    proc = run_tutor("check", "task7.3", env={"COLUMNS": "100"})
    assert proc.returncode == 1
    assert "did you mean `layers.Dense`?" in proc.stderr
    # The AttributeError is said once (the model-builds row), not once per check.
    assert proc.stdout.count("has no attribute 'Dence'") == 1, proc.stdout
    assert "not checked until that is fixed:" in proc.stdout
    # Checks are named by the same words in the table and in the problem lines.
    assert "no convolutions yet (that is chapter 8)" in proc.stdout and "dense-only" not in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("Next: fix")


def test_mobilenet_without_input_shape_says_which_weights_are_staged(isolated_home, tmp_path_factory):
    from tests.weights_support import build_weights, stage_in_keras_home

    stage_in_keras_home(build_weights(tmp_path_factory.mktemp("weights")))
    solution = (REPO / "solutions" / "task8.5" / "model.py").read_text()
    trap = re.sub(r"input_shape=\(96, 96, 3\),?\s*", "", solution)
    assert trap != solution
    workspace(isolated_home, "task8.5", trap)
    proc = run_tutor("check", "task8.5")
    reason = proc.stderr.strip().splitlines()[-1]
    assert "only the 96x96 MobileNetV2 ImageNet weights are staged" in reason, proc.stderr
    assert "input_shape=(96, 96, 3)" in reason
    assert "URL fetch failure" not in proc.stdout + proc.stderr
