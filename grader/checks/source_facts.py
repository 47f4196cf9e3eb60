"""Facts read from a submission's Python source by its syntax tree (never run, never imported).

Used where the model summary cannot say it: an augmentation pipeline outside the model, the
training recipe's learning-rate schedule, whether pretrained weights are loaded, which layers a
fine-tuning script unfreezes. Each finder returns human-readable evidence ("line 12:
RandomFlip(...)"); an empty list means "not found".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

MAX_SOURCE_BYTES = 1 << 20

# Keras preprocessing layers that only act while training (plus the mixing ones).
AUGMENT_EXTRA = {"RandAugment", "AugMix", "MixUp", "CutMix", "Solarization"}
GENERATOR_KWARGS = {
    "rotation_range",
    "width_shift_range",
    "height_shift_range",
    "zoom_range",
    "shear_range",
    "horizontal_flip",
    "vertical_flip",
    "brightness_range",
    "channel_shift_range",
}
SCHEDULES = {
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "CyclicalLearningRate",
    "TriangularCyclicalLearningRate",
    "Triangular2CyclicalLearningRate",
    "ExponentialCyclicalLearningRate",
}
LR_CALLBACKS = {"LearningRateScheduler", "ReduceLROnPlateau"}


@dataclass
class Source:
    """A parsed file, or the one-line reason it could not be read."""

    path: Path
    tree: Optional[ast.Module] = None
    error: Optional[str] = None


def read_source(folder: Path, name: str) -> Source:
    path = folder / name
    try:
        if path.is_symlink() or not path.resolve().is_relative_to(folder.resolve()):
            return Source(path, error=f"{name}: refused (it points outside the submission)")
        if not path.is_file():
            return Source(path, error=f"{name}: missing")
        if path.stat().st_size > MAX_SOURCE_BYTES:
            return Source(path, error=f"{name}: larger than 1 MiB, not read")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return Source(path, error=f"{name}: cannot read ({exc.strerror})")
    try:
        return Source(path, tree=ast.parse(text, filename=name))
    except SyntaxError as exc:
        where = f" on line {exc.lineno}" if exc.lineno else ""
        return Source(path, error=f"{name}: syntax error{where}: {exc.msg}")
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return Source(path, error=f"{name}: not readable as Python ({type(exc).__name__})")


def dotted(node: ast.AST) -> str:
    """`keras.layers.RandomFlip` for the function part of a call; '' if not a plain name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return ""


def calls(tree: ast.AST) -> Iterator[tuple[ast.Call, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node, dotted(node.func)


def last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def where(node: ast.AST, what: str) -> str:
    return f"line {getattr(node, 'lineno', '?')}: {what}"


def is_augmentation_layer(class_name: str) -> bool:
    return bool(re.match(r"^Random[A-Z]", class_name)) or class_name in AUGMENT_EXTRA


def augmentation(tree: ast.Module) -> list[str]:
    """Augmentation layers, an ImageDataGenerator with transformations, or a tf.data map that
    uses random image ops."""
    found: list[str] = []
    has_map = False
    random_ops: list[str] = []
    for node, name in calls(tree):
        short = last(name)
        if is_augmentation_layer(short):
            found.append(where(node, f"{short}(...)"))
        elif short == "ImageDataGenerator":
            used = sorted(k.arg for k in node.keywords if k.arg in GENERATOR_KWARGS)
            if used:
                found.append(where(node, f"ImageDataGenerator({', '.join(used)})"))
        elif short == "map" and isinstance(node.func, ast.Attribute):
            has_map = True
        elif re.match(r"^(stateless_)?random_", short) and ("image" in name or name == short):
            random_ops.append(where(node, name))
    if has_map and random_ops:
        found.extend(random_ops)
    return found


def _imported_from(tree: ast.Module, part: str) -> set[str]:
    """Names bound by `from ...<part>... import X` (e.g. `from keras.applications import ResNet50`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and part in (node.module or "").split("."):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def pretrained_weights(tree: ast.Module) -> list[str]:
    """Every place that loads trained weights: weights= other than None, Keras Applications
    models left at their ImageNet default, load_weights(), TF Hub layers."""
    found: list[str] = []
    applications = _imported_from(tree, "applications")
    for node, name in calls(tree):
        short = last(name)
        weights = next((k for k in node.keywords if k.arg == "weights"), None)
        if weights is not None:
            if not (isinstance(weights.value, ast.Constant) and weights.value.value is None):
                found.append(where(node, f"{short}(weights={ast.unparse(weights.value)})"))
        elif ("applications" in name.split(".") or name in applications) and short[:1].isupper():
            found.append(where(node, f"{short}(...) without weights=None loads ImageNet weights"))
        if short in {"load_weights", "load_model"} or name.startswith("hub.") or short == "KerasLayer":
            found.append(where(node, f"{name}(...)"))
    return found


def _class_bases(tree: ast.Module) -> Iterator[tuple[ast.ClassDef, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            yield node, [last(dotted(b)) for b in node.bases]


def lr_schedule(tree: ast.Module, callbacks_count: bool) -> list[str]:
    """Learning-rate schedules and Lookahead optimisers; LR callbacks only if `callbacks_count`
    (they act only in a training script the student runs, not in model.py)."""
    found: list[str] = []
    for node, name in calls(tree):
        short = last(name)
        if short in SCHEDULES or "lookahead" in short.lower():
            found.append(where(node, f"{short}(...)"))
        elif callbacks_count and short in LR_CALLBACKS:
            found.append(where(node, f"{short}(...) callback"))
    for node, bases in _class_bases(tree):
        if "LearningRateSchedule" in bases:
            found.append(where(node, f"class {node.name}(LearningRateSchedule)"))
        elif "lookahead" in node.name.lower():
            found.append(where(node, f"class {node.name}"))
    return found


def unfreezes(tree: ast.Module) -> list[str]:
    """Assignments `something.trainable = True` (fine-tuning unfreezes part of a backbone)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is True:
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "trainable":
                    found.append(where(node, f"{ast.unparse(target)} = True"))
    return found


def fit_callbacks(tree: ast.Module) -> Optional[dict[str, str]]:
    """Callback class (normalised name) -> evidence, for every callback handed to a `.fit(...)`
    call, followed through simple assignments (`stop = EarlyStopping(...)`, `cbs = [stop]`,
    `cbs.append(...)`, `a + b`) and local subclasses (`class Stop(EarlyStopping)` counts as
    EarlyStopping too). None when nothing calls fit()."""
    names = _assignments(tree)
    appended: dict[str, list[ast.AST]] = {}
    for node, name in calls(tree):
        if last(name) == "append" and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            appended.setdefault(node.func.value.id, []).extend(node.args[:1])
    bases = {node.name: found for node, found in _class_bases(tree)}
    handed: Optional[dict[str, str]] = None
    for node, name in calls(tree):
        if last(name) != "fit" or not isinstance(node.func, ast.Attribute):
            continue
        handed = handed if handed is not None else {}
        given = next((k.value for k in node.keywords if k.arg == "callbacks"), None)
        for call in _constructed(given, names, appended):
            cls = last(dotted(call.func))
            for known in _with_bases(cls, bases):
                handed.setdefault(normalise_name(known), where(node, f"fit(callbacks=[... {cls}(...) ...])"))
    return handed


def _constructed(value: Optional[ast.AST], names: dict[str, ast.AST], appended: dict[str, list[ast.AST]],
                 depth: int = 0) -> Iterator[ast.Call]:
    """The constructor calls a callbacks= value is made of."""
    if value is None or depth > 5:
        return
    if isinstance(value, ast.Call):
        yield value
    elif isinstance(value, (ast.List, ast.Tuple)):
        for item in value.elts:
            yield from _constructed(item, names, appended, depth + 1)
    elif isinstance(value, ast.Starred):
        yield from _constructed(value.value, names, appended, depth + 1)
    elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        yield from _constructed(value.left, names, appended, depth + 1)
        yield from _constructed(value.right, names, appended, depth + 1)
    elif isinstance(value, ast.Name):
        yield from _constructed(names.get(value.id), names, appended, depth + 1)
        for item in appended.get(value.id, []):
            yield from _constructed(item, names, appended, depth + 1)


def _with_bases(cls: str, bases: dict[str, list[str]], depth: int = 0) -> list[str]:
    """`cls` and, for a class defined in the file, the classes it derives from."""
    found = [cls]
    if depth < 5:
        for base in bases.get(cls, []):
            if base != cls:
                found += _with_bases(base, bases, depth + 1)
    return found


def normalise_name(value: str) -> str:
    """'CategoricalCrossentropy', 'categorical_crossentropy' -> 'categoricalcrossentropy'."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _assignments(tree: ast.Module) -> dict[str, ast.AST]:
    names: dict[str, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            names[node.targets[0].id] = node.value
    return names


def _named(value: ast.AST, names: dict[str, ast.AST], depth: int = 0) -> Optional[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.Call):
        return last(dotted(value.func)) or None
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Name) and value.id in names and depth < 3:
        return _named(names[value.id], names, depth + 1)
    return None


def compile_settings(tree: ast.Module) -> list[dict[str, Optional[str]]]:
    """optimizer= and loss= of every `.compile(...)` call, resolved through simple assignments."""
    names = _assignments(tree)
    found = []
    for node, name in calls(tree):
        if last(name) != "compile" or not isinstance(node.func, ast.Attribute):
            continue
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        found.append(
            {
                "optimizer": _named(kwargs["optimizer"], names) if "optimizer" in kwargs else None,
                "loss": _named(kwargs["loss"], names) if "loss" in kwargs else None,
                "line": str(node.lineno),
            }
        )
    return found
