"""Task 8.2's script checks: the script's syntax tree is read, never executed."""

from pathlib import Path

import pytest

from tests.checks_helpers import run

SOLUTION = Path(__file__).parent.parent / "solutions" / "task8.2" / "MNIST.py"
STARTER = Path(__file__).parent.parent / "exercises" / "packs" / "book" / "task8.2" / "starter"

BOOK_KERAS2 = """\
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
print(tf.__version__)
model = Sequential()
model.add(Conv2D(32, (5, 5), activation='relu', input_shape=(28, 28, 1)))
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
mnist = tf.keras.datasets.mnist
(train_images, train_labels), (test_images, test_labels) = mnist.load_data(path='/gpfs/scratch/group/mnist.npz')
model.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
model.fit(train_images, train_labels, batch_size=100, epochs=5, verbose=1)
test_loss, test_acc = model.evaluate(test_images, test_labels)
print('Test accuracy:', test_acc)
"""


def submit(tmp_path: Path, source: str) -> Path:
    (tmp_path / "MNIST.py").write_text(source)
    return tmp_path


def test_reference_solution_passes_every_script_check():
    results = run("task8.2", submission=SOLUTION.parent)
    assert {r.status for r in results.values()} == {"passed"}
    assert sum(r.points for r in results.values()) == 6


def test_starter_fails_structure_data_and_accuracy():
    results = run("task8.2", submission=STARTER)
    assert results["structure"].status == "failed"
    assert "missing a model, compile(), fit(), evaluate()" in results["structure"].message
    assert results["offline-data"].status == "failed"
    assert results["reports-accuracy"].status == "failed"


def test_keras3_load_data_path_trap(tmp_path):
    results = run("task8.2", submission=submit(tmp_path, BOOK_KERAS2))
    offline = results["offline-data"]
    assert offline.status == "failed"
    assert "Paths are no longer accepted as the fname argument" in offline.message
    assert "np.load(path)" in offline.message
    assert "line 10" in offline.message
    # everything else about the book's script is fine
    assert results["structure"].status == "passed" and results["reports-accuracy"].status == "passed"


def test_path_in_a_variable_is_the_same_trap(tmp_path):
    source = BOOK_KERAS2.replace("mnist.load_data(path='/gpfs/scratch/group/mnist.npz')", "mnist.load_data(path=MNIST_PATH)")
    assert "Paths are no longer accepted" in run("task8.2", submission=submit(tmp_path, source))["offline-data"].message


def test_load_data_without_a_path_downloads(tmp_path):
    source = BOOK_KERAS2.replace("mnist.load_data(path='/gpfs/scratch/group/mnist.npz')", "mnist.load_data()")
    result = run("task8.2", submission=submit(tmp_path, source))["offline-data"]
    assert result.status == "failed" and "no internet" in result.message


def test_numpy_load_under_an_alias_passes(tmp_path):
    source = BOOK_KERAS2.replace(
        "(train_images, train_labels), (test_images, test_labels) = mnist.load_data(path='/gpfs/scratch/group/mnist.npz')",
        "import numpy\nd = numpy.load(sys.argv[1])\ntrain_images, train_labels = d['x_train'], d['y_train']",
    )
    assert run("task8.2", submission=submit(tmp_path, source))["offline-data"].status == "passed"


def test_notebook_magic_lines_fail_with_their_line(tmp_path):
    source = "!pip install tensorflow\n%matplotlib inline\n" + SOLUTION.read_text()
    results = run("task8.2", submission=submit(tmp_path, source))
    clean = results["clean-script"]
    assert clean.status == "failed"
    assert "line 1: `!pip install tensorflow` is a notebook leftover (and 1 more)" in clean.message
    # the other checks cannot parse the file and say why, by line
    assert "line 1" in results["structure"].message and "notebook syntax" in results["structure"].message


@pytest.mark.parametrize("leftover", ["display(model.summary())", "get_ipython().system('ls')", "from IPython.display import display"])
def test_notebook_calls_are_leftovers(tmp_path, leftover):
    result = run("task8.2", submission=submit(tmp_path, SOLUTION.read_text() + "\n" + leftover + "\n"))["clean-script"]
    assert result.status == "failed" and ("notebook" in result.message or "IPython" in result.message)


def test_syntax_error_reports_the_line(tmp_path):
    source = SOLUTION.read_text().replace('print("Test accuracy:", test_acc)', 'print("Test accuracy:", test_acc')
    result = run("task8.2", submission=submit(tmp_path, source))["structure"]
    line = source.splitlines().index('print("Test accuracy:", test_acc') + 1
    assert result.status == "failed" and f"MNIST.py line {line}" in result.message
    assert result.actual == f"syntax error, line {line}"


def test_missing_script_and_symlink_out_of_the_folder(tmp_path):
    assert "MNIST.py not found" in run("task8.2", submission=tmp_path)["structure"].message
    (tmp_path / "MNIST.py").symlink_to(SOLUTION)
    assert "outside the submission folder" in run("task8.2", submission=tmp_path)["structure"].message


def test_the_script_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').write('x')\n" + SOLUTION.read_text()
    run("task8.2", submission=submit(tmp_path, source))
    assert not marker.exists()


def test_trap_names_the_call_in_got(tmp_path):
    result = run("task8.2", submission=submit(tmp_path, BOOK_KERAS2))["offline-data"]
    assert result.actual == "line 10: mnist.load_data(path='/gpfs/scratch/group/mnist.npz')"
