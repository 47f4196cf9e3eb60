"""`tutor author check`: starters fail `check`, reference solutions pass it."""

import json
import shutil
from pathlib import Path

from exercises import Task, load_catalog
from grader.api import Grader
from tests.conftest import run_tutor
from tutor.cli.author import judge

REPO = Path(__file__).parent.parent
SOLUTIONS = REPO / "solutions"
# Every book task tutor can check on this machine (8.5 needs the staged MobileNetV2 weights).
BOOK = ["task7.2", "task7.3", "task8.1", "task8.2", "task8.3", "task8.4"]


def test_book_starters_fail_and_solutions_pass():
    result = run_tutor("author", "check", *BOOK, "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    verdicts = {v["task"]: v for v in json.loads(result.stdout)}
    assert sorted(verdicts) == sorted(BOOK)
    for verdict in verdicts.values():
        assert verdict["ok"] and verdict["starter"] == "failed" and verdict["solution"] == "passed"


def test_a_starter_that_already_passes_is_caught(tmp_path):
    task = load_catalog().get("task8.2")
    shutil.copytree(SOLUTIONS / "task8.2", tmp_path / "starter")  # "starter" = the solution
    with Grader() as grader:
        verdict = judge(Task(spec=task.spec, folder=tmp_path), SOLUTIONS, grader)
    assert not verdict.ok and verdict.starter == "passed"
    assert "starter already passes" in verdict.problems[0]


def test_a_missing_or_broken_solution_is_caught(tmp_path):
    task = load_catalog().get("task8.4")
    with Grader() as grader:
        missing = judge(task, tmp_path, grader)
        shutil.copytree(task.starter, tmp_path / "task8.4")  # the "solution" is the starter
        broken = judge(task, tmp_path, grader)
    assert "no reference solution" in missing.problems[0]
    assert broken.solution == "failed" and "does not pass: job-script" in broken.problems[0]


def test_human_output_and_exit_code_for_a_bad_solutions_folder(tmp_path):
    shutil.copytree(REPO / "exercises" / "packs" / "book" / "task8.3" / "starter", tmp_path / "task8.3")
    result = run_tutor("author", "check", "task8.3", "--solutions", str(tmp_path), timeout=120,
                       env={"COLUMNS": "160"})  # wide enough that the verdict cell is one line
    assert result.returncode == 1
    # the job has not run (no logs: not yet, skipped), so the first failure is the empty SUMMARY.md
    assert "the reference solution does not pass: summary" in result.stdout
    assert "1 task(s) not ready: task8.3" in result.stderr


def test_train_proves_a_shipped_solution_with_the_real_grader():
    """One shipped task (the CI subset; docs/authoring.md and the closing note of #18 give the
    figures of every pack): trained with its recipe on CPU, graded, above its bar."""
    result = run_tutor("author", "check", "task7.2", "--train", "--json", timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    trained = json.loads(result.stdout)[0]["trained"]
    assert trained["status"] == "passed" and trained["bar"] == 0.83
    assert trained["accuracy"] >= 0.83 and trained["train_images"] == 60000 and trained["epochs"] == 5
