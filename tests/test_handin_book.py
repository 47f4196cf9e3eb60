"""Hand-in of a real book task: `tutor handin` runs the real grader's check (TensorFlow in its
sandbox) first, refuses the untouched baseline with the failing check, and records versions."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from exercises.catalog import load_catalog
from tests.conftest import REPO, run_tutor
from tests.handin_env import folder_of


@pytest.mark.tf
def test_book_task_is_checked_before_hand_in(isolated_home, tmp_path):
    area = tmp_path / "handin"
    assert run_tutor("course", "init", str(area), "--group", "root").returncode == 0
    task = load_catalog().get("task8.1")
    starter = tmp_path / "starter"
    shutil.copytree(task.starter, starter)
    for sub in (starter, tmp_path / "solution"):
        if sub.name == "solution":
            shutil.copytree(REPO / "solutions" / "task8.1", sub)
        (sub / "model.keras").write_bytes(b"trained weights stand here")  # check does not load it
        (sub / "train.json").write_text("{}\n")

    bare = run_tutor("handin", "task8.1", "--path", str(REPO / "solutions" / "task8.1"))
    assert bare.returncode == 2
    assert "model.keras, train.json: made by tutor train task8.1" in bare.stderr

    refused = run_tutor("handin", "task8.1", "--path", str(starter))
    assert refused.returncode == 2, refused.stdout
    assert "required checks fail" in refused.stderr and "changed:" in refused.stderr
    assert not (folder_of(area, "root") / "task8.1").exists() or not [
        n for n in os.listdir(folder_of(area, "root") / "task8.1") if n.startswith("attempt-")]

    done = run_tutor("handin", "task8.1", "--path", str(tmp_path / "solution"))
    assert done.returncode == 0, done.stderr
    assert "attempt 1" in done.stdout and "no deadline set" in done.stdout
    attempt = folder_of(area, "root") / "task8.1" / "attempt-001"
    manifest = json.loads((attempt / "manifest.json").read_text())
    assert sorted(f["path"] for f in manifest["files"]) == ["NOTES.md", "model.keras", "model.py", "train.json"]
    assert manifest["check"]["status"] == "passed" and manifest["check"]["failed_required"] == []
    assert manifest["tensorflow_version"] and manifest["keras_version"]
    assert (attempt / "model.py").read_bytes() == (REPO / "solutions" / "task8.1" / "model.py").read_bytes()
