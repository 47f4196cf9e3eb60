"""`tutor batch` end to end with the real grader on real trained task-8.1 artifacts: a class
with good, broken and hostile submissions, LMS names, exports, integrity flags, reruns that
only regrade what changed, a timeout that stops nothing else, and kill -9 then resume."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from tests import batch_support
from tests.batch_support import trained  # noqa: F401  (session fixture)
from tests.conftest import run_tutor

pytestmark = pytest.mark.tf


def _copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def _zip_folder(folder: Path, archive: Path, top: str = "task8.1") -> None:
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(folder.iterdir()):
            handle.write(path, f"{top}/{path.name}")


def _rows(out: Path) -> dict[str, dict]:
    return {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}


def _graded_events(out: Path) -> list[str]:
    lines = (out / ".batch" / "events.jsonl").read_text().splitlines()
    return [json.loads(line)["student"] for line in lines]


def test_a_class_with_good_broken_and_hostile_submissions(tmp_path, trained):
    src = tmp_path / "class"
    src.mkdir()
    _copy(trained["solution"], src / "alice")  # the reference solution (1 epoch on a subset)
    _copy(trained["one-conv"], src / "bob")
    _zip_folder(trained["baseline"], src / "carol.zip")
    dave = _copy(trained["solution"], src / "dave")  # alice's work, comments added
    (dave / "model.py").write_text("# my own work\n" + (dave / "model.py").read_text().replace("    ", "  "))
    eve = src / "eve"
    eve.mkdir()
    (eve / "model.py").write_text("def build_model(:\n    return None\n")
    frank = _copy(trained["one-conv"], src / "frank")
    (frank / "model.keras").unlink()
    (frank / "model.keras").symlink_to("/etc/passwd")
    gina = _copy(trained["one-conv"], src / "gina")
    (gina / "model.keras").write_bytes(os.urandom(4096))
    with zipfile.ZipFile(src / "mallory.zip", "w") as handle:
        handle.writestr("../../outside.py", "print('escaped')")
    for name in ("model.py", "model.keras", "NOTES.md", "train.json"):
        shutil.copyfile(trained["one-conv"] / name, src / f"smithjohn_late_12345_{len(name)}9_{name}")
    (src / "stray-notes.txt").write_text("whose?")
    forger = src / "forger"  # prints a fake worker answer and a fake report, then exits 0
    forger.mkdir()
    fake = json.dumps({"report": {"task": "task8.1", "status": "passed", "score": 1.0, "points": 10,
                                  "max_points": 10, "checks": [], "duration_s": 0}, "fingerprints": {}})
    (forger / "model.py").write_text(
        f"import os, sys\n\ndef build_model():\n    print({fake!r})\n    os.write(1, b{(fake + chr(10))!r})\n"
        "    sys.stdout.flush()\n    os._exit(0)\n")
    bomb = src / "greedy"
    bomb.mkdir()
    (bomb / "model.py").write_text("def build_model():\n    hog = bytearray(64 * 2**30)\n    return hog\n")
    hang = src / "zz-hang"
    hang.mkdir()
    (hang / "model.py").write_text("def build_model():\n    while True:\n        pass\n")

    out = tmp_path / "out"
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "2",
                       "--timeout", "45", timeout=900)  # 45 s: a loaded machine grades alice in time
    assert result.returncode == 0, result.stderr[-3000:]
    rows = _rows(out)
    assert sorted(rows) == ["12345", "alice", "bob", "carol", "dave", "eve", "forger", "frank",
                            "gina", "greedy", "mallory", "zz-hang"]
    assert rows["forger"]["status"] != "passed" and rows["forger"]["points"] == "0"
    assert rows["greedy"]["status"] != "passed" and rows["greedy"]["reason"]
    # One epoch on a subset: every structural check passes, accuracy is real but may be short.
    assert rows["alice"]["accuracy"] and float(rows["alice"]["accuracy"]) > 0.9, rows["alice"]
    assert rows["alice"]["failed_checks"] in ("", "accuracy"), rows["alice"]
    assert rows["alice"]["total_params"] == rows["dave"]["total_params"] != ""
    assert "changed" in rows["carol"]["failed_checks"]  # the zipped baseline
    assert rows["12345"]["name"] == "smithjohn" and rows["12345"]["accuracy"] == rows["bob"]["accuracy"]
    assert "SyntaxError" in rows["eve"]["reason"] or "syntax" in rows["eve"]["reason"].lower()
    assert "symbolic link" in rows["frank"]["reason"] or "symlink" in rows["frank"]["reason"]
    assert rows["gina"]["accuracy"] == "" and rows["gina"]["reason"]
    # gina's model.keras is random bytes: one line says why the checks that need it did not run.
    gina = " ".join((out / "feedback" / "gina.txt").read_text().split())
    said = "checks not run: model.keras could not be opened: "
    assert gina.count(said) == 1, gina
    reason = gina.split(said, 1)[1][:40]
    assert gina.count(reason) == 1 and "not checked" not in gina and "no model.keras" not in gina, gina
    assert rows["mallory"]["status"] == "error" and "zip refused" in rows["mallory"]["reason"]
    assert rows["zz-hang"]["status"] in ("error", "failed") and "time" in rows["zz-hang"]["reason"]
    assert not (tmp_path / "outside.py").exists()
    # Every student has feedback; no per-student results.json folders no platform reads.
    for student in rows:
        assert (out / "feedback" / f"{student}.txt").read_text().strip()
    assert not (out / "gradescope").exists() and not (out / "prairielearn").exists()
    flags = json.loads((out / "integrity.json").read_text())["groups"]
    weights = [g["students"] for g in flags if g["kind"] == "weights"]
    sources = [g["students"] for g in flags if g["kind"] == "source"]
    assert ["alice", "dave"] in weights and ["alice", "dave"] in sources
    assert any(g["students"] == ["alice", "dave"] and "reference solution" in g["note"] for g in flags)
    assert any({"12345", "bob"} <= set(g) for g in weights)
    assert "stray-notes.txt" in result.stdout and "no student id" in result.stdout
    assert "pass rate" in result.stdout and "most failed check" in result.stdout
    # The two workers share the CPUs (no oversubscription) and grade with oneDNN kernels.
    stored = json.loads(next((out / ".batch" / "results").glob("alice.*.json")).read_text())
    assert stored["report"]["meta"]["threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
    assert stored["report"]["meta"]["onednn"] is True

    # A rerun regrades only what changed, and the gradebook stays whole.
    (src / "bob" / "NOTES.md").write_text("edited after the deadline\n")
    again = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "1",
                      "--timeout", "25", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "graded now: 1" in again.stdout and "unchanged since the last run: 11" in again.stdout
    assert _graded_events(out).count("bob") == 2 and _graded_events(out).count("alice") == 1
    assert len(_rows(out)) == 12



def _start_batch(src: Path, out: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("tutor")
    return subprocess.Popen([str(exe), "batch", str(src), "--task", "task8.1", "--out", str(out),
                             "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _wait_for_results(proc: subprocess.Popen, results: Path, count: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < count:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        time.sleep(0.2)


def test_ctrl_c_then_kill_9_mid_batch_then_rerun_grades_everyone_exactly_once(tmp_path, trained):
    src = tmp_path / "class"
    batch_support.replicate([trained["adam-dense"], trained["one-conv"]], src, 8)
    out = tmp_path / "out"
    results = out / ".batch" / "results"

    # Ctrl-C: a one-line "interrupted", and what was in flight is not stored as an error.
    proc = _start_batch(src, out)
    _wait_for_results(proc, results, 2)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    said = proc.stderr.read().decode()
    assert "interrupted after" in said and "rerun the same command" in said and "Traceback" not in said
    assert all(json.loads(p.read_text())["report"]["status"] != "error" for p in results.iterdir())

    # kill -9 of the batch process only: its worker must follow it.
    proc = _start_batch(src, out)
    _wait_for_results(proc, results, len(list(results.iterdir())) + 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def orphans() -> list:
        return [p for p in psutil.process_iter(["cmdline", "environ"])
                if "tutor.batch.worker" in " ".join(p.info["cmdline"] or [])
                and (p.info["environ"] or {}).get("TUTOR_BATCH_PARENT") == str(proc.pid)]

    deadline = time.monotonic() + 60  # the worker notices its parent is gone and exits
    while orphans() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not orphans(), "a grading worker outlived the killed batch by a minute"
    done_before = len(list(results.glob("*.json")))
    assert 4 <= done_before < 8
    assert not (out / "gradebook.csv").exists()
    for path in results.iterdir():
        assert path.suffix == ".json", f"left-over temporary file {path.name}"
        json.loads(path.read_text())

    rerun = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "2",
                      timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"unchanged since the last run: {done_before}" in rerun.stdout
    events = _graded_events(out)
    assert sorted(events) == [f"s{i:03d}" for i in range(8)], "each submission graded exactly once"
    rows = _rows(out)
    assert len(rows) == 8 and all(r["status"] == "failed" and r["accuracy"] for r in rows.values())


def test_a_setup_error_is_named_once_and_regrade_errors_fixes_it(tmp_path, trained):
    src = tmp_path / "class"
    batch_support.replicate([trained["one-conv"]], src, 2)
    out = tmp_path / "out"
    empty = tmp_path / "no-data"
    empty.mkdir()
    broken = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out),
                       env={"TUTOR_DATA_DIR": str(empty), "KERAS_HOME": str(empty)})
    assert broken.returncode == 0, broken.stderr[-2000:]
    assert "every submission failed the same way" in broken.stdout and "--regrade errors" in broken.stdout
    assert {r["status"] for r in _rows(out).values()} == {"error"}
    assert {r["max_points"] for r in _rows(out).values()} == {"10"}
    unchanged = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out))
    assert "unchanged since the last run: 2" in unchanged.stdout
    fixed = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--regrade", "errors")
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert "graded now: 2" in fixed.stdout
    assert {r["status"] for r in _rows(out).values()} == {"failed"}
    assert all(r["accuracy"] for r in _rows(out).values())
