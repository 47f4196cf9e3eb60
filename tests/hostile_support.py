"""Builders for hostile and broken submissions (shared by the sandbox and hostile tests).

Artifacts are made in a child Python (TensorFlow in the test process is not needed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from tests.conftest import REPO

SOLUTION_81 = REPO / "solutions" / "task8.1"

ARTIFACTS_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from keras import layers
out = sys.argv[1]

def small(*middle):
    return keras.Sequential([keras.Input((28, 28, 1)), *middle, layers.Flatten(), layers.Dense(10, activation="softmax")])

keras.utils.set_random_seed(0)
small(layers.Conv2D(4, 3), layers.Conv2D(4, 3)).save(f"{out}/untrained.keras")
small(layers.Lambda(lambda x: x * 2.0), layers.Conv2D(4, 3)).save(f"{out}/lambda.keras")

@keras.saving.register_keras_serializable(package="student")
class Doubler(layers.Layer):
    def call(self, x):
        return x * 2.0

small(Doubler(), layers.Conv2D(4, 3)).save(f"{out}/custom.keras")
keras.Sequential([keras.Input((32, 32, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10, activation="softmax")]).save(f"{out}/wrong_input.keras")
"""


def make_artifacts(folder: Path) -> Path:
    """untrained/lambda/custom/wrong_input .keras files (a few seconds, once per module)."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", ARTIFACTS_SCRIPT, str(folder)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder


def submission(tmp: Path, name: str, model_py: str | None = None, artifact: Path | None = None) -> Path:
    """A folder like a student's: model.py (the 8.1 solution unless given) and maybe model.keras."""
    folder = tmp / name
    folder.mkdir(parents=True)
    if model_py is None:
        shutil.copy(SOLUTION_81 / "model.py", folder / "model.py")
    else:
        (folder / "model.py").write_text(textwrap.dedent(model_py))
    if artifact is not None:
        shutil.copy(artifact, folder / "model.keras")
    return folder


def zip_bomb(path: Path, unpacked_mib: int = 1100) -> Path:
    """A .keras-looking zip whose weights unpack to more than a GiB (it compresses to ~1 MiB)."""
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("metadata.json", "{}")
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            for _ in range(unpacked_mib):
                member.write(block)
    return path
