"""Red team on main (session 2): real attacks through the real `tutor` binary, each one a
finding that was fixed. What held is listed in /work/notes/part-red.md."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.conftest import run_tutor
from tutor.batch.cells import risky

# Folder names that survive the batch's student-id rule ([A-Za-z0-9._@+-]) as formulas.
FORMULAS = ("@SUM(A1)", "-2+3+cmd", "+1-1")


def _tutor(course: Path, *args: str, timeout: float = 900):
    return run_tutor(*args, cwd=course, env={"TUTOR_CONFIG": ""}, timeout=timeout)


def _course_with_a_manual_check(tmp_path: Path) -> Path:
    (tmp_path / "tutor.toml").write_text('exercise_dirs = ["packs"]\npacks = ["fashion"]\n')
    made = _tutor(tmp_path, "author", "new", "fm1", "--pack", "fashion")
    assert made.returncode == 0, made.stderr
    assert 'kind = "manual"' in (tmp_path / "packs" / "fashion" / "fm1" / "exercise.toml").read_text()
    return tmp_path


def test_marks_csv_runs_no_student_formula_and_marks_still_reach_the_student(tmp_path):
    """marks.csv is the file the instructor opens in a spreadsheet to type rubric points. A
    student folder named like a formula (OWASP CSV injection) must reach it neutralised, and the
    points typed next to it must still be counted for that student."""
    course = _course_with_a_manual_check(tmp_path)
    subs = course / "handed-in"
    students = FORMULAS + ("alice",)
    for student in students:
        (subs / student).mkdir(parents=True)
        # A syntax error grades in a second, no training: the manual row is written all the same.
        (subs / student / "model.py").write_text("def build_model(:\n    pass\n")
    out = course / "out"
    first = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
    assert first.returncode in (0, 1), first.stderr
    rows = list(csv.reader((out / "marks.csv").open(newline="")))
    formulas = [cell for row in rows for cell in row if risky(cell)]
    assert formulas == [], f"marks.csv holds cells a spreadsheet runs: {formulas}"
    # The instructor fills in points in the spreadsheet and saves it as it shows.
    marks = list(csv.DictReader((out / "marks.csv").open(newline="")))
    assert len(marks) == len(students) and len({m["student"] for m in marks}) == len(students)
    points = {m["student"]: str(i % 2 + 1) for i, m in enumerate(marks)}
    for m in marks:
        m["points"] = points[m["student"]]
    with (out / "marks.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(marks[0]))
        writer.writeheader()
        writer.writerows(marks)
    again = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
    assert again.returncode in (0, 1), again.stderr
    assert "not counted" not in again.stderr
    book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(newline=""))}
    shown = {m["student"]: m["points"] for m in marks}
    assert len(book) == len(students)
    for cell, row in book.items():
        assert row["manual_points"] == shown[cell], (cell, row["manual_points"], shown[cell])


NOTEBOOK_MODEL = (
    "import keras\n"
    "model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),\n"
    "                          keras.layers.Dense(10, activation='softmax')])\n"
    "model.compile('adam', 'sparse_categorical_crossentropy', ['accuracy'])\n"
)


def _notebook(path: Path, *sources: str) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, str(path))


def test_a_fifo_notebook_or_model_py_beside_a_notebook_does_not_block_check_or_batch(tmp_path):
    """`lab.ipynb` that is a FIFO, and a FIFO `model.py` beside a real notebook: the trusted
    side opened both with a blocking read (the notebook reader, and the "is model.py still the
    starter" comparison), so `tutor check` hung for good and each such student held a batch
    worker until the per-submission timeout, then got "timed out" instead of the reason."""
    import os

    subs = tmp_path / "subs"
    for student in ("fifo_nb", "fifo_py", "honest"):
        (subs / student).mkdir(parents=True)
    os.mkfifo(subs / "fifo_nb" / "lab.ipynb")
    _notebook(subs / "fifo_py" / "lab.ipynb", NOTEBOOK_MODEL)
    os.mkfifo(subs / "fifo_py" / "model.py")
    _notebook(subs / "honest" / "lab.ipynb", NOTEBOOK_MODEL)
    # The student's own check (run_tutor's timeout turns a hang into a test failure).
    check = run_tutor("check", "task8.1", "--path", str(subs / "fifo_nb"), timeout=300)
    assert check.returncode == 1 and "lab.ipynb is not a regular file" in check.stderr, check.stderr
    check = run_tutor("check", "task8.1", "--path", str(subs / "fifo_py"), timeout=300)
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    # The instructor's batch: each row says why, none waits for the timeout.
    out = tmp_path / "out"
    batch = run_tutor("batch", str(subs), "--task", "task8.1", "--out", str(out), "--timeout", "400", timeout=1200)
    assert batch.returncode in (0, 1), batch.stderr
    book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(newline=""))}
    assert set(book) == {"fifo_nb", "fifo_py", "honest"}
    assert "lab.ipynb is not a regular file" in book["fifo_nb"]["reason"], book["fifo_nb"]
    for row in book.values():
        assert "timed out" not in row["reason"], row


def test_marks_saved_by_a_spreadsheet_are_kept_not_wiped(tmp_path):
    """A careless (ordinary) instructor: marks.csv typed in Excel and saved as "CSV UTF-8"
    (a BOM, CRLF), or in a locale whose list separator is `;`, or as legacy "CSV" (cp1252).
    Before: the BOM renamed the `student` column and `;` made one column, so every typed mark
    was dropped without a word and marks.csv rewritten with the points empty; cp1252 text was
    "unreadable", so the same. Now the first two are read; the third is refused in one line and
    the file is left as it was."""
    course = _course_with_a_manual_check(tmp_path)
    subs = course / "handed-in"
    for student in ("alice", "bob"):
        (subs / student).mkdir(parents=True)
        (subs / student / "model.py").write_text("def build_model(:\n    pass\n")
    out = course / "out"
    assert _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out)).returncode in (0, 1)
    header, *rows = list(csv.reader((out / "marks.csv").open(newline="")))
    points = {"alice": "2", "bob": "1.5"}
    for row in rows:
        row[header.index("points")] = points[row[0]]
        row[header.index("comment")] = "très bien"

    def saved(delimiter: str, encoding: str) -> bytes:
        import io

        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
        return buffer.getvalue().encode(encoding)

    for delimiter, encoding in ((",", "utf-8-sig"), (";", "utf-8-sig"), ("\t", "utf-8")):
        (out / "marks.csv").write_bytes(saved(delimiter, encoding))
        again = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
        assert again.returncode in (0, 1), again.stderr
        book = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open(newline=""))}
        assert {s: book[s]["manual_points"] for s in points} == points, (delimiter, encoding)
        kept = {row["student"]: row for row in csv.DictReader((out / "marks.csv").open(newline=""))}
        assert {s: kept[s]["points"] for s in points} == points and kept["bob"]["comment"] == "très bien"
    legacy = saved(",", "cp1252")
    (out / "marks.csv").write_bytes(legacy)
    refused = _tutor(course, "batch", str(subs), "--task", "fm1", "--out", str(out))
    assert refused.returncode == 2 and "marks.csv" in refused.stderr and "UTF-8" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert (out / "marks.csv").read_bytes() == legacy


HIDDEN_TRAINING = {
    # An honest notebook's own training helper, as a method: the syntax tree sees no `fit` call.
    "method": "class Trainer:\n    def go(self):\n        model.fit(x, y, epochs=1)\n"
              "        raise RuntimeError('TRAINED-IN-CHECK')\n\nTrainer().go()\n",
    "getattr": "getattr(model, 'f' + 'it')(x, y, epochs=1)\nraise RuntimeError('TRAINED-IN-CHECK')\n",
    "exec": "exec('model.fit(x, y, epochs=1)')\nraise RuntimeError('TRAINED-IN-CHECK')\n",
    "default argument": "def later(h=model.fit(x, y, epochs=1)):\n    pass\nraise RuntimeError('TRAINED-IN-CHECK')\n",
    "optimizer step": "import tensorflow as tf\nwith tf.GradientTape() as tape:\n"
                      "    loss = keras.losses.SparseCategoricalCrossentropy()(y, model(x))\n"
                      "model.optimizer.apply(tape.gradient(loss, model.trainable_weights), "
                      "model.trainable_weights)\nraise RuntimeError('TRAINED-IN-CHECK')\n",
}


def test_tutor_check_never_trains_a_notebook_even_where_the_syntax_tree_sees_no_training(tmp_path):
    """`tutor check` runs a notebook's cells only up to where training starts, decided on the
    syntax tree. Training reached through a method, getattr, exec, a default argument or a bare
    optimizer step was not seen, so check trained (each cell here raises right after its
    training call, so "trained" shows as that error). Now Keras' training entry points stop the
    cells wherever they are called from, and the model built above is checked as usual."""
    build = (NOTEBOOK_MODEL.replace("Flatten(),", "Conv2D(4, 3), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),")
             + "import numpy as np\nx = np.zeros((8, 28, 28, 1)); y = np.zeros(8)\n")
    for name, cell in HIDDEN_TRAINING.items():
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        _notebook(folder / "lab.ipynb", build, cell)
        check = run_tutor("check", "task8.1", "--path", str(folder), "--json", timeout=600)
        assert "TRAINED-IN-CHECK" not in check.stdout + check.stderr, (name, check.stdout[-2000:])
        report = json.loads(check.stdout)
        builds = next(c for c in report["checks"] if c["id"] == "model-builds")
        assert builds["status"] == "passed", (name, builds)


PTRACE_THE_RELAY = '''import ctypes, os


def build_model():
    libc = ctypes.CDLL(None, use_errno=True)
    relay = os.getppid()  # J: our code, which holds the result pipe
    attached = libc.ptrace(16, relay, 0, 0)  # PTRACE_ATTACH
    if attached == 0:
        os.waitpid(relay, 0x40000000)
        libc.ptrace(17, relay, 0, 0)  # PTRACE_DETACH: J could have been made to say anything
    raise RuntimeError("PTRACE-ATTACH=%d" % attached)
'''


def test_the_student_process_cannot_ptrace_the_relay_that_holds_the_result_pipe(tmp_path):
    """#13 put a relay J (our code) between the student's process S and the result pipe. S has
    J's uid (and, at level namespaces, capabilities in the job's user namespace) and there is
    no Yama here, so S could PTRACE_ATTACH to J (it did: attach=0, J stopped) and then rewrite
    what J relays. J is now non-dumpable from before the fork, so the attach is refused."""
    (tmp_path / "model.py").write_text(PTRACE_THE_RELAY)
    check = run_tutor("check", "task8.1", "--path", str(tmp_path), "--json", timeout=600)
    report = json.loads(check.stdout)
    builds = next(c for c in report["checks"] if c["id"] == "model-builds")
    assert "PTRACE-ATTACH=-1" in builds["message"], builds["message"]
