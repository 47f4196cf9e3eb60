"""Notebooks on the trusted side (no cell runs): reading with nbformat, IPython syntax to plain
Python, where training starts on the syntax tree, the plan, the export, the fingerprints."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.notebook import NotebookError, plan_notebook, read_notebook
from grader.notebook.export import export_script
from tests import notebook_support as nb


def test_broken_and_old_notebooks_get_one_line_reasons(tmp_path):
    cut = tmp_path / "cut.ipynb"
    cut.write_text('{"cells": [{"cell_type": "code", "source": "import ke')
    v3 = tmp_path / "old.ipynb"
    v3.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": []}]}))
    invalid = tmp_path / "invalid.ipynb"
    invalid.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                   "cells": [{"cell_type": "code", "source": 12}]}))
    binary = tmp_path / "binary.ipynb"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    for path, words in [(cut, "not JSON"), (v3, "version-3 notebook"), (invalid, "not a valid notebook"),
                        (binary, "not UTF-8")]:
        with pytest.raises(NotebookError) as caught:
            read_notebook(path)
        reason = str(caught.value)
        assert words in reason and path.name in reason and "\n" not in reason, reason


def test_outputs_are_dropped_and_cells_numbered_as_the_student_sees_them(tmp_path):
    notebook = read_notebook(nb.chapter8(tmp_path / "cnn.ipynb"))
    assert [cell.number for cell in notebook.cells] == [2, 3, 4, 5]  # cell 1 is markdown
    assert all("Test accuracy: 1.0" not in cell.source for cell in notebook.cells)


def test_book_layout_stops_before_fit_and_keeps_compile(tmp_path):
    plan = plan_notebook(nb.chapter8(tmp_path / "cnn.ipynb"))
    assert [c.number for c in plan.cells] == [2, 3, 4]
    assert plan.cells[-1].partial and "model.compile(" in plan.cells[-1].source
    assert "model.fit" not in plan.cells[-1].source
    assert (plan.stop.cell, plan.stop.line, plan.stop.why) == (4, 4, "trains (model.fit)")
    assert plan.summary().startswith("cnn.ipynb: ran 3 of 4 code cells, stopped before cell 4 line 4")


def test_colab_magics_are_left_out_with_notes_and_line_numbers_kept(tmp_path):
    path = nb.colab_export(tmp_path / "colab.ipynb")
    plan = plan_notebook(path)
    notes = "\n".join(plan.notes)
    for written in ("!pip install -q tensorflow", "!nvidia-smi", "%matplotlib inline", "%load_ext tensorboard",
                    "drive.mount('/content/drive')", "from IPython.display import display, Image",
                    "display(train_images.shape)", "%%bash", "%%time"):
        assert written in notes, (written, notes)
    first = plan.cells[0].source.splitlines()
    assert len(first) == 4 and all(line.startswith("pass  # tutor:") for line in first)
    timed = next(c for c in plan.cells if c.number == 4)
    assert "model = Sequential()" in timed.source and timed.source.splitlines()[0].startswith("#")
    assert 5 not in [c.number for c in plan.cells]  # the %%bash cell runs nothing
    assert "files = []" in next(c for c in plan.cells if c.number == 3).source
    assert plan.stop.cell == 7 and "model.fit" in plan.stop.why


@pytest.mark.parametrize("code, why", [
    ("model.evaluate(x, y)", "evaluates (model.evaluate)"),
    ("p = model.predict(x)", "evaluates (model.predict)"),
    ("for x, y in data:\n    with tf.GradientTape() as tape:\n        loss = f(x)", "custom training loop"),
    ("opt.apply_gradients(zip(g, v))", "trains (opt.apply_gradients)"),
    ("def run(m):\n    m.fit(x, y)\n\nrun(model)", "calls run(), which trains (m.fit)"),
])
def test_training_is_found_on_the_syntax_tree(tmp_path, code, why):
    plan = plan_notebook(nb.write(tmp_path / "n.ipynb", "import keras\nmodel = keras.Sequential()", code))
    assert plan.stop is not None and why in plan.stop.why, plan.stop
    assert plan.stop.cell == 2


def test_data_tools_and_definitions_do_not_stop_the_check(tmp_path):
    plan = plan_notebook(nb.write(
        tmp_path / "n.ipynb",
        "from keras.preprocessing.image import ImageDataGenerator\ngen = ImageDataGenerator(rotation_range=10)\ngen.fit(x)",
        "def train(m):\n    m.fit(x, y)\n\nclass Net:\n    def step(self):\n        self.model.fit(x, y)",
        "model = 1",
    ))
    assert plan.stop is None and len(plan.cells) == 3


def test_a_syntax_error_names_the_cell_and_line(tmp_path):
    path = nb.write(tmp_path / "n.ipynb", "import keras", "x = 1\ndef build_model(:\n    pass")
    with pytest.raises(NotebookError, match=r"n.ipynb cell 2 line 2: syntax error"):
        plan_notebook(path)


def test_models_made_only_after_training_are_named(tmp_path):
    plan = plan_notebook(nb.model_only_after_training(tmp_path / "late.ipynb"))
    assert plan.stop.cell == 3 and "train_dense()" in plan.stop.why
    assert plan.later_models == ["`model` (cell 3)"]


def test_export_turns_a_colab_notebook_into_plain_python(tmp_path):
    exported = export_script(nb.colab_export(tmp_path / "colab.ipynb"), "/staged/mnist.npz")
    compile(exported.text, "MNIST.py", "exec")  # plain Python
    assert "get_ipython" not in exported.text and "\n!" not in exported.text and "\n%" not in exported.text
    assert "# !pip install -q tensorflow  (tutor export: shell command, not Python)" in exported.text
    assert "print(train_images.shape)" in exported.text  # display() became print()
    assert "print(model)" in exported.text  # the cell's last value, which the notebook displayed
    assert "load_mnist()" in exported.text and "'/staged/mnist.npz'" in exported.text
    assert "mnist.load_data()" not in exported.text
    assert any("load_data" in note for note in exported.notes)


def test_fingerprints_compare_notebook_code_not_json(tmp_path):
    from tutor.batch.fingerprint import source_fingerprint

    a, b, c = (tmp_path / name for name in "abc")
    nb.chapter8(a / "lab.ipynb")
    nb.chapter8(b / "copy.ipynb", improved=False)
    data = nbformat.read(str(b / "copy.ipynb"), as_version=4)
    for cell in data.cells:  # re-run: new outputs, counts, ids and metadata; the same code
        cell.pop("outputs", None) if cell.cell_type != "code" else cell.update(outputs=[], execution_count=99)
        cell["id"] = "x" + cell.get("id", "")[:6]
    data.metadata["colab"] = {"provenance": []}
    nbformat.write(data, str(b / "copy.ipynb"))
    nb.chapter8(c / "lab.ipynb", improved=True)
    assert (a / "lab.ipynb").read_bytes() != (b / "copy.ipynb").read_bytes()
    assert source_fingerprint(a) == source_fingerprint(b)
    assert source_fingerprint(a) != source_fingerprint(c)


@pytest.mark.parametrize("command", [["--help"], ["list"]])
def test_help_and_list_do_not_pay_for_notebook_support(command):
    import subprocess
    import sys

    probe = ("import runpy, sys\nsys.argv = ['tutor', *sys.argv[1:]]\ntry:\n"
             "    runpy.run_module('tutor.cli.app', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "sys.stderr.write('LOADED ' + ','.join(m for m in ('nbformat', 'IPython', 'jsonschema', 'grader.notebook') "
             "if m in sys.modules) + '\\n')\n")
    result = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines()[-1].strip() == "LOADED", result.stderr[-1000:]


def test_a_notebook_with_megabytes_of_code_is_refused_before_parsing(tmp_path):
    path = nb.write(tmp_path / "big.ipynb", "x = [" + "1, " * (1 << 20) + "]")
    with pytest.raises(NotebookError, match="of code, over the 2 MiB limit"):
        read_notebook(path)
