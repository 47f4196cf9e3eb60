"""Issue #18: grading a four-student class of an instructor's own pack with the real CLI:
several input shapes, partial credit, "missing", hidden checks, manual marks, late penalties,
feedback without instructor paths and with the student's own error."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import run_tutor

DEADLINE = datetime(2026, 11, 20, 23, 59, tzinfo=timezone(timedelta(hours=1)))

BOB_28x28 = '''import keras
from keras import layers


def build_model():
    model = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(),
                              layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
'''


def _tutor(course: Path, *args: str, timeout: float = 900):
    return run_tutor(*args, cwd=course, env={"TUTOR_CONFIG": ""}, timeout=timeout)


def _rows(path: Path) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader(path.open())}


def _course(tmp_path: Path) -> Path:
    (tmp_path / "tutor.toml").write_text(
        'exercise_dirs = ["packs"]\nsolutions_dir = "solutions"\npacks = ["fashion"]\n'
        f'late_penalty_per_day = 0.1\nlate_penalty_max = 0.5\n\n[deadlines]\nfm1 = {DEADLINE.isoformat()}\n')
    assert _tutor(tmp_path, "author", "new", "fm1", "--pack", "fashion").returncode == 0
    assert _tutor(tmp_path, "author", "new", "fm2", "--pack", "fashion", "--kind", "script").returncode == 0
    spec = tmp_path / "packs" / "fashion" / "fm1" / "exercise.toml"
    # Cheap for a test: students train one epoch on 3,000 images; a bar they reach.
    text = spec.read_text().replace("# train_subset = 10000", "train_subset = 3000").replace(
        "epochs = 3", "epochs = 1").replace("min = 0.84", "min = 0.5")
    text += '\n[[checks]]\nid = "big-enough"\nkind = "total_params"\nmin = 60000\nhidden = true\nrequired = false\n'
    spec.write_text(text)
    return tmp_path


def test_a_four_student_class_is_graded_as_the_docs_say(tmp_path):
    course = _course(tmp_path)
    subs = course / "handed-in" / "fm1"
    for student in ("alice", "bob", "carol", "dave"):
        (subs / student).mkdir(parents=True)
    (subs / "alice" / "model.py").write_text((course / "solutions" / "fm1" / "model.py").read_text())
    (subs / "bob" / "model.py").write_text(BOB_28x28)
    (subs / "carol" / "model.py").write_text("import keras\n\ndef build_model(:\n    return None\n")
    (subs / "dave" / "model.py").write_text((course / "solutions" / "fm1" / "model.py").read_text())
    for student in ("alice", "bob"):
        trained = _tutor(course, "train", "fm1", "--path", str(subs / student))
        assert trained.returncode == 0, trained.stdout + trained.stderr
    # The student sees no hidden check; bob's 28x28 model is accepted and scored.
    graded = json.loads(_tutor(course, "grade", "fm1", "--path", str(subs / "bob"), "--json").stdout)
    ids = {c["id"]: c for c in graded["checks"]}
    assert "big-enough" not in ids and ids["input-shape"]["status"] == "passed" and graded["accuracy"] > 0.5
    assert ids["notes"]["status"] == "manual" and graded["max_points"] == 8
    # tutor collect's record of hand-in times: bob 26 hours late.
    rows = [{"student": s, "status": "collected", "late_by_s": -60.0} for s in ("alice", "carol", "dave")]
    rows.append({"student": "bob", "status": "collected", "late_by_s": 26 * 3600.0})
    (subs / ".collect.json").write_text(json.dumps({
        "task": "fm1", "area": "/srv/handin", "out": str(subs), "deadline": DEADLINE.isoformat(),
        "on_time_only": False, "collected_at": datetime.now(timezone.utc).isoformat(), "rows": rows}))
    out = course / "grades" / "fm1"
    batch = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
    assert batch.returncode in (0, 1), batch.stderr
    book = _rows(out / "gradebook.csv")
    assert book["alice"]["status"] == "passed" and book["alice"]["points"] == "9"
    assert book["alice"]["max_points"] == "9"  # the hidden check counts for the instructor
    assert book["bob"]["status"] == "passed" and book["bob"]["failed_checks"] == "big-enough"  # a bonus
    assert book["bob"]["late_days"] == "2" and book["bob"]["late_penalty"] == "0.20"
    assert book["carol"]["status"] == "failed" and "syntax" in book["carol"]["reason"]
    assert book["dave"]["failed_checks"] == "accuracy"
    carol = (out / "feedback" / "carol.txt").read_text()
    assert "model.py line 3" in carol and "syntax" in carol
    dave_text = (out / "feedback" / "dave.txt").read_text()
    assert "∅ missing" in dave_text and "no model.keras in your submission" in dave_text
    for text in (carol, dave_text, (out / "feedback" / "bob.txt").read_text()):
        assert str(course) not in text and "handed-in" not in text and "tutor-sandbox" not in text
    # Manual marks: fill marks.csv, rerun the same command (nothing regraded).
    marks = list(csv.DictReader((out / "marks.csv").open()))
    assert [(m["student"], m["check"], m["max_points"]) for m in marks][0] == ("alice", "notes", "2")
    for m in marks:
        m["points"] = {"alice": "2", "bob": "1.5", "carol": "", "dave": "abc"}[m["student"]]
    with (out / "marks.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(marks[0]))
        writer.writeheader()
        writer.writerows(marks)
    again = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
    assert "dave, notes: points 'abc' is not a number from 0 to 2" in again.stderr
    book = _rows(out / "gradebook.csv")
    assert (book["alice"]["manual_points"], book["alice"]["total_points"], book["alice"]["total_max"]) == ("2", "11", "11")
    assert book["alice"]["final_score"] == "1.0000" and book["dave"]["manual_points"] == ""
    bob_total = float(book["bob"]["total_points"])
    assert book["bob"]["final_score"] == f"{bob_total / 11 * 0.8:.4f}"
    assert list(csv.DictReader((out / "marks.csv").open()))[0]["points"] == "2"  # kept
    bob = (out / "feedback" / "bob.txt").read_text()
    assert "marked by your instructor: 1.5 points" in bob and "penalty 20%" in bob


def test_a_script_task_earns_partial_credit_and_missing_files_say_so(tmp_path):
    course = _course(tmp_path)
    subs = course / "handed-in" / "fm2"
    solution = (course / "solutions" / "fm2" / "train.py").read_text()
    for student in ("alice", "bob", "carol", "dave"):
        (subs / student).mkdir(parents=True)
    (subs / "alice" / "train.py").write_text(solution)
    (subs / "bob" / "train.py").write_text(solution.replace('print("Test accuracy:", test_acc)', "pass"))
    (subs / "carol" / "train.py").write_text("!pip install keras\n" + solution)
    out = course / "grades" / "fm2"
    batch = _tutor(course, "batch", str(subs), "--task", "fm2", "--out", str(out))
    assert batch.returncode in (0, 1), batch.stderr
    book = _rows(out / "gradebook.csv")
    assert book["alice"]["points"] == "4"
    assert book["bob"]["points"] == "3.5" and book["bob"]["status"] == "failed"  # 5 of 6: 2.5 of 3, +1
    assert "prints the test accuracy" in (out / "feedback" / "bob.txt").read_text() or "accuracy" in book["bob"]["reason"]
    assert book["dave"]["points"] == "0" and "∅ missing" in (out / "feedback" / "dave.txt").read_text()
    assert "line 1" in (out / "feedback" / "carol.txt").read_text()
