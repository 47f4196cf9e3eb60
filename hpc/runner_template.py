"""tutor_runner.py: train a student's model with the exercise's recipe inside a SLURM job.

Written next to the job script by `tutor submit`. It runs in the site's container, where
tutor is NOT installed: standard library, numpy and Keras only (Keras 3, or the tf.keras of
an older NGC TensorFlow image). It loads the staged dataset by path, applies the task's
input adapter (the 96x96 RGB resize streams batch by batch), trains `build_model()` from
model.py with the recipe and seed, prints what `tutor logs` summarises (TensorFlow version,
devices, one line per epoch, test accuracy), and writes model.keras and train.json.

Usage: python tutor_runner.py --task T --data mnist.npz --adapter image --epochs 5 \
           --batch-size 100 --seed 42 --labels categorical [--validation-split F] \
           [--train-subset N] [--eval-subset N] [--model model.py] [--out DIR] [--keras-home DIR]
"""

import argparse
import importlib.util
import json
import os
import platform
import sys
import time

import numpy as np


def _keras():
    try:
        import keras  # Keras 3 (or Keras 2 as a standalone package)

        return keras
    except ImportError:  # older images: only tf.keras
        from tensorflow import keras

        return keras


def _bilinear(size_in, size_out):
    """Interpolation matrix (size_out x size_in) of a half-pixel-centred bilinear resize,
    as tf.image.resize(method='bilinear') computes it when enlarging."""
    scale = size_in / size_out
    centres = (np.arange(size_out) + 0.5) * scale - 0.5
    low = np.clip(np.floor(centres).astype(int), 0, size_in - 1)
    high = np.clip(low + 1, 0, size_in - 1)
    frac = np.clip(centres - np.floor(centres), 0.0, 1.0)
    frac[centres < 0] = 0.0
    weights = np.zeros((size_out, size_in), dtype=np.float32)
    np.add.at(weights, (np.arange(size_out), low), 1.0 - frac)
    np.add.at(weights, (np.arange(size_out), high), frac)
    return weights


RESIZE_96 = None


def to_model(model, inputs):
    """Inputs reshaped to the model's own input shape when it holds the same values (a 28x28
    model fed flattened images), as the grader does."""
    try:
        dims = [int(d) for d in model.inputs[0].shape[1:]]
    except (AttributeError, IndexError, TypeError, ValueError):
        return inputs
    if list(inputs.shape[1:]) != dims and int(np.prod(dims)) == int(np.prod(inputs.shape[1:])):
        return inputs.reshape((len(inputs), *dims))
    return inputs


def adapt(x, adapter):
    """One batch of raw uint8 images -> float32 model inputs in [0, 1]."""
    global RESIZE_96
    x = np.asarray(x)
    if adapter == "flatten":
        return x.reshape(len(x), -1).astype(np.float32) / 255.0
    if adapter == "image":
        return x.reshape(len(x), 28, 28, 1).astype(np.float32) / 255.0
    if adapter == "cifar":
        return x.astype(np.float32) / 255.0
    if adapter == "rgb96":
        if RESIZE_96 is None:
            RESIZE_96 = _bilinear(28, 96)
        grey = x.reshape(len(x), 28, 28).astype(np.float32) / 255.0
        big = np.einsum("ij,njk,lk->nil", RESIZE_96, grey, RESIZE_96, optimize=True)
        return np.repeat(big[..., None], 3, axis=-1).astype(np.float32)
    raise SystemExit(f"tutor_runner: unknown input adapter '{adapter}'")


def encode(y, labels, classes=10):
    y = np.asarray(y).astype("int64").reshape(-1)
    if labels == "categorical":
        return np.eye(classes, dtype=np.float32)[y]
    return y


def batch_source(keras, x, y, adapter, batch_size, labels, shuffle_seed=None):
    """Batches adapted on the fly (never the whole resized set in memory)."""
    base = getattr(keras.utils, "PyDataset", None) or keras.utils.Sequence

    class Batches(base):
        def __init__(self):
            super().__init__()
            self.order = np.arange(len(x))
            self.epoch = 0
            self.on_epoch_end()

        def __len__(self):
            return -(-len(x) // batch_size)

        def __getitem__(self, index):
            pick = self.order[index * batch_size:(index + 1) * batch_size]
            return adapt(x[pick], adapter), encode(y[pick], labels)

        def on_epoch_end(self):
            if shuffle_seed is not None:
                self.order = np.random.default_rng(shuffle_seed + self.epoch).permutation(len(x))
                self.epoch += 1

    return Batches()


class EpochTimes:
    def __init__(self, keras):
        class Callback(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.times = []
                self.start = 0.0

            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.monotonic()

            def on_epoch_end(self, epoch, logs=None):
                self.times.append(round(time.monotonic() - self.start, 3))

        self.callback = Callback()


def load_build_model(path):
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("student_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "build_model"):
        raise SystemExit(f"tutor_runner: {path} defines no build_model()")
    return module.build_model


def _backend(keras):
    try:
        return keras.backend.backend()
    except Exception:  # noqa: BLE001 - an odd Keras build: say so rather than stop the job
        return "unknown"


def devices():
    try:
        import tensorflow as tf

        found = tf.config.list_physical_devices()
        return tf.__version__, [d.name + " (" + d.device_type + ")" for d in found], [
            d.name for d in found if d.device_type == "GPU"
        ]
    except ImportError:
        return "none", [], []


def main(argv=None):
    p = argparse.ArgumentParser(description="Train build_model() with the exercise's recipe.")
    p.add_argument("--task", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--adapter", default="image")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--recipe-epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--labels", choices=["sparse", "categorical"], default="categorical")
    p.add_argument("--validation-split", type=float, default=0.0)
    p.add_argument("--train-subset", type=int, default=None)
    p.add_argument("--eval-subset", type=int, default=None)
    p.add_argument("--model", default="model.py")
    p.add_argument("--out", default=".")
    p.add_argument("--keras-home", default=None, help="staged weights in Keras' cache layout (DIR/models/...)")
    args = p.parse_args(argv)
    if args.keras_home:
        os.environ["KERAS_HOME"] = args.keras_home

    keras = _keras()
    tf_version, seen, gpus = devices()
    backend = _backend(keras)
    print("TensorFlow", tf_version, "| Keras", keras.__version__, "| backend", backend,
          "| Python", platform.python_version())
    print("Devices:", ", ".join(seen) or "none listed")
    print("GPU:", ", ".join(gpus) if gpus else "none (training on the CPU)", flush=True)

    keras.utils.set_random_seed(args.seed)
    with np.load(args.data, allow_pickle=False) as data:
        x, y = data["x_train"], data["y_train"]
        x_test, y_test = (data["x_test"], data["y_test"]) if "x_test" in data.files else (None, None)
    if args.train_subset:
        x, y = x[: args.train_subset], y[: args.train_subset]
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order], y[order]
    n_val = int(len(x) * args.validation_split)
    x_fit, y_fit = x[: len(x) - n_val], y[: len(y) - n_val]

    model = load_build_model(args.model)()
    if getattr(model, "optimizer", None) is None:
        raise SystemExit("tutor_runner: build_model() returned a model that is not compiled")
    timer = EpochTimes(keras).callback
    if args.adapter == "rgb96":  # streamed: 60k x 96 x 96 x 3 floats would be 6.6 GB
        train = batch_source(keras, x_fit, y_fit, args.adapter, args.batch_size, args.labels, args.seed)
        val = (batch_source(keras, x[len(x) - n_val:], y[len(y) - n_val:], args.adapter, args.batch_size,
                            args.labels) if n_val else None)
        fit = dict(x=train, validation_data=val)
    else:
        fit = dict(x=to_model(model, adapt(x_fit, args.adapter)), y=encode(y_fit, args.labels),
                   batch_size=args.batch_size, shuffle=True)
        if n_val:
            fit["validation_data"] = (to_model(model, adapt(x[len(x) - n_val:], args.adapter)),
                                      encode(y[len(y) - n_val:], args.labels))
    started = time.monotonic()
    history = model.fit(epochs=args.epochs, verbose=2, callbacks=[timer], **fit)
    total = time.monotonic() - started

    out = os.path.abspath(args.out)
    model.save(os.path.join(out, "model.keras"))
    record = {
        "task": args.task,
        "seed": args.seed,
        "epochs": args.epochs,
        "recipe_epochs": args.recipe_epochs or args.epochs,
        "batch_size": args.batch_size,
        "labels": args.labels,
        "validation_split": args.validation_split,
        "train_size": int(len(x)),
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
        "epoch_times_s": timer.times,
        "total_s": round(total, 3),
        "tensorflow": tf_version,
        "keras": keras.__version__,
        "device": f"GPU ({gpus[0]})" if gpus else f"CPU ({platform.machine()})",
        "python": platform.python_version(),
        "backend": backend,
    }
    tmp = os.path.join(out, ".train.json.tmp")
    with open(tmp, "w") as handle:
        json.dump(record, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, os.path.join(out, "train.json"))
    print("Saved model.keras and train.json in", out, flush=True)

    if x_test is not None:
        if args.eval_subset:
            x_test, y_test = x_test[: args.eval_subset], y_test[: args.eval_subset]
        test = batch_source(keras, x_test, y_test, args.adapter, 256, args.labels)
        results = model.evaluate(test, verbose=0, return_dict=True)
        accuracy = results.get("accuracy", results.get("acc", results.get("categorical_accuracy",
                               results.get("sparse_categorical_accuracy"))))
        if accuracy is not None:
            print("Test accuracy:", round(float(accuracy), 4), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
