"""`tutor author new TASK --pack P`: a task skeleton that loads, whose starter fails and whose
solution passes `tutor author check` (and, for a model task, `--train`) as written; the author
then replaces the example with their own task, guided by the comments in exercise.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from exercises.schema import TASK_ID

Kind = Literal["model", "script"]
DATASETS = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


class SkeletonError(Exception):
    """The skeleton cannot be written (bad id, the task exists); the message says what to do."""


@dataclass
class Written:
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


PACK_TOML = '''# The pack: enable it with packs = ["{pack}"] in tutor.toml (tutor author docs: every key).
id = "{pack}"
title = "{title}"
order = 10
description = ""

[chapters]
1 = "Chapter 1"
'''

MODEL_TOML = '''# {task}: a model task (tutor author docs lists every key; unknown keys are errors).
id = "{task}"                      # = the folder name
title = "A dense classifier for {data}"
chapter = 1                        # listed under [chapters] 1 of pack.toml
order = {order}
kind = "model"                     # model.py defines build_model(), returning a COMPILED model
summary = "Build a dense network that classifies {data} above the accuracy bar."
files = ["model.py"]               # what students write and hand in
artifacts = ["model.keras", "train.json"]   # what `tutor train` writes (and is handed in)
# needs_gpu = true                 # train through SLURM (`tutor submit`) instead of `tutor train`

hints = [
  "The images arrive flattened: 784 numbers between 0 and 1 per image.",
  "One hidden Dense layer with a ReLU is enough to beat the bar.",
  "The labels are one-hot: compile with loss='categorical_crossentropy' and metrics=['accuracy'].",
]

[dataset]
name = "{dataset}"                 # mnist, fashion_mnist or cifar10 (staged with tutor data stage)
adapter = "flatten"                # flatten = (784,), image = (28, 28, 1)
# eval_subset = 2000               # grade on the first N test images (heavy models on a CPU)
# train_subset = 10000             # train on the first N images (also what author check --train uses)

[recipe]                           # how tutor train, the SLURM runner and author check --train train
epochs = 3
batch_size = 128
seed = 42
labels = "categorical"             # categorical = one-hot; sparse = class numbers

[[checks]]
id = "input-shape"
kind = "input_shape"
shapes = [[784], [28, 28]]         # without the batch dimension; several shapes accepted
points = 1

[[checks]]
id = "output"
kind = "output_shape"
shape = [10]
points = 1

[[checks]]
id = "hidden-layer"
title = "at least one hidden Dense layer"
kind = "layer_count"
layer = "Dense"
min = 2
points = 2

[[checks]]
id = "accuracy"
kind = "min_accuracy"              # graded on the trained model.keras (tutor grade / tutor batch)
min = 0.84                         # author check --train proves the solution reaches it
points = 4

[[checks]]
id = "notes"
kind = "manual"                    # marked by hand in marks.csv after tutor batch
rubric = "Two sentences on what the hidden layer changed."
points = 2
# hidden = true                    # run only in tutor batch, never shown to students
# required = false                 # a bonus: its failure does not fail the task
'''

SCRIPT_TOML = '''# {task}: a script task, graded by reading the script (never running it).
id = "{task}"
title = "A training script for {data}"
chapter = 1
order = {order}
kind = "script"
summary = "Write train.py: load the staged {data} from a path, train a model, print its test accuracy."
files = ["train.py"]

hints = [
  "Compute nodes have no internet: read the staged .npz with numpy.load(path).",
  "Take the path from sys.argv or an environment variable.",
  "Print the test accuracy that model.evaluate returns.",
]

[[checks]]
id = "structure"
title = "loads, defines, compiles, trains, evaluates, prints"
kind = "script"
file = "train.py"
requires = ["loads_data_from_path", "defines_model", "compiles", "trains", "evaluates", "prints_accuracy"]
partial_credit = true              # 5 of 6 met earns 5/6 of the points
points = 3

[[checks]]
id = "clean"
kind = "script"
file = "train.py"
requires = ["no_notebook_leftovers"]
points = 1
'''

README = '''# {title}

Write what the student reads here: the goal, the files to hand in, how it is graded.

1. `tutor start {task}`, then edit {files}.
2. `tutor check {task}` after every change.
{step3}
'''

MODEL_STARTER = '''"""{task}: build_model() returns a compiled Keras model (fill in the TODO)."""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        # TODO: add a hidden Dense layer with a ReLU here
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
'''

MODEL_SOLUTION = '''"""{task} reference solution: one hidden layer of 128 units."""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
'''

SCRIPT_STARTER = '''"""train.py for {task}: fill in the TODOs. Usage: python train.py [/path/to/{dataset}.npz]"""

import os
import sys

import numpy as np

DATA = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATA_NPZ", "{dataset}.npz")

# TODO 1: load x_train, y_train, x_test, y_test from DATA with np.load
# TODO 2: define a keras model, compile it
# TODO 3: fit it, evaluate it on the test set, print("Test accuracy:", test_acc)
'''

SCRIPT_SOLUTION = '''"""train.py for {task} (reference). Usage: python train.py [/path/to/{dataset}.npz]"""

import os
import sys

import numpy as np

DATA = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATA_NPZ", "{dataset}.npz")

import keras  # noqa: E402
from keras import layers  # noqa: E402

with np.load(DATA) as data:
    x_train, y_train = data["x_train"], data["y_train"]
    x_test, y_test = data["x_test"], data["y_test"]
x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255
x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3, batch_size=128)
test_loss, test_acc = model.evaluate(x_test, y_test)
print("Test accuracy:", test_acc)
'''


def _write(path: Path, text: str, written: Written) -> None:
    if path.exists():
        written.kept.append(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.created.append(path)


def new_task(task: str, pack: str, packs_dir: Path, solutions_dir: Path, kind: Kind = "model",
             dataset: str = "fashion_mnist") -> Written:
    """Write the pack (if new), the task and its solution; never overwrite an existing file."""
    if not TASK_ID.match(task):
        raise SkeletonError(f"'{task}' is not a task id: use letters then a number, e.g. fm1 or week2.3")
    if kind not in ("model", "script"):
        raise SkeletonError(f"--kind {kind}: choose model or script")
    if dataset not in DATASETS:
        raise SkeletonError(f"--dataset {dataset}: choose one of {', '.join(DATASETS)}")
    folder = packs_dir / pack / task
    if (folder / "exercise.toml").exists():
        raise SkeletonError(f"{folder / 'exercise.toml'} exists already: pick another id or edit it")
    written = Written()
    _write(packs_dir / pack / "pack.toml", PACK_TOML.format(pack=pack, title=pack.replace("-", " ").title()), written)
    order = 1 + sum(1 for p in (packs_dir / pack).iterdir() if (p / "exercise.toml").is_file())
    values = {"task": task, "order": order, "dataset": dataset, "data": DATASETS[dataset]}
    if kind == "model":
        _write(folder / "exercise.toml", MODEL_TOML.format(**values), written)
        _write(folder / "starter" / "model.py", MODEL_STARTER.format(**values), written)
        _write(solutions_dir / task / "model.py", MODEL_SOLUTION.format(**values), written)
        step3 = f"3. `tutor train {task}`, then `tutor grade {task}`."
        files = "model.py"
        title = f"A dense classifier for {DATASETS[dataset]}"
    else:
        _write(folder / "exercise.toml", SCRIPT_TOML.format(**values), written)
        _write(folder / "starter" / "train.py", SCRIPT_STARTER.format(**values), written)
        _write(solutions_dir / task / "train.py", SCRIPT_SOLUTION.format(**values), written)
        step3 = f"3. `tutor grade {task}` when the checks pass."
        files = "train.py"
        title = f"A training script for {DATASETS[dataset]}"
    _write(folder / "README.md", README.format(title=title, task=task, files=files, step3=step3), written)
    return written
