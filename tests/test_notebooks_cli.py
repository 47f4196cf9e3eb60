"""Notebook submissions through the real `tutor` binary: check, train, grade, export, submit's
job builder. Real notebooks (written by nbformat), real TensorFlow, real MNIST (a repack, not
the official file bytes, so a plain load_data() in a cell shows the sandbox's loaders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import notebook_support as nb
from tests.conftest import REPO, run_tutor

pytestmark = pytest.mark.tf


def check_json(*args: str, **kwargs) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_tutor("check", *args, "--json", **kwargs)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result, json.loads(result.stdout)


def figures(report: dict) -> dict:
    """What must be the same whether the model came from a notebook or from model.py."""
    model = report["model"]
    return {
        "params": (model["total_params"], model["trainable_params"], model["non_trainable_params"]),
        "shapes": (model["input_shape"], model["output_shape"]),
        "layers": [(layer["class_name"], layer["output_shape"], layer["params"]) for layer in model["layers"]],
        "checks": {c["id"]: (c["status"], c["points"]) for c in report["checks"] if c["id"] != "model-builds"},
    }


def test_chapter7_notebook_gives_the_figures_of_model_py(tmp_path):
    notebook = nb.chapter7(tmp_path / "lab" / "lab.ipynb")
    result, report = check_json("task7.3", "--path", str(notebook))
    assert result.returncode == 1  # the chapter's own network: "changed" fails, as for model.py
    assert report["model"]["total_params"] == 7960
    row = report["checks"][0]
    assert row["id"] == "model-builds" and row["status"] == "passed"
    assert "stopped before cell 5 line 1 (`model.fit(x_train, y_train, epochs=5)`)" in row["message"]
    assert report["meta"]["notebook"]["ran_cells"] == [2, 3, 4]
    starter = REPO / "exercises" / "packs" / "book" / "task7.3" / "starter"
    _, from_model_py = check_json("task7.3", "--path", str(starter))
    assert figures(report) == figures(from_model_py)


def test_chapter8_notebook_in_the_workspace_as_the_book_lays_it_out(tmp_path):
    """model cell, data cell (a plain mnist.load_data(), offline), fit cell, evaluate cell."""
    assert run_tutor("start", "task8.1").returncode == 0
    workspace = Path(os.environ["TUTOR_WORKSPACE_ROOT"]) / "task8.1"
    nb.chapter8(workspace / "cnn.ipynb")  # model.py is still the untouched starter: the notebook is graded
    result, report = check_json("task8.1")
    assert result.returncode == 1, result.stderr
    assert report["model"]["total_params"] == 62346
    stop = report["meta"]["notebook"]["stopped_at"]
    assert (stop["cell"], stop["line"], stop["why"]) == (4, 4, "trains (model.fit)")
    _, from_model_py = check_json("task8.1", "--path", str(REPO / "exercises" / "packs" / "book" / "task8.1" / "starter"))
    assert figures(report) == figures(from_model_py)


def test_colab_export_with_magics_passes_the_structural_checks(tmp_path):
    notebook = nb.colab_export(tmp_path / "colab" / "Copy_of_lab.ipynb")
    result = run_tutor("check", "task8.1", "--path", str(notebook))  # the human report
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "notebook Copy_of_lab.ipynb: ran 5 of 8 code cells, stopped before cell 7 line 2" in result.stderr
    assert "`!pip install -q tensorflow` not run (shell command)" in result.stderr
    assert "more left out" in result.stderr  # the notes beyond the first five are counted
    assert "task8.1 structure OK, 7 of 10 points" in result.stdout  # checked, not yet trained (#19)


def test_two_models_are_named_with_their_cells(tmp_path):
    result, report = check_json("task7.3", "--path", str(nb.two_models(tmp_path / "two" / "lab.ipynb")))
    assert result.returncode == 1
    reason = report["checks"][0]["message"]
    assert "2 compiled models: `model` (cell 2), `small` (cell 3)" in reason and "build_model()" in reason
    assert result.stderr.count("\n") == 1 and "`small` (cell 3)" in result.stderr


def test_a_cell_that_builds_and_trains_is_checked_without_training(tmp_path):
    """The cell's fit asks for a million epochs: had it run, the check would time out."""
    notebook = nb.trains_in_the_building_cell(tmp_path / "same" / "lab.ipynb")
    result, report = check_json("task7.3", "--path", str(notebook), env={"TUTOR_SANDBOX_TIMEOUT": "120"})
    assert report["model"]["total_params"] == 101770
    stop = report["meta"]["notebook"]["stopped_at"]
    assert stop["cell"] == 2 and "epochs=10**6" in stop["code"]
    assert report["accuracy"] is None and result.returncode == 0  # accuracy waits for `tutor train`


def test_no_model_and_model_only_after_training_say_what_to_do(tmp_path):
    result, report = check_json("task7.3", "--path", str(nb.no_model(tmp_path / "none" / "lab.ipynb")))
    assert result.returncode == 1 and "makes no keras.Model" in report["checks"][0]["message"]
    late = nb.model_only_after_training(tmp_path / "late" / "lab.ipynb")
    result, report = check_json("task7.3", "--path", str(late))
    reason = report["checks"][0]["message"]
    assert result.returncode == 1
    assert "no keras.Model before cell 3 line 1" in reason
    assert "`model` (cell 3)" in reason and "build and compile it in a cell above the training cells" in reason


def test_build_model_defined_in_a_notebook_comes_first(tmp_path):
    body = ("def build_model():\n    m = keras.Sequential([keras.Input((784,)), layers.Dense(32, activation='relu'),\n"
            "                          layers.Dense(10, activation='softmax')])\n"
            "    m.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n    return m\n"
            "other = keras.Sequential([keras.Input((784,)), layers.Dense(10)])\nother.compile(loss='mse')")
    result, report = check_json("task7.3", "--path", str(nb.with_build_model(tmp_path / "b" / "lab.ipynb", body)))
    assert report["model"]["total_params"] == 784 * 32 + 32 + 330, result.stderr


def test_model_py_loading_mnist_by_keras_works_offline_too(tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "model.py").write_text(
        "import keras\n(x, y), (xt, yt) = keras.datasets.mnist.load_data()\nassert x.shape == (60000, 28, 28)\n"
        "def build_model():\n    m = keras.Sequential([keras.Input(x.shape[1:] + (1,)), keras.layers.Conv2D(8, 3),\n"
        "        keras.layers.Conv2D(8, 3), keras.layers.Flatten(), keras.layers.Dense(10, activation='softmax')])\n"
        "    m.compile(optimizer='adam', loss='categorical_crossentropy')\n    return m\n")
    result, report = check_json("task8.1", "--path", str(folder))
    assert report["checks"][0]["status"] == "passed", report["checks"][0]["message"]
    assert report["model"]["input_shape"] == [None, 28, 28, 1]


@pytest.mark.slow
def test_train_and_grade_a_notebook_never_trusting_its_outputs(tmp_path):
    notebook = nb.chapter7(tmp_path / "lab" / "lab.ipynb", units=128, activation="relu", optimizer="adam")
    trained = run_tutor("train", "task7.3", "--path", str(notebook), "--epochs", "1")
    assert trained.returncode in (0, 1), trained.stderr
    assert (notebook.parent / "model.keras").is_file() and (notebook.parent / "train.json").is_file()
    graded = run_tutor("grade", "task7.3", "--path", str(notebook), "--json")
    report = json.loads(graded.stdout)
    assert report["checks"][0]["id"] == "model-loads"
    assert report["model"]["total_params"] == 101770
    assert 0.85 < report["accuracy"] < 0.99  # ours, never the 1.0 the saved outputs claim


@pytest.mark.slow
def test_export_the_chapter8_notebook_into_a_passing_mnist_py_that_runs(tmp_path):
    notebook = nb.write(
        tmp_path / "cnn.ipynb",
        "%matplotlib inline\n" + nb.CH8_MODEL.format(extra_import="", extra_layer=""),
        nb.CH8_DATA + "\ntrain_images, train_labels = train_images[:2000], train_labels[:2000]\ntrain_images.shape",
        nb.CH8_FIT.format(optimizer="adam").replace("epochs=5", "epochs=1"),
        nb.CH8_EVALUATE,
    )
    result = run_tutor("export", str(notebook), "-o", str(tmp_path / "MNIST.py"))
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stderr and "%matplotlib inline" in result.stderr
    assert "task8.2 every check passes, 6 of 6 points" in result.stdout  # #19: grade records it
    again = run_tutor("export", str(notebook), "-o", str(tmp_path / "MNIST.py"))
    assert again.returncode == 2 and "--force" in again.stderr
    ran = subprocess.run([sys.executable, str(tmp_path / "MNIST.py")], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path, env={**os.environ, "MNIST_PATH": str(Path(os.environ["TUTOR_DATA_DIR"]) / "mnist.npz"),
                                            "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "Test accuracy:" in ran.stdout and "(2000, 28, 28, 1)" in ran.stdout


def test_submit_gives_the_job_a_builder_that_runs_without_tutor(tmp_path):
    """notebook_model.py must run where tutor is not installed: import it with tutor, grader
    and IPython blocked, and build the model from the notebook's cells."""
    notebook = nb.chapter8(tmp_path / "ws" / "cnn.ipynb")
    dry = run_tutor("submit", "task8.1", "--path", str(notebook), "--dry-run", "--profile", "local")
    assert dry.returncode == 0, dry.stderr
    assert "--model notebook_model.py" in dry.stdout
    from grader.notebook import plan_notebook
    from grader.notebook.job import builder_files

    data = str(Path(os.environ["TUTOR_DATA_DIR"]) / "mnist.npz")
    for name, text in builder_files(plan_notebook(notebook), {"mnist": data}).items():
        (tmp_path / "job" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "job" / name).write_text(text)
    probe = (
        "import sys\n"
        "class NoTutor:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('tutor', 'grader', 'exercises', 'hpc', 'IPython', 'nbformat'):\n"
        "            raise ImportError(name + ' is not installed in the job container')\n"
        "sys.meta_path.insert(0, NoTutor())\n"
        "sys.path.insert(0, '.')\n"
        "import notebook_model\n"
        "model = notebook_model.build_model()\n"
        "print('PARAMS', model.count_params(), 'COMPILED', model.optimizer is not None)\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path / "job", capture_output=True, text=True,
                         timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": "",
                                           "KERAS_HOME": str(tmp_path / "empty-keras")})
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "PARAMS 62346 COMPILED True" in ran.stdout


def test_batch_grades_a_class_of_notebooks_and_compares_their_code(tmp_path):
    """An LMS download of .ipynb files (Canvas names) plus one notebook named by its student
    id: each is graded from its cells, and two notebooks with the same code but different
    outputs and metadata are flagged, which their JSON alone would never show."""
    import csv

    import nbformat

    src = tmp_path / "class"
    nb.colab_export(src / "smithjane_1001_2001_lab.ipynb")
    copy = nb.colab_export(tmp_path / "copy.ipynb")
    data = nbformat.read(str(copy), as_version=4)
    for cell in data.cells:
        if cell.cell_type == "code":
            cell.update(outputs=[], execution_count=None)
    data.metadata["colab"] = {"name": "mine.ipynb"}
    nbformat.write(data, str(src / "doejohn_1002_2002_lab.ipynb"))
    nb.two_models(src / "carol.ipynb")
    (src / "dave.ipynb").write_text('{"cells": [')
    out = tmp_path / "out"
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--workers", "1", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert sorted(rows) == ["1001", "1002", "carol", "dave"]
    assert rows["1001"]["total_params"] == rows["1002"]["total_params"] == "62346"
    assert "accuracy" in rows["1001"]["failed_checks"]  # no model.keras: structure only, never the outputs
    assert "2 compiled models" in rows["carol"]["reason"]
    assert "not JSON" in rows["dave"]["reason"]
    groups = json.loads((out / "integrity.json").read_text())["groups"]
    assert ["1001", "1002"] in [g["students"] for g in groups if g["kind"] == "source"]


def test_watch_rechecks_when_the_notebook_is_saved(tmp_path):
    import time

    from tests.test_grading_cli import Watcher

    notebook = nb.chapter8(tmp_path / "lab" / "cnn.ipynb", improved=True)
    watcher = Watcher(notebook, "--poll", "--interval", "0.3")
    try:
        watcher.wait_for("check task8.1 · start", timeout=300)
        watcher.wait_for("notebook cnn.ipynb: ran 3 of 4 code cells", timeout=300)
        watcher.wait_for("watching", timeout=300)
        time.sleep(0.5)
        nb.write(notebook, "import keras", "model = keras.Sequential(\n", "model.fit(x, y)")  # saved mid-edit
        watcher.wait_for("changed: cnn.ipynb", timeout=300)
        watcher.wait_for("cnn.ipynb cell 2 line 1: syntax error", timeout=300)
        watcher.wait_for("watching", timeout=300)
        watcher.send("q\n")
        assert watcher.proc.wait(timeout=60) == 0
    finally:
        watcher.close()
