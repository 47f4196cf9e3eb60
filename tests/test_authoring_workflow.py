"""Issue #18: an instructor's own pack from `tutor author new` to a proven solution, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_tutor


def _course(tmp_path: Path) -> Path:
    (tmp_path / "tutor.toml").write_text('exercise_dirs = ["packs"]\nsolutions_dir = "solutions"\n'
                                         'packs = ["fashion"]\n')
    return tmp_path


def _tutor(course: Path, *args: str, timeout: float = 900):
    return run_tutor(*args, cwd=course, env={"TUTOR_CONFIG": ""}, timeout=timeout)


def test_author_new_writes_skeletons_that_load_and_pass_author_check(tmp_path):
    course = _course(tmp_path)
    model = _tutor(course, "author", "new", "fm1", "--pack", "fashion")
    assert model.returncode == 0, model.stderr
    assert "packs/fashion/fm1/exercise.toml" in model.stdout and "solutions/fm1/model.py" in model.stdout
    script = _tutor(course, "author", "new", "fm2", "--pack", "fashion", "--kind", "script")
    assert script.returncode == 0, script.stderr
    spec = (course / "packs" / "fashion" / "fm1" / "exercise.toml").read_text()
    assert "# needs_gpu = true" in spec and "# eval_subset = 2000" in spec and 'kind = "manual"' in spec
    again = _tutor(course, "author", "new", "fm1", "--pack", "fashion")
    assert again.returncode == 2 and "exists already" in again.stderr
    listed = _tutor(course, "list", "--json")
    assert [row["task"] for row in json.loads(listed.stdout)] == ["fm1", "fm2"], listed.stderr
    checked = _tutor(course, "author", "check", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    verdicts = {v["task"]: v for v in json.loads(checked.stdout)}
    assert verdicts["fm1"]["starter"] == "failed" and verdicts["fm1"]["solution"] == "passed"
    assert verdicts["fm2"]["starter"] == "failed" and verdicts["fm2"]["solution"] == "passed"


def test_train_proves_the_solution_reaches_the_bar_and_refuses_a_useless_optimizer(tmp_path):
    course = _course(tmp_path)
    assert _tutor(course, "author", "new", "fm1", "--pack", "fashion").returncode == 0
    spec = course / "packs" / "fashion" / "fm1" / "exercise.toml"
    proven = _tutor(course, "author", "check", "fm1", "--train", "--json")
    assert proven.returncode == 0, proven.stdout + proven.stderr
    trained = json.loads(proven.stdout)[0]["trained"]
    assert trained["status"] == "passed" and trained["accuracy"] >= trained["bar"] == 0.84
    assert trained["train_images"] == 60000
    # A solution that cannot learn: the structural checks pass, the trained model does not.
    solution = course / "solutions" / "fm1" / "model.py"
    solution.write_text(solution.read_text().replace(
        'optimizer="adam"', "optimizer=keras.optimizers.SGD(learning_rate=1e-6)"))
    spec.write_text(spec.read_text().replace("labels = \"categorical\"", "labels = \"categorical\"\nproof_subset = 3000"))
    refused = _tutor(course, "author", "check", "fm1", "--train", "--json")
    assert refused.returncode == 1, refused.stdout
    verdict = json.loads(refused.stdout)[0]
    assert verdict["solution"] == "passed" and verdict["trained"]["status"] == "failed"
    assert verdict["trained"]["train_images"] == 3000 and verdict["trained"]["accuracy"] < 0.84
    assert "trained with the recipe, does not pass: accuracy" in verdict["problems"][0]
    human = _tutor(course, "author", "check", "fm1", "--train")
    assert "1 task(s) not ready: fm1" in human.stderr
