"""The fit_callbacks check kind: the training script hands fit() the Keras callbacks a task asks
for (ModelCheckpoint so a job stopped at its time limit keeps its best epoch, EarlyStopping so it
stops spending the allocation). Read by AST, never run; judged through the real grader."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from exercises.schema import Exercise
from grader.checks import CheckContext, run_checks
from grader.report import CheckResult
from tests.conftest import REPO, run_tutor

TASK = """id = "cb1"
title = "A training script that survives its time limit"
chapter = 1
order = 1
kind = "script"
summary = "Train the CNN with a checkpoint and early stopping."
files = ["train.py"]
hints = ["a", "b", "c"]

[[checks]]
id = "callbacks"
kind = "fit_callbacks"
file = "train.py"
callbacks = ["ModelCheckpoint", "EarlyStopping"]
points = 2
{more}
"""

HEAD = "import keras\nfrom keras.callbacks import EarlyStopping, ModelCheckpoint\nmodel = build()\n"


def judge(tmp_path: Path, script: str, more: str = "") -> CheckResult:
    spec = Exercise.model_validate(tomllib.loads(TASK.format(more=more)))  # as the catalog reads it
    folder = tmp_path / "sub"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(script)
    (result,) = run_checks(CheckContext(spec=spec, submission=folder, mode="check"))
    return result


def test_callbacks_given_directly_pass(tmp_path):
    result = judge(tmp_path, HEAD + "model.fit(x, y, epochs=5, callbacks=[keras.callbacks.ModelCheckpoint("
                   "'best.keras', save_best_only=True), EarlyStopping(patience=2)])\n")
    assert result.status == "passed" and result.points == 2, result.message
    assert "line 4: fit(callbacks=[... ModelCheckpoint(...) ...])" in result.message


def test_callbacks_through_names_lists_append_and_subclasses_pass(tmp_path):
    script = HEAD + (
        "class Patient(EarlyStopping):\n    pass\n"
        "stop = Patient(patience=3)\n"
        "callbacks = [stop]\n"
        "callbacks.append(ModelCheckpoint('best.keras'))\n"
        "model.fit(x, y, callbacks=callbacks + [])\n")
    assert judge(tmp_path, script).status == "passed"


def test_a_callback_made_but_not_handed_to_fit_fails_with_what_to_do(tmp_path):
    result = judge(tmp_path, HEAD + "stop = EarlyStopping()\ncheckpoint = ModelCheckpoint('m.keras')\n"
                   "model.fit(x, y, callbacks=[checkpoint])\n")
    assert result.status == "failed" and result.points == 0
    assert result.message == ("train.py: fit() is not given EarlyStopping: create it and pass "
                              "callbacks=[keras.callbacks.EarlyStopping(...)] to fit()")
    assert result.actual == "1 of 2"


def test_partial_credit_counts_each_callback(tmp_path):
    result = judge(tmp_path, HEAD + "model.fit(x, y, callbacks=[ModelCheckpoint('m.keras')])\n",
                   more="partial_credit = true")
    assert result.status == "failed" and result.points == 1.0


def test_the_book_solution_script_has_neither_callback(tmp_path):
    """The chapter 8 script as the course ships it trains for fixed epochs: the check tells."""
    result = judge(tmp_path, (REPO / "solutions" / "task8.2" / "MNIST.py").read_text())
    assert result.status == "failed" and "fit() is not given ModelCheckpoint, EarlyStopping" in result.message


def test_no_fit_a_missing_file_and_broken_python_each_fail_in_one_line(tmp_path):
    assert judge(tmp_path, HEAD).message == "train.py never calls fit(): train the model in it"
    broken = judge(tmp_path, HEAD + "model.fit(x, y, callbacks=[\n")
    assert broken.status == "failed" and broken.message.startswith("train.py: syntax error on line")
    (tmp_path / "sub" / "train.py").unlink()
    spec = Exercise.model_validate(tomllib.loads(TASK.format(more="")))
    (missing,) = run_checks(CheckContext(spec=spec, submission=tmp_path / "sub", mode="check"))
    assert missing.status == "failed" and "train.py: missing" in missing.message


def test_a_course_uses_the_kind_through_the_real_cli(tmp_path):
    """An instructor's pack declares the kind; `tutor check` grades it and `tutor author docs`
    documents it (both derived from the schema model, nothing else lists the kind)."""
    site = tmp_path / "site"
    (site / "cb1").mkdir(parents=True)
    (site / "pack.toml").write_text('id = "site"\ntitle = "Site pack"\n')
    (site / "cb1" / "exercise.toml").write_text(TASK.format(more=""))
    (site / "cb1" / "README.md").write_text("# Checkpoints\n")
    (tmp_path / "tutor.toml").write_text('exercise_dirs = ["site"]\npacks = ["site"]\n')
    work = tmp_path / "work"
    work.mkdir()
    (work / "train.py").write_text(HEAD + "model.fit(x, y, callbacks=[ModelCheckpoint('m.keras')])\n")
    env = {"TUTOR_CONFIG": ""}
    checked = run_tutor("check", "cb1", "--path", str(work), "--json", cwd=tmp_path, env=env)
    assert checked.returncode == 1, checked.stderr
    (row,) = json.loads(checked.stdout)["checks"]
    assert (row["kind"], row["status"]) == ("fit_callbacks", "failed") and "EarlyStopping" in row["message"]
    documented = run_tutor("author", "docs", cwd=tmp_path, env=env)
    assert documented.returncode == 0, documented.stderr
    section = documented.stdout.split("#### `fit_callbacks`", 1)[1].split("####", 1)[0]
    assert "Reads Python source, as a syntax tree (never run)." in section and "`callbacks`" in section
