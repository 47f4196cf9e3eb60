"""Student state: progress and hints, atomic and locked; corruption is moved aside, not fatal."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from exercises import load_catalog
from tutor.state import student_progress as prog
from tutor.state.student_progress import (
    ProgressCorrupt,
    TaskStatus,
    load_progress,
    progress_path,
    record_hint,
    record_result,
    record_start,
)
from tutor.state.workspace import WorkspaceError, start_workspace, submission_dir


def test_hints_are_counted_and_capped():
    assert [record_hint("task8.1", 3) for _ in range(5)] == [1, 2, 3, 3, 3]
    assert load_progress().task("task8.1").hints_shown == 3
    assert load_progress().task("task8.1").status is TaskStatus.in_progress


def test_results_move_the_status_forward():
    record_result("task8.1", "check", "failed", 0.4)
    assert load_progress().task("task8.1").status is TaskStatus.in_progress
    record_result("task8.1", "check", "passed", 1.0)
    assert load_progress().task("task8.1").status is TaskStatus.checks_pass
    record_result("task8.1", "grade", "passed", 0.9)
    entry = load_progress().task("task8.1")
    assert entry.status is TaskStatus.graded and entry.best_score == 0.9
    record_result("task8.1", "grade", "failed", 0.5)  # a worse regrade keeps the best
    assert load_progress().task("task8.1").best_score == 0.9


@pytest.mark.parametrize("garbage", ["{not json", '{"tasks": {"task8.1": {"status": "bogus"}}}', "\x00\xff"])
def test_a_corrupt_progress_file_is_moved_aside_with_a_warning(garbage):
    path = progress_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(garbage, errors="surrogateescape") if "\x00" not in garbage else path.write_bytes(b"\x00\xff")
    with pytest.warns(ProgressCorrupt, match="moved it to progress.json.corrupt-"):
        assert load_progress().tasks == {}
    moved = list(path.parent.glob("progress.json.corrupt-*"))
    assert len(moved) == 1
    record_hint("task8.1", 3)  # and life goes on
    assert json.loads(path.read_text())["tasks"]["task8.1"]["hints_shown"] == 1


def _hint_many(home: str, n: int) -> None:
    import os

    os.environ["TUTOR_HOME"] = home
    for _ in range(n):
        prog.record_hint("task8.1", 1000)


def test_concurrent_processes_lose_no_update(isolated_home):
    home = str(isolated_home / "state")
    workers = [multiprocessing.Process(target=_hint_many, args=(home, 25)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert load_progress().task("task8.1").hints_shown == 100


def test_start_copies_the_starter_and_never_overwrites_edits(tmp_path):
    task = load_catalog().get("task8.1")
    first = start_workspace(task, tmp_path)
    assert sorted(first.created) == ["NOTES.md", "model.py"]
    model = first.path / "model.py"
    model.write_text("# my edits\n")
    second = start_workspace(task, tmp_path)
    assert second.created == [] and sorted(second.kept) == ["NOTES.md", "model.py"]
    assert model.read_text() == "# my edits\n"
    record_start(task.id, first.path)
    assert load_progress().task("task8.1").workspace == str(first.path)


def test_an_unusable_workspace_root_says_why(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="cannot create the workspace"):
        start_workspace(load_catalog().get("task8.1"), blocker)


def test_submission_dir_prefers_path_then_workspace_then_cwd(tmp_path, monkeypatch):
    task = load_catalog().get("task8.1")
    monkeypatch.chdir(tmp_path)
    assert submission_dir(task, tmp_path / "root", None) == tmp_path
    (tmp_path / "root" / "task8.1").mkdir(parents=True)
    assert submission_dir(task, tmp_path / "root", None) == tmp_path / "root" / "task8.1"
    assert submission_dir(task, tmp_path / "root", Path("elsewhere")) == tmp_path / "elsewhere"
