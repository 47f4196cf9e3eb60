"""Keras 2 model configs rewritten into what Keras 3 reads, before the model is opened.

Keras 3 opens most Keras 2 files (TF 2.8-2.15), but not all: measured on the artifact zoo
(tests/fixtures/zoo), two things that Keras 2 writes stop it:

- a mixed-precision layer's dtype is a Keras 2 `Policy` object
  (`{"module": "keras.mixed_precision", "class_name": "Policy", "config": {"name": "mixed_float16"}}`),
  which Keras 3 takes for a plain string and fails on (`'str' object has no attribute
  'quantization_mode'`); Keras 3 reads the policy's name;
- a functional model from Keras 2.13-2.15 names its class by Keras 2's internal module
  (`keras.src.engine.functional`), which Keras 3 cannot import.

Only plain JSON is rewritten here, after `screen` passed it; nothing is deserialised. The rewrite
goes into a copy of the artifact in the job's own temporary folder (the weights are untouched), so
the same weights give the same parameters and predictions.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

KERAS2_MODEL_MODULES = {  # Keras 2's internal module of a model class -> where Keras 3 has it
    "Functional": "keras.src.models.functional",
    "Sequential": "keras",
    "Model": "keras",
}
KERAS2_PREFIXES = ("keras.src.engine.", "keras.engine.")


def _policy_name(node: dict) -> Any:
    config = node.get("config")
    if (node.get("class_name") == "Policy" and isinstance(config, dict) and isinstance(config.get("name"), str)
            and (node.get("module") in (None, "keras.mixed_precision") or
                 str(node.get("module")).startswith("keras."))):
        return config["name"]
    return None


def normalise(config: dict) -> dict:
    """A copy of `config` in Keras 3's terms (the same object when nothing needed a change)."""
    fixed = copy.deepcopy(config)
    changed = False
    stack: list[Any] = [fixed]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            for index, value in enumerate(item):
                if isinstance(value, dict) and (name := _policy_name(value)) is not None:
                    item[index], changed = name, True
                else:
                    stack.append(value)
        elif isinstance(item, dict):
            module = item.get("module")
            if (isinstance(module, str) and module.startswith(KERAS2_PREFIXES)
                    and item.get("class_name") in KERAS2_MODEL_MODULES):
                item["module"], changed = KERAS2_MODEL_MODULES[item["class_name"]], True
            for key, value in item.items():
                if isinstance(value, dict) and (name := _policy_name(value)) is not None:
                    item[key], changed = name, True
                else:
                    stack.append(value)
    return fixed if changed else config


def rewritten(path: Path, fmt: str, config: dict) -> Path:
    """`path` itself when its config needs no change, else a copy holding the normalised config
    (the zip's config.json, or the HDF5 file's model_config attribute) in a new folder of the
    temporary dir (in the sandbox: the job's own, removed with it)."""
    fixed = normalise(config)
    if fixed is config:
        return path
    target = Path(tempfile.mkdtemp(prefix="keras2-")) / path.name
    if fmt == "hdf5":
        import h5py

        shutil.copyfile(path, target)
        with h5py.File(target, "r+") as handle:
            handle.attrs["model_config"] = json.dumps(fixed)
        return target
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy_:
        for member in source.infolist():
            data = json.dumps(fixed).encode() if member.filename == "config.json" else source.read(member)
            copy_.writestr(member, data)
    return target
