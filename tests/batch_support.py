"""Real task-8.1 submissions with trained artifacts, for the batch tests and bench/bench_batch.py.

A handful of small model variants is trained for real (Keras, real MNIST from TUTOR_DATA_DIR,
one epoch on a subset) in a child process; `replicate` then makes many students from them,
each artifact re-saved with a tiny weight perturbation so that no two share a weights hash.
Run as a script in the child: `python tests/batch_support.py train|replicate JSON`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HEAD = '''"""Task 8.1 variant {name}."""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
'''
TAIL = '''            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="{opt}", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
'''
BODIES = {
    "baseline": ("sgd", ["Conv2D(32, (5, 5), activation=\"relu\")", "MaxPooling2D((2, 2))",
                         "Conv2D(64, (5, 5), activation=\"relu\")", "MaxPooling2D((2, 2))", "Flatten()"]),
    "adam-small": ("adam", ["Conv2D(16, (3, 3), activation=\"relu\")", "MaxPooling2D((2, 2))",
                            "Conv2D(32, (3, 3), activation=\"relu\")", "MaxPooling2D((2, 2))", "Flatten()"]),
    "adam-dropout": ("adam", ["Conv2D(32, (3, 3), padding=\"same\", activation=\"relu\")",
                              "MaxPooling2D((2, 2))", "Conv2D(32, (3, 3), activation=\"relu\")",
                              "MaxPooling2D((2, 2))", "Dropout(0.25)", "Flatten()"]),
    "adam-dense": ("adam", ["Conv2D(16, (5, 5), activation=\"relu\")", "MaxPooling2D((2, 2))",
                            "Conv2D(32, (5, 5), activation=\"relu\")", "MaxPooling2D((2, 2))",
                            "Flatten()", "Dense(64, activation=\"relu\")"]),
    "one-conv": ("adam", ["Conv2D(8, (3, 3), activation=\"relu\")", "MaxPooling2D((4, 4))", "Flatten()"]),
}


SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "task8.1" / "model.py"


def model_source(name: str) -> str:
    """A variant's model.py; "solution" is the reference solution itself."""
    if name == "solution":
        return SOLUTION.read_text()
    opt, body = BODIES[name]
    lines = "".join(f"            layers.{layer},\n" for layer in body)
    return HEAD.format(name=name) + lines + TAIL.format(opt=opt)


DATA = Path(os.environ.get("TUTOR_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


def _child(*args: str) -> None:
    env = {**os.environ, "TUTOR_DATA_DIR": str(DATA), "TF_CPP_MIN_LOG_LEVEL": "3", "OMP_NUM_THREADS": "2",
           "TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "1"}
    subprocess.run([sys.executable, __file__, *args], check=True, env=env, timeout=1800)


def train_variants(dest: Path, names: list[str], train_images: int = 12000, epochs: int = 1) -> dict[str, Path]:
    """One trained submission folder per variant (model.py, NOTES.md, model.keras, train.json)."""
    folders = {}
    for name in names:
        folder = dest / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.py").write_text(model_source(name))
        (folder / "NOTES.md").write_text(f"# Task 8.1\n\nVariant {name}: what I changed and why.\n")
        folders[name] = folder
    todo = [str(f) for f in folders.values() if not (f / "model.keras").exists()]
    if todo:
        _child("train", json.dumps({"folders": todo, "images": train_images, "epochs": epochs}))
    return folders


def replicate(bases: list[Path], dest: Path, count: int, start: int = 0) -> list[Path]:
    """`count` student folders s000, s001... cycling through `bases`, each artifact perturbed."""
    plan = []
    for i in range(start, start + count):
        base = bases[i % len(bases)]
        folder = dest / f"s{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("model.py", "NOTES.md", "train.json"):
            shutil.copyfile(base / name, folder / name)
        plan.append({"base": str(base / "model.keras"), "out": str(folder / "model.keras"), "k": i + 1})
    _child("replicate", json.dumps(plan))
    return [dest / f"s{i:03d}" for i in range(start, start + count)]


def _train(spec: dict) -> None:
    import importlib.util

    import keras
    import numpy as np
    import tensorflow as tf

    data = np.load(Path(os.environ["TUTOR_DATA_DIR"]) / "mnist.npz")
    n = spec["images"]
    x = (data["x_train"][:n].astype("float32") / 255.0)[..., None]
    y = keras.utils.to_categorical(data["y_train"][:n], 10)
    for folder in map(Path, spec["folders"]):
        keras.utils.set_random_seed(42)
        module_spec = importlib.util.spec_from_file_location("student_model", folder / "model.py")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        model = module.build_model()
        start = time.time()
        history = model.fit(x, y, epochs=spec["epochs"], batch_size=100, verbose=0)
        took = time.time() - start
        model.save(folder / "model.keras")
        record = {
            "task": "task8.1", "seed": 42, "epochs": spec["epochs"], "recipe_epochs": 5,
            "batch_size": 100, "labels": "categorical", "validation_split": 0.0, "train_size": n,
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "epoch_times_s": [round(took / spec["epochs"], 3)] * spec["epochs"],
            "total_s": round(took, 3), "tensorflow": tf.__version__, "keras": keras.__version__,
            "device": "cpu", "python": sys.version.split()[0],
        }
        (folder / "train.json").write_text(json.dumps(record, indent=2) + "\n")


def _replicate(plan: list[dict]) -> None:
    import keras

    cache: dict[str, keras.Model] = {}
    for item in plan:
        model = cache.get(item["base"]) or keras.models.load_model(item["base"])
        cache[item["base"]] = model
        weights = model.get_weights()
        original = weights[-1].copy()
        weights[-1] = original + 1e-7 * item["k"]  # the output bias: predictions barely move
        model.set_weights(weights)
        model.save(item["out"])
        weights[-1] = original
        model.set_weights(weights)


if __name__ == "__main__":
    command, payload = sys.argv[1], json.loads(sys.argv[2])
    {"train": _train, "replicate": _replicate}[command](payload)


try:
    import pytest
except ImportError:  # pragma: no cover - used as a script in the training child
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def trained(tmp_path_factory) -> dict[str, Path]:
        """The reference solution and three variants, trained for real once per session."""
        return train_variants(tmp_path_factory.getbasetemp() / "batch-variants",
                              ["solution", "adam-dense", "one-conv", "baseline"])
