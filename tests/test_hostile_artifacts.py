"""Hostile trained artifacts (issue 12's intake and evaluator), made by real Keras and graded
through the real `tutor grade`: each ends in a one-line reason, never hangs the trusted parent,
never runs the student's code (a marker file proves it) and never opens data from elsewhere."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.conftest import run_tutor
from tests.test_frameworks import framework_python

KERAS2_MODELS = """
import os, sys
from tensorflow import keras
L = keras.layers
marker = sys.argv[1]
inp = keras.Input((28, 28))
h = L.TimeDistributed(L.Lambda(lambda x: (open(marker, "w").write("ran"), x)[1], name="evil"), name="td")(inp)
model = keras.Model(inp, L.Dense(10, activation="softmax")(L.Flatten()(h)))
model.save(os.path.join(sys.argv[2], "wrapped_lambda.h5"))
plain = keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(10, activation="softmax")])
plain.save(os.path.join(sys.argv[2], "plain.h5"))
"""


@pytest.fixture(scope="module")
def keras2(tmp_path_factory) -> tuple[Path, Path]:
    """(folder with genuine tf.keras 2.11 HDF5 files, the marker their Lambda writes when run)."""
    python, env = framework_python("tf2.11")
    folder = tmp_path_factory.mktemp("keras2")
    marker = folder / "lambda-ran"
    done = subprocess.run([python, "-c", KERAS2_MODELS, str(marker), str(folder)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    marker.unlink()  # building the model ran the lambda once; grading must not run it again
    return folder, marker


def grade(folder: Path) -> str:
    """`tutor grade task8.1` on `folder`: the one-line reason on stderr (exit 1, no traceback)."""
    done = run_tutor("grade", "task8.1", "--path", str(folder), timeout=600)
    assert done.returncode == 1, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stdout + done.stderr
    line = done.stderr.strip()
    assert "\n" not in line, line
    return line


def test_fifo_named_model_keras_is_refused_without_hanging(tmp_path):
    # Before: the trusted parent opened it to sniff its format and blocked forever.
    folder = tmp_path / "s"
    folder.mkdir()
    os.mkfifo(folder / "model.keras")
    assert "model.keras is not a regular file" in grade(folder)


def cd_bomb(path: Path, entries: int) -> None:
    """A small zip whose central directory lists `entries` entries, all the same tiny config.json."""
    data, name = b"{}", b"config.json"
    crc = zlib.crc32(data)
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, 2, 2, len(name), 0) + name + data

    def central(entry: bytes) -> bytes:
        return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, 2, 2, len(entry), 0, 0, 0, 0, 0, 0) + entry

    directory = central(name) + central(b"a") * (entries - 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, len(directory), len(local), 0)
    path.write_bytes(local + directory + end)


def test_zip_directory_bomb_is_refused_before_the_parent_parses_it(tmp_path):
    # Before: zipfile built one object per entry in the trusted parent (2 million entries in
    # 94 MB: 800 MB of its memory), then the sandbox failed to open it. Here 200,000 (9 MB).
    folder = tmp_path / "s"
    folder.mkdir()
    cd_bomb(folder / "model.keras", 200_000)
    assert "zip directory is 9 MiB, over the 1 MiB limit" in grade(folder)


def test_lambda_inside_a_wrapper_is_refused_by_the_screen(keras2, tmp_path):
    # tf.keras 2.11 writes the Lambda's module ("__main__") too; without it, the screen did not
    # look inside TimeDistributed and left the refusal to Keras' safe mode alone.
    import h5py

    built, marker = keras2
    folder = tmp_path / "s"
    folder.mkdir()
    target = folder / "model.h5"
    target.write_bytes((built / "wrapped_lambda.h5").read_bytes())
    with h5py.File(target, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        wrapped = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "TimeDistributed")
        wrapped["config"]["layer"]["config"].pop("module", None)
        handle.attrs["model_config"] = json.dumps(config)
    assert "Lambda layer 'evil' (Lambda)" in grade(folder)
    assert not marker.exists()


def test_virtual_dataset_reading_another_file_is_refused(keras2, tmp_path):
    # An HDF5 virtual dataset takes its values from another file on the machine: weights not
    # in the artifact. Before: the screen passed it and only Keras' loader happened to refuse.
    import h5py
    import numpy as np

    built, _ = keras2
    folder = tmp_path / "s"
    folder.mkdir()
    target = folder / "model.h5"
    target.write_bytes((built / "plain.h5").read_bytes())
    elsewhere = tmp_path / "elsewhere.h5"
    with h5py.File(target, "r+") as handle:
        kernels: list[str] = []
        handle["model_weights"].visititems(lambda n, o: kernels.append(o.name) if n.endswith("kernel:0") else None)
        shape, dtype = handle[kernels[0]].shape, handle[kernels[0]].dtype
        with h5py.File(elsewhere, "w") as other:
            other["w"] = np.full(shape, 7.0, dtype=dtype)
        layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
        layout[...] = h5py.VirtualSource(str(elsewhere), "w", shape=shape)
        del handle[kernels[0]]
        handle.create_virtual_dataset(kernels[0], layout)
    reason = grade(folder)
    assert "refers to data outside itself" in reason and "a virtual dataset read from" in reason, reason


def test_a_fifo_in_one_submission_does_not_stall_the_batch(tmp_path):
    # Before: `tutor batch` hashed every file of every submission with a blocking open(), so one
    # student's FIFO (any name) stalled the whole class's grading forever.
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    os.mkfifo(subs / "alice" / "model.keras")
    os.mkfifo(subs / "alice" / "notes.txt")
    (subs / "bob").mkdir()
    cd_bomb(subs / "bob" / "model.keras", 200_000)
    out = tmp_path / "out"
    done = run_tutor("batch", str(subs), "--task", "task8.1", "-o", str(out), "-j", "1", timeout=600)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr[-2000:]
    book = (out / "gradebook.csv").read_text()
    assert "alice" in book and "bob" in book, book
    feedback = (out / "feedback" / "alice.txt").read_text()
    assert "model.keras is not a regular file" in feedback, feedback
