"""`tutor check/grade/train/watch` end to end, through the real console script and sandbox."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_tutor

SOLUTIONS = REPO / "solutions"
BOOK = REPO / "exercises" / "packs" / "book"


def copy_solution(task: str, tmp_path: Path) -> Path:
    target = tmp_path / task
    shutil.copytree(SOLUTIONS / task, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_check_json_report_for_the_81_solution(tmp_path):
    folder = copy_solution("task8.1", tmp_path)
    result = run_tutor("check", "task8.1", "--path", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "passed" and report["task"] == "task8.1"
    assert report["model"]["total_params"] == 62346
    assert report["model"]["input_shape"] == [None, 28, 28, 1]
    by_id = {c["id"]: c for c in report["checks"]}
    assert by_id["changed"]["status"] == "passed"
    assert by_id["accuracy"]["status"] == "skipped"
    assert report["meta"]["tensorflow"] and report["meta"]["seed"] == 42
    assert report["meta"]["threads"] == 2 and report["meta"]["onednn"] is True  # a check records them too
    assert not (folder / "model.keras").exists()


def test_check_on_the_untouched_starter_fails_with_one_line_reason(tmp_path):
    folder = tmp_path / "starter"
    shutil.copytree(BOOK / "task8.1" / "starter", folder)
    result = run_tutor("check", "task8.1", "--path", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("tutor:")]
    assert len(lines) == 1 and "differs from the 62,346-parameter baseline" in lines[0]
    assert "62,346" in result.stdout


def test_check_of_a_missing_folder_is_exit_2(tmp_path):
    result = run_tutor("check", "task8.1", "--path", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no such folder" in result.stderr


def test_check_without_model_py_names_the_command(tmp_path):
    result = run_tutor("check", "task8.1", "--path", str(tmp_path))
    assert result.returncode == 2
    assert "no model.py" in result.stderr and "tutor start task8.1" in result.stderr


def test_check_records_progress(tmp_path):
    folder = copy_solution("task7.3", tmp_path)
    assert run_tutor("check", "task7.3", "--path", str(folder)).returncode == 0
    listing = json.loads(run_tutor("list", "--json").stdout)
    status = {row["task"]: row["status"] for row in listing}
    assert status["task7.3"] == "checks pass"


# ------------------------------------------------------------------------------ author check


def test_author_check_every_starter_fails_and_every_solution_passes(tmp_path):
    """Like rustlings' `dev check`: the book's model tasks, through one long-lived Grader."""
    from exercises import load_catalog
    from grader.api import Grader

    catalog = load_catalog()
    tasks = [t for t in catalog if t.spec.pack == "book" and t.spec.kind.value == "model" and not t.spec.weights]
    assert {t.id for t in tasks} >= {"task7.2", "task7.3", "task8.1"}
    with Grader() as grader:
        for task in tasks:
            starter = grader.check(task, task.starter)
            solution = grader.check(task, SOLUTIONS / task.id)
            assert starter.status == "failed", (task.id, [c.message for c in starter.failed_checks()])
            assert solution.status == "passed", (task.id, [c.message for c in solution.failed_checks()])


# ------------------------------------------------------------------------------ grade and train


def test_grade_without_an_artifact_names_the_command(tmp_path):
    folder = copy_solution("task8.1", tmp_path)
    result = run_tutor("grade", "task8.1", "--path", str(folder), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    accuracy = {c["id"]: c for c in report["checks"]}["accuracy"]
    assert accuracy["status"] == "missing" and "tutor train task8.1" in accuracy["message"]
    assert report["accuracy"] is None and report["model"]["total_params"] == 62346


def test_train_one_epoch_writes_artifacts_and_grades(tmp_path):
    folder = copy_solution("task7.3", tmp_path)
    result = run_tutor("train", "task7.3", "--path", str(folder), "--epochs", "1", "--json")
    assert result.returncode in (0, 1), result.stderr
    assert "epoch 1/1" in result.stderr
    record = json.loads((folder / "train.json").read_text())
    assert record["epochs"] == 1 and record["recipe_epochs"] == 5 and record["seed"] == 42
    assert record["batch_size"] == 32 and record["train_size"] == 60000
    assert len(record["epoch_times_s"]) == 1 and len(record["history"]["loss"]) == 1
    assert record["tensorflow"] and record["keras"] and record["device"].startswith(("CPU", "GPU"))
    report = json.loads(result.stdout)
    assert report["accuracy"] > 0.9
    assert report["meta"]["train"]["seed"] == 42 and report["meta"]["seed"] == 42
    # grading again later uses the artifact alone and gets the same accuracy
    again = json.loads(run_tutor("grade", "task7.3", "--path", str(folder), "--json").stdout)
    assert again["accuracy"] == report["accuracy"]
    assert again["checks"][0]["id"] == "model-loads"
    # the confusion matrix (rows: true class) agrees with the accuracy, over all 10,000 images
    matrix = again["meta"]["confusion_matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == 10000
    assert [sum(row) for row in matrix] == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert sum(matrix[i][i] for i in range(10)) / 10000 == again["accuracy"]


def test_train_refuses_a_gpu_task_on_a_machine_without_gpu(tmp_path):
    folder = copy_solution("task8.5", tmp_path)
    result = run_tutor("train", "task8.5", "--path", str(folder), env={"CUDA_VISIBLE_DEVICES": ""})
    assert result.returncode == 2
    assert "tutor submit task8.5" in result.stderr and "--local" in result.stderr
    assert not (folder / "model.keras").exists()


def test_train_an_uncompiled_model_is_exit_2(tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(BOOK / "task7.2" / "starter", folder)
    result = run_tutor("train", "task7.2", "--path", str(folder), "--epochs", "1")
    assert result.returncode == 2
    assert "not compiled" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "model.keras").exists()


def test_train_a_script_task_is_exit_2(tmp_path):
    result = run_tutor("train", "task8.2", "--path", str(tmp_path))
    assert result.returncode == 2 and "no model to train" in result.stderr


@pytest.mark.slow
def test_81_solution_full_recipe_reaches_the_accuracy(tmp_path):
    """Real training on real MNIST: the 5-epoch recipe, batch 100, seed 42 (about a minute)."""
    folder = copy_solution("task8.1", tmp_path)
    result = run_tutor("train", "task8.1", "--path", str(folder), "--json", timeout=1800)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "passed" and report["accuracy"] >= 0.975
    assert report["meta"]["train"]["epochs"] == 5
    graded = run_tutor("grade", "task8.1", "--path", str(folder), "--json")
    assert graded.returncode == 0 and json.loads(graded.stdout)["score"] == 1.0


@pytest.mark.slow
def test_72_solution_full_recipe_reaches_the_chapter_accuracy(tmp_path):
    folder = copy_solution("task7.2", tmp_path)
    result = run_tutor("train", "task7.2", "--path", str(folder), "--json", timeout=1800)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accuracy"] >= 0.85


# ------------------------------------------------------------------------------ watch


class Watcher:
    """`tutor watch` in a subprocess, its output collected line by line."""

    def __init__(self, folder: Path, *extra: str) -> None:
        import os
        import queue
        import subprocess
        import sys
        import threading

        exe = Path(sys.executable).with_name("tutor")
        self.proc = subprocess.Popen(
            [str(exe), "watch", "task8.1", "--path", str(folder), *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        import queue
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never appeared; output:\n{''.join(self.seen)}")

    def send(self, text: str) -> None:
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait(timeout=30)


@pytest.mark.parametrize("mode", ["events", "poll"])
def test_watch_reruns_on_save_and_on_r(tmp_path, mode):

    folder = copy_solution("task8.1", tmp_path)
    extra = ("--poll", "--interval", "0.3") if mode == "poll" else ()
    watcher = Watcher(folder, *extra)
    try:
        watcher.wait_for("check task8.1 · start")
        watcher.wait_for("watching")
        # Save until the watcher reports it: its file watch may still be starting (no fixed sleep).
        for attempt in range(24):
            (folder / "model.py").write_text("def build_model(:\n")
            try:
                watcher.wait_for("changed: model.py", timeout=5)
                break
            except AssertionError:
                if attempt == 23:
                    raise
        watcher.wait_for("syntax error")
        watcher.wait_for("watching")
        watcher.send("r\n")
        watcher.wait_for("re-run")
        watcher.wait_for("watching")
        watcher.send("q\n")
        assert watcher.proc.wait(timeout=30) == 0
    finally:
        watcher.close()


def test_same_layers_with_another_optimizer_counts_as_a_change(tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(BOOK / "task8.1" / "starter", folder)
    model_py = folder / "model.py"
    model_py.write_text(model_py.read_text().replace('optimizer="sgd"', 'optimizer="adam"'))
    report = json.loads(run_tutor("check", "task8.1", "--path", str(folder), "--json").stdout)
    changed = {c["id"]: c for c in report["checks"]}["changed"]
    assert changed["status"] == "passed" and "sgd -> adam" in changed["message"]
    assert report["model"]["optimizer"]["class_name"] == "Adam"


def test_a_guide_step_passes_once_confirmed(tmp_path):
    assert run_tutor("grade", "task7.1", "--path", str(tmp_path)).returncode == 1
    assert run_tutor("done", "task7.1").returncode == 0
    result = run_tutor("grade", "task7.1", "--path", str(tmp_path), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["score"] == 1.0
