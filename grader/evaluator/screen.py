"""The model config read as data, and screened, before Keras deserialises anything.

Runs in the evaluator sandbox only (h5py parses the untrusted HDF5 file). Both formats carry
the architecture as JSON: `config.json` in a Keras v3 zip, the `model_config` attribute of a
legacy HDF5 file (Keras 2). Refused, each with a one-line reason naming the layer:

- a Lambda layer (a Keras 2 HDF5 file holds its function as marshalled Python bytecode);
- any Python function or object from outside Keras (a `module` that is not keras);
- a layer class that is not one of Keras' own (a student's custom layer);
- a layer that loads an external file (TFSMLayer, a lookup layer's vocabulary file...).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Iterator, Optional

from grader.sandbox.protocol import JobFailure
from grader.save_advice import weights_only

MAX_CONFIG_BYTES = 16 << 20
MODEL_CLASSES = {"Sequential", "Functional", "Model"}
FILE_KEYS = {"filepath", "file_path", "vocabulary", "path"}
FILE_LAYERS = {"TFSMLayer"}
WRAPPED_KEYS = ("layer", "forward_layer", "backward_layer")  # TimeDistributed, Bidirectional


def read_config(path: Path, fmt: str, name: str) -> tuple[dict, Optional[dict]]:
    """(model config, compile/training config or None) read as plain JSON."""
    if fmt == "hdf5":
        return _hdf5_config(path, name)
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.getinfo("config.json").file_size > MAX_CONFIG_BYTES:
                raise JobFailure(f"{name}: its model config is over 16 MiB, far too large for a model of this course")
            config = _json(archive.read("config.json"), name)
    except (OSError, KeyError, zipfile.BadZipFile):
        raise JobFailure(f"{name} is corrupt: no readable config.json inside; save it again with model.save('{name}')") from None
    return config, config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None


def _hdf5_config(path: Path, name: str) -> tuple[dict, Optional[dict]]:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
            training = handle.attrs.get("training_config")
            outside = _external_reference(handle)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise JobFailure(f"{name} is a corrupt HDF5 file ({str(exc).splitlines()[0][:120]}); save it again with model.save('{name}')") from None
    if outside:
        raise JobFailure(f"{name} refers to data outside itself ({outside}); save the model again with model.save('{name}')")
    if raw is None:
        raise JobFailure(weights_only(name))
    config = _json(raw, name)
    return config, (_json(training, name) if training is not None else None)


def _external_reference(handle: Any, budget: int = 20000) -> Optional[str]:
    """An HDF5 external link, or a dataset stored in an external file, anywhere in the file:
    the weights must come from the artifact itself, never from another file on the machine."""
    import h5py

    stack = [handle]
    while stack and budget > 0:
        group = stack.pop()
        for key in group:
            budget -= 1
            link = group.get(key, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                return f"an external link to {link.filename}"
            if isinstance(link, h5py.SoftLink):
                continue
            item = group.get(key)
            if isinstance(item, h5py.Group):
                stack.append(item)
            elif isinstance(item, h5py.Dataset) and item.external:
                return f"dataset {item.name} stored in {item.external[0][0]!r}"
            elif isinstance(item, h5py.Dataset) and getattr(item, "is_virtual", False):
                return f"dataset {item.name}, a virtual dataset read from {item.virtual_sources()[0].file_name!r}"
    return "more objects than any model of this course" if budget <= 0 else None


def _json(raw: Any, name: str) -> dict:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    if not isinstance(raw, str) or len(raw) > MAX_CONFIG_BYTES:
        raise JobFailure(f"{name}: its model config is not JSON text of a sensible size")
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise JobFailure(f"{name}: its model config is not valid JSON; save it again with model.save('{name}')") from None
    if not isinstance(value, dict):
        raise JobFailure(f"{name}: its model config is not a JSON object")
    return value


def _nodes(config: Any) -> Iterator[tuple[dict, Optional[dict]]]:
    """Every JSON object in the config with the layer it belongs to (iterative: no recursion limit)."""
    stack: list[tuple[Any, Optional[dict]]] = [(config, None)]
    while stack:
        item, layer = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item and isinstance(item.get("config"), dict) and "name" in item["config"]:
                layer = item
            yield item, layer
            stack.extend((v, layer) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, layer) for v in item)


def _layer_name(layer: Optional[dict]) -> str:
    if layer is None:
        return "the model"
    return f"layer '{layer['config'].get('name')}' ({layer.get('class_name')})"


def _layer_lists(config: dict) -> Iterator[dict]:
    """Every layer entry of the model, of the models nested in it and of the layers a wrapper
    (TimeDistributed, Bidirectional...) holds."""
    stack = [config]
    while stack:
        outer = stack.pop()
        inner = outer.get("config") if isinstance(outer.get("config"), dict) else {}
        layers = inner.get("layers") if outer.get("class_name") in MODEL_CLASSES else None
        wrapped = [inner.get(key) for key in WRAPPED_KEYS]
        for entry in [*(layers if isinstance(layers, list) else []), *wrapped]:
            if isinstance(entry, dict):
                yield entry
                stack.append(entry)


def known_layers() -> set[str]:
    import keras

    return {n for n in dir(keras.layers) if isinstance(getattr(keras.layers, n, None), type)} | MODEL_CLASSES


def screen(config: dict, name: str, known: Optional[set[str]] = None) -> None:
    """Raise JobFailure (one line naming the layer) for anything that would run code or read files."""
    known = known_layers() if known is None else known
    top = config.get("class_name")
    if top not in MODEL_CLASSES:
        inner = config.get("config")
        if isinstance(top, str) and top not in known and isinstance(inner, dict) and "trainable" in inner:
            raise JobFailure(
                f"{name} holds a subclassed model (class {top}), whose Python code would have to run to load it; "
                "the grader opens models built from Keras' own layers only: build it with keras.Sequential or "
                "keras.Model(inputs, outputs) and save it again"
            )
        raise JobFailure(f"{name} holds a {top!r}, not a Keras model")
    # The compile config (optimizer, loss, metrics) is read as data only: the model is opened with
    # compile=False, which never deserialises it, so a student's own loss there is no reason to refuse.
    config = {key: value for key, value in config.items() if key != "compile_config"}
    for entry in _layer_lists(config):
        cls = entry.get("class_name")
        layer = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        label = f"'{layer.get('name')}' ({cls})"
        if cls == "Lambda":
            raise JobFailure(
                f"{name} contains a Lambda layer {label}, which needs arbitrary Python code to load; the grader "
                "opens models in safe mode and refuses it: replace the Lambda with built-in Keras layers"
            )
        if not isinstance(cls, str) or cls not in known:
            raise JobFailure(
                f"{name} uses '{cls}' (layer '{layer.get('name')}'), a custom layer or function the grader does not "
                "know; graded models may use built-in Keras layers only: rebuild it with those"
            )
        if cls in FILE_LAYERS:
            raise JobFailure(f"{name}: layer {label} loads an external file; graded models must carry their own weights")
    for node, owner in _nodes(config):
        module = node.get("module")
        if isinstance(module, str) and not (module == "keras" or module.startswith("keras.")):
            what = "a Python function" if node.get("class_name") in ("function", "__lambda__") else f"'{module}'"
            raise JobFailure(
                f"{name}: {_layer_name(owner)} refers to {what} from outside Keras, which would run code when "
                "loaded; graded models may use built-in Keras layers only"
            )
        registered = node.get("registered_name")
        if isinstance(registered, str) and ">" in registered and not registered.startswith("keras"):
            raise JobFailure(
                f"{name} uses '{registered}' in {_layer_name(owner)}, a custom layer or function the grader does "
                "not know; graded models may use built-in Keras layers only: rebuild it with those"
            )
        for key in FILE_KEYS & node.keys():
            if isinstance(node[key], str) and node[key] and owner is not None and node is owner.get("config"):
                raise JobFailure(
                    f"{name}: {_layer_name(owner)} loads the external file {node[key][:80]!r}; graded models "
                    "must carry everything they need inside the model file"
                )


def compile_facts(compiled: Optional[dict]) -> tuple[Optional[dict], Optional[str]]:
    """(optimizer config, loss name) from a Keras 3 compile_config or a Keras 2 training_config."""
    if not isinstance(compiled, dict):
        return None, None
    optimizer = compiled.get("optimizer", compiled.get("optimizer_config"))
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer}
    if isinstance(optimizer, dict) and isinstance(optimizer.get("class_name"), str):
        # tf.keras 2.11 records its (then new) optimizers as "Custom>Adam"
        optimizer = {**optimizer, "class_name": optimizer["class_name"].removeprefix("Custom>")}
    loss = compiled.get("loss")
    if isinstance(loss, dict):  # a Keras 3 function is {"class_name": "function", "config": "zoo>zoo_loss"}
        inner = loss.get("config")
        loss = inner if isinstance(inner, str) else (inner if isinstance(inner, dict) else {}).get("name") or loss.get("class_name")
    return (optimizer if isinstance(optimizer, dict) else None), (loss if isinstance(loss, str) else None)
