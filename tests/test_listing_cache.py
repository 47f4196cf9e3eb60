"""Issue #15 item 7: `tutor list` reads its per-user listing cache only while every input is
unchanged; any edit shows at once. Through the real CLI. Speed is in bench/bench_cli.py.

Each test first proves the cache is read (a title changed by hand in the cache is what
`tutor list` shows), then changes an input and expects the real listing back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_tutor

TASK = """id = "{id}"
title = "{title}"
chapter = 1
order = {order}
kind = "guide"
summary = "Read the notes."
"""


def _course(tmp_path: Path, tasks: dict[str, str], packs: str = '["book", "site"]') -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "pack.toml").write_text('id = "site"\ntitle = "Site pack"\n')
    for order, (task_id, title) in enumerate(tasks.items(), 1):
        _task(site, task_id, title, order)
    (tmp_path / "tutor.toml").write_text(f'exercise_dirs = ["site"]\npacks = {packs}\n')
    return {"TUTOR_CONFIG": str(tmp_path / "tutor.toml")}


def _task(site: Path, task_id: str, title: str, order: int = 9) -> None:
    (site / task_id).mkdir()
    (site / task_id / "exercise.toml").write_text(TASK.format(id=task_id, title=title, order=order))
    (site / task_id / "README.md").write_text("# read\n")


def _titles(env: dict[str, str]) -> dict[str, str]:
    listed = run_tutor("list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return {row["task"]: row["title"] for row in json.loads(listed.stdout)}


def _cache() -> Path:
    return Path(os.environ["TUTOR_CACHE_DIR"]) / "listing.json"


def _cached_title(task_id: str) -> str:
    return next(r["title"] for r in json.loads(_cache().read_text())["listing"]["rows"] if r["task"] == task_id)


def _doctor_cache(task_id: str, title: str) -> None:
    """Change a title in the cache by hand, keeping its keys: shown only while they hold."""
    saved = json.loads(_cache().read_text())
    for row in saved["listing"]["rows"]:
        if row["task"] == task_id:
            row["title"] = title
    _cache().write_text(json.dumps(saved))


def _cache_is_read(env: dict[str, str], task_id: str = "fm1") -> None:
    _titles(env)  # fills the cache
    _doctor_cache(task_id, "FROM THE CACHE")
    assert _titles(env)[task_id] == "FROM THE CACHE"


def test_a_spec_edited_in_place_with_size_and_mtime_kept_shows_at_once(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers", "fm2": "Convolutions"})
    spec = tmp_path / "site" / "fm1" / "exercise.toml"
    assert _titles(env)["fm1"] == "Dense layers"
    _cache_is_read(env)
    before = spec.stat()
    with open(spec, "r+b") as handle:  # one letter, same file, same size
        text = handle.read()
        handle.seek(0)
        handle.write(text.replace(b"Dense layers", b"Dense lawers"))
    os.utime(spec, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = spec.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert _titles(env)["fm1"] == "Dense lawers"


def test_a_new_task_shows_and_a_deleted_one_disappears(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers", "fm2": "Convolutions"})
    _cache_is_read(env)
    _task(tmp_path / "site", "fm3", "Pooling")
    titles = _titles(env)
    assert titles["fm3"] == "Pooling" and titles["fm1"] == "Dense layers"
    (tmp_path / "site" / "fm2" / "exercise.toml").unlink()
    titles = _titles(env)
    assert "fm2" not in titles and "fm3" in titles
    (tmp_path / "site" / "fm3" / "README.md").unlink()  # a task without instructions is left out
    listed = run_tutor("list", env=env)
    assert "task fm3 left out" in listed.stderr and "fm3" not in listed.stdout


def test_the_config_selecting_packs_and_the_progress_file_show_at_once(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers"})
    _cache_is_read(env)
    (tmp_path / "tutor.toml").write_text('exercise_dirs = ["site"]\npacks = ["site"]\n')
    assert set(_titles(env)) == {"fm1"}
    _cache_is_read(env)
    assert run_tutor("done", "fm1", env=env).returncode == 0
    rows = json.loads(run_tutor("list", "--json", env=env).stdout)
    # Only the progress file is read again: the status is new, the (doctored) catalog part kept.
    assert rows == [{**rows[0], "task": "fm1", "title": "FROM THE CACHE", "status": "done"}]


def test_a_broken_spec_is_reported_on_every_run_cached_or_not(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers", "fm2": "Convolutions"})
    spec = tmp_path / "site" / "fm2" / "exercise.toml"
    spec.write_text(spec.read_text().replace('kind = "guide"', 'kind = "gide"'))
    runs = [run_tutor("list", env=env) for _ in range(2)]
    assert _cache().is_file()
    for listed in runs:
        assert listed.returncode == 0, listed.stderr
        assert "task fm2 left out" in listed.stderr and "(did you mean 'guide'?)" in listed.stderr
        assert "1 spec problem(s)" in listed.stderr and "fm1" in listed.stdout
    assert runs[0].stdout == runs[1].stdout


def test_a_corrupt_or_reshaped_cache_is_ignored_and_rewritten(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers"})
    _titles(env)
    saved = json.loads(_cache().read_text())
    for bad in ("{not json", json.dumps({**saved, "listing": {**saved["listing"], "rows": "fm1"}}),
                json.dumps({**saved, "listing": {**saved["listing"], "statuses": {"fm1": 7}}}), "[]"):
        _cache().write_text(bad)
        listed = run_tutor("list", env=env)
        assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
        assert "Dense layers" in listed.stdout
        assert _cached_title("fm1") == "Dense layers"


def test_a_cache_folder_other_users_can_write_to_is_neither_read_nor_written(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers"})
    _titles(env)
    _doctor_cache("fm1", "PLANTED")  # as if another user had written it
    _cache().parent.chmod(0o777)
    assert _titles(env)["fm1"] == "Dense layers"
    assert _cached_title("fm1") == "PLANTED"  # not rewritten either


def test_a_warm_list_builds_neither_the_schema_nor_the_config_model(tmp_path):
    """Nor after a progress-only change (a check, a grade, `tutor done`): only that is re-read."""
    env = _course(tmp_path, {"fm1": "Dense layers"})
    _titles(env)
    probe = ("import sys; sys.argv = ['tutor', 'list']\n"
             "from tutor.cli.app import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "heavy = sorted(m for m in ('exercises.schema', 'pydantic_settings', 'tutor.config', 'tensorflow',\n"
             "                                'pydantic')\n"
             "               if m in sys.modules)\n"
             "print('HEAVY', heavy, file=sys.stderr)\n")
    # A hit imports no pydantic at all (typer's --help flag is a bool: tutor.cli.lazy_group.BoolHelp),
    # nor after `tutor done`: the statuses of the progress file tutor wrote are noted with it.
    for expected in ("not started", "done"):
        result = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **env},
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert "Dense layers" in result.stdout and "HEAVY []" in result.stderr, result.stderr
        assert expected in result.stdout
        assert run_tutor("done", "fm1", env=env).returncode == 0


def test_a_progress_file_tutor_did_not_write_is_read_and_validated(tmp_path):
    env = _course(tmp_path, {"fm1": "Dense layers"})
    _cache_is_read(env)
    assert run_tutor("done", "fm1", env=env).returncode == 0  # noted with the bytes it wrote
    progress = Path(os.environ["TUTOR_HOME"]) / "progress.json"
    progress.write_text(progress.read_text().replace('"done"', '"in progress"'))  # by hand
    rows = json.loads(run_tutor("list", "--json", env=env).stdout)
    assert [r["status"] for r in rows if r["task"] == "fm1"] == ["in progress"]
    progress.write_text("{not json")
    listed = run_tutor("list", env=env)
    assert listed.returncode == 0 and "progress file" in listed.stderr and "moved it to" in listed.stderr
    assert "not started" in listed.stdout and not progress.exists()
