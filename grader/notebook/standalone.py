"""notebook_model.py: build_model() from a notebook's cells.

tutor writes this file next to a training job (`tutor submit`) with the notebook's cells
filled in below, and tutor's own sandbox uses the same functions. It needs only the standard
library, NumPy and Keras (Keras 3 or tf.keras): tutor is not installed where jobs run.

The cells run in order, as plain Python (magics and shell commands already left out), up to
the first statement that trains or evaluates. The model is then, in this order: what the
notebook's own build_model() returns; else the one compiled keras.Model the cells left.
"""

import builtins
import os

NOTEBOOK = ""  # the notebook's file name
CELLS = []  # [[cell number, plain Python], ...] up to the first training statement
STOP = ""  # where the cells were cut, for messages
DATASETS = {}  # Keras dataset name -> staged .npz, for the cells' load_data() calls


class NotebookModelError(Exception):
    """No model, or several: str() says which were found and what to do."""


def _keras():
    try:
        import keras

        return keras
    except ImportError:  # older images: only tf.keras
        from tensorflow import keras

        return keras


def cell_file(notebook, number):
    return "<%s cell %d>" % (notebook, number)


def new_namespace():
    """What a fresh notebook kernel has: __main__, builtins, and a display() that does nothing."""
    return {"__name__": "__main__", "__builtins__": builtins, "display": lambda *args, **kwargs: None}


def is_model(value):
    keras = _keras()
    return isinstance(value, keras.Model)


def is_compiled(model):
    return bool(getattr(model, "compiled", getattr(model, "_is_compiled", False))) and getattr(model, "optimizer", None) is not None


class TrainingReached(BaseException):
    """A training or evaluating call the syntax tree did not show (through getattr, an alias,
    a method, a decorator, exec...): the cells stop there, as they stop before `model.fit`."""


TRAINING_METHODS = ("fit", "fit_generator", "train_on_batch", "evaluate", "evaluate_generator", "test_on_batch",
                    "predict", "predict_generator", "predict_on_batch")


class _TrainingStops(object):
    """While the cells run, Keras' training and evaluating entry points raise TrainingReached."""

    def __enter__(self):
        keras = _keras()
        owners = [(keras.Model, TRAINING_METHODS)]
        optimizer = getattr(getattr(keras, "optimizers", None), "Optimizer", None)
        if optimizer is not None:
            owners.append((optimizer, ("apply_gradients", "apply", "minimize")))
        self.saved = []
        for owner, names in owners:
            for name in names:
                if not hasattr(owner, name):
                    continue
                self.saved.append((owner, name, owner.__dict__.get(name)))
                setattr(owner, name, _stopper(owner.__name__, name))
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self.saved):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)
        return False


def _stopper(owner, name):
    def stop(*args, **kwargs):
        raise TrainingReached("%s.%s" % (owner, name))
    return stop


def _cell_line(exc, notebook):
    """'cell 3 line 2' of the innermost notebook frame of a traceback, else ''."""
    import traceback

    prefix = "<%s cell " % notebook
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(prefix)]
    if not frames:
        return ""
    return "cell %s line %d" % (frames[-1].filename[len(prefix):].rstrip(">"), frames[-1].lineno)


def run_cells(notebook, cells, namespace, stops=None):
    """Run each cell; returns {id(model): (name, cell)} for the models the cells left bound.
    A training call the plan did not see stops the cells there; `stops` gets where and what."""
    origins = {}
    bound = {}  # name -> id of the model it held after the previous cell
    with _TrainingStops():
        for number, source in cells:
            reached = None
            try:
                exec(compile(source, cell_file(notebook, number), "exec"), namespace)
            except TrainingReached as exc:
                reached = "%s (which calls %s)" % (_cell_line(exc, notebook) or "cell %d" % number, exc)
            for name, value in list(namespace.items()):
                if name.startswith("_") or not is_model(value) or bound.get(name) == id(value):
                    continue
                bound[name] = id(value)
                if id(value) not in origins:
                    origins[id(value)] = (name, number)
            if reached:
                if stops is not None:
                    stops.append(reached)
                break
    return origins


def models_left(namespace, origins):
    """[(name, cell, model)] for each distinct keras.Model still bound at the top level."""
    found = {}
    for name, value in namespace.items():
        if name.startswith("_") or not is_model(value) or id(value) in found:
            continue
        bound, cell = origins.get(id(value), (name, 0))
        found[id(value)] = (bound if namespace.get(bound) is value else name, cell, value)
    return sorted(found.values(), key=lambda item: (item[1], item[0]))


def label(name, cell):
    return "`%s` (cell %d)" % (name, cell) if cell else "`%s`" % name


def pick_model(namespace, origins, stop=""):
    """The one compiled keras.Model (or the only model, compiled or not), else NotebookModelError."""
    models = models_left(namespace, origins)
    compiled = [m for m in models if is_compiled(m[2])]
    if len(compiled) == 1:
        return compiled[0][2]
    if len(compiled) > 1:
        names = ", ".join(label(n, c) for n, c, _ in compiled)
        raise NotebookModelError("the notebook leaves %d compiled models: %s; keep one, or define build_model() "
                                 "returning the one to grade" % (len(compiled), names))
    if len(models) == 1:
        return models[0][2]
    if models:
        names = ", ".join(label(n, c) for n, c, _ in models)
        raise NotebookModelError("the notebook leaves %d models and none is compiled: %s; compile the one to "
                                 "grade (model.compile(...)) before training" % (len(models), names))
    where = " before " + stop if stop else ""
    raise NotebookModelError("the notebook makes no keras.Model%s; build and compile it in a cell above "
                             "the training, or define build_model()" % where)


def install_datasets(files):
    """keras.datasets.<name>.load_data() (also through tf.keras) returns the staged arrays,
    with no download and no file-hash check: `files` maps mnist/fashion_mnist/cifar10 to an
    .npz holding x_train, y_train (and x_test, y_test)."""
    if not files:
        return
    import importlib
    import sys

    import numpy as np

    def loader(path):
        def load_data(*args, **kwargs):
            with np.load(path, allow_pickle=False) as data:
                train = (data["x_train"], data["y_train"])
                test = ((data["x_test"], data["y_test"]) if "x_test" in data.files
                        else (data["x_train"][:0], data["y_train"][:0]))
            return train, test

        return load_data

    originals = {}
    for short in files:
        for base in ("keras.src.datasets.", "keras.datasets.", "tensorflow.keras.datasets."):
            try:
                module = importlib.import_module(base + short)
            except Exception:  # not in this Keras
                continue
            function = getattr(module, "load_data", None)
            if function is not None:
                originals[id(function)] = short
    for module in list(sys.modules.values()):
        try:
            function = getattr(module, "load_data", None)
        except Exception:  # lazy modules may refuse
            continue
        if function is not None and id(function) in originals:
            module.load_data = loader(files[originals[id(function)]])


def build_model():
    """The notebook's model, for tutor_runner.py (which trains it with the task's recipe)."""
    install_datasets(DATASETS)
    here = os.path.dirname(os.path.abspath(__file__))
    namespace = new_namespace()
    namespace["__file__"] = os.path.join(here, NOTEBOOK)
    stops = []
    origins = run_cells(NOTEBOOK, CELLS, namespace, stops)
    if callable(namespace.get("build_model")):
        return namespace["build_model"]()
    return pick_model(namespace, origins, stops[0] if stops else STOP)
