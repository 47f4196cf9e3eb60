"""Issue #19 through the real `tutor` CLI: a student is never misled. Timeouts and output
floods say where; a typo gets "did you mean"; one root cause per report; words that match the
state with the next step; the task comes from the workspace folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
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
    assert re.search(r"model.py line [78] \(in build_model\) was running", reason), reason
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
    # The checks that need the model are summed up in one line with that cause, not repeated.
    not_run = [line for line in proc.stdout.splitlines() if re.match(r"\d+ checks not run: the model did not build: ", line)]
    assert len(not_run) == 1 and "has no attribute 'Dence'" in not_run[0], proc.stdout
    # Checks are named by the same words (titles) everywhere, not by their ids.
    assert "no convolutions yet" in proc.stdout and "dense-only" not in proc.stdout
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


def test_a_stale_model_keras_is_refused_with_the_command_that_fixes_it(isolated_home):
    """Train 7.3, add a Dropout to model.py, grade: not the old artifact's numbers, but the
    reason and `tutor train task7.3`. After a change tutor cannot see (a comment) the grade
    stands, flagged."""
    folder = workspace(isolated_home, "task7.3", TYPO)
    trained = run_tutor("train", "task7.3", "--epochs", "1")
    assert trained.returncode in (0, 1), trained.stderr
    assert (folder / "model.keras").is_file()
    graded = run_tutor("grade", "task7.3")
    assert "model.keras is not the model" not in graded.stderr

    with_dropout = TYPO.replace('layers.Dense(10, activation="softmax")',
                                'layers.Dropout(0.2),\n            layers.Dense(10, activation="softmax")')
    assert with_dropout != TYPO
    (folder / "model.py").write_text(with_dropout)
    stale = run_tutor("grade", "task7.3", "--json")
    report = json.loads(stale.stdout)
    assert stale.returncode == 2 and report["status"] == "error" and report["accuracy"] is None
    assert "model.keras is not the model your model.py builds now" in report["error"]
    before, after = re.search(r"model.keras has (\d+) layers.*build_model\(\) now returns (\d+) layers",
                              report["error"]).groups()
    assert int(after) == int(before) + 1  # the Dropout
    assert "`tutor train task7.3`" in report["error"]

    (folder / "model.py").write_text(TYPO + "\n# tried a comment\n")
    os.utime(folder / "model.py", (time.time() + 60, time.time() + 60))
    flagged = run_tutor("grade", "task7.3", "--json")
    report = json.loads(flagged.stdout)
    row = next(c for c in report["checks"] if c["id"] == "artifact-current")
    assert row["status"] == "failed" and not row["required"]
    assert re.search(r"model.py changed \d+ (s|min) after model.keras was trained", row["message"]), row["message"]
    assert "tutor train task7.3" in row["message"]
    assert report["accuracy"] is not None


def test_check_before_training_says_structure_ok_and_the_next_step(isolated_home):
    folder = workspace(isolated_home, "task7.3", TYPO)
    proc = run_tutor("check", cwd=folder, env={"COLUMNS": "100"})  # TASK from the folder
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.rstrip().splitlines()
    assert lines[-2].startswith("✔ task7.3 structure OK, 5 of 8 points"), lines[-2]
    assert lines[-1].startswith("Next: tutor train task7.3"), lines[-1]
    assert " passed " not in lines[-2]


def test_a_script_task_check_then_grade_say_what_each_means(isolated_home):
    folder = workspace(isolated_home, "task8.2")
    shutil.copy(REPO / "solutions" / "task8.2" / "MNIST.py", folder / "MNIST.py")
    checked = run_tutor("check", cwd=folder)
    assert checked.returncode == 0, checked.stderr
    assert "every check passes" in checked.stdout and "Next: tutor grade task8.2 records it as done" in checked.stdout
    graded = run_tutor("grade", cwd=folder / ".")
    assert graded.returncode == 0
    assert "task8.2 passed, " in graded.stdout
    assert "Next: tutor show task8.3" in graded.stdout
    listing = {row["task"]: row["status"] for row in json.loads(run_tutor("list", "--json").stdout)}
    assert listing["task8.2"] == "graded"


def test_outside_a_workspace_a_missing_task_is_one_line_that_says_what_to_do(tmp_path):
    proc = run_tutor("check", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "which task?" in proc.stderr and "tutor check task8.1" in proc.stderr


def test_task84_takes_mnist_py_from_83_and_dry_run_shows_what_sbatch_gets(isolated_home):
    fresh = run_tutor("start", "task8.4")
    assert "MNIST.py is not here yet: it is your script from task8.3 or task8.2" in fresh.stdout
    shutil.rmtree(isolated_home / "work" / "task8.4")
    earlier = workspace(isolated_home, "task8.3")
    shutil.copy(REPO / "solutions" / "task8.3" / "MNIST.py", earlier / "MNIST.py")
    started = run_tutor("start", "task8.4")
    folder = isolated_home / "work" / "task8.4"
    assert (folder / "MNIST.py").read_text() == (earlier / "MNIST.py").read_text()
    assert f"MNIST.py (yours, from {earlier})" in " ".join(started.stdout.split())

    own = (REPO / "solutions" / "task8.4" / "MNIST.slurm").read_text()
    (folder / "MNIST.slurm").write_text(own)
    dry = run_tutor("submit", "--dry-run", "--profile", "local", cwd=folder)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == own  # exactly what sbatch would get: the student's own script
    assert "which `tutor submit` hands to sbatch as it is" in dry.stderr
    assert "--- MNIST.slurm (submitted)" in dry.stderr and "+++ MNIST.slurm (tutor's rendering)" in dry.stderr
    assert dry.stderr.rstrip().endswith("Next: tutor submit task8.4")
    (folder / "MNIST.py").unlink()
    missing = run_tutor("submit", "--dry-run", "--profile", "local", cwd=folder)
    assert "MNIST.slurm runs MNIST.py, which is not in" in missing.stderr
