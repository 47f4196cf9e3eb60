"""Inside the sandbox, Keras' dataset loaders return the staged, verified arrays.

A student's plain `keras.datasets.mnist.load_data()` (or `tf.keras.datasets...`) would look
for the official file in KERAS_HOME, refuse a faithful repack by its file hash, and try to
download, which fails offline. The trusted parent copies the verified .npz files the code
names into the job's `in/datasets/`; this hook, run in the child before any student code,
makes the loaders read them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional


def install(staged: Optional[dict[str, str]], workdir: Path) -> None:
    """`staged`: Keras dataset name -> file inside the job folder (from the job's args)."""
    if not staged:
        return
    from grader.notebook.standalone import install_datasets

    files = {}
    for name, relative in staged.items():
        path = (workdir / relative).resolve()
        if path.is_file() and path.is_relative_to(workdir.resolve()):
            files[name] = str(path)
    install_datasets(files)
