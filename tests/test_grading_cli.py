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
    assert not (folder / "model.keras").exists()


def test_check_on_the_untouched_starter_fails_with_one_line_reason(tmp_path):
    folder = tmp_path / "starter"
    shutil.copytree(BOOK / "task8.1" / "starter", folder)
    result = run_tutor("check", "task8.1", "--path", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("tutor:")]
    assert len(lines) == 1 and "changed" in lines[0] and "baseline" in lines[0]
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
