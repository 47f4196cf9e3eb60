"""Assignment 1.4, with fine-tuning: continue from the trained model.keras with the top of the
MobileNetV2 base unfrozen, and record the run for task 1.5.

Run it on a GPU node after `tutor submit a1.4` has written model.keras:
    python finetune.py [--epochs 2] [--top 30] [--data /path/to/mnist.npz] [--limit N]
Writes finetuned.keras and finetuned.train.json next to this file.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

HERE = Path(__file__).resolve().parent


def find_mnist(explicit=None) -> Path:
    """The staged MNIST file: --data, $TUTOR_DATA_DIR, then the Keras cache."""
    places = [Path(explicit)] if explicit else []
    for root in (os.environ.get("TUTOR_DATA_DIR"), os.environ.get("KERAS_HOME"), Path.home() / ".keras"):
        if root:
            places += [Path(root) / "mnist.npz", Path(root) / "datasets" / "mnist.npz"]
    for place in places:
        if place.is_file():
            return place
    raise SystemExit("mnist.npz not found: pass --data /path/to/mnist.npz")


def to_rgb96(images, labels):
    images = tf.cast(tf.reshape(images, (-1, 28, 28, 1)), tf.float32)
    return tf.image.grayscale_to_rgb(tf.image.resize(images, (96, 96))) / 255.0, labels


def dataset(x, y, batch_size, shuffle):
    data = tf.data.Dataset.from_tensor_slices((x, y.astype("int64")))
    if shuffle:
        data = data.shuffle(10000, seed=42)
    return data.batch(batch_size).map(to_rgb96, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def unfreeze(model: keras.Model, top: int) -> keras.Model:
    """Make the last `top` layers of the pretrained base trainable; return the base."""
    base = next(layer for layer in model.layers if hasattr(layer, "layers"))
    base.trainable = True
    for index, layer in enumerate(base.layers):
        is_top = index >= len(base.layers) - top
        layer.trainable = is_top and not isinstance(layer, keras.layers.BatchNormalization)
    return base


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(round(time.monotonic() - self.start, 3))


def count(weights) -> int:
    return int(sum(np.prod(w.shape) for w in weights))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--data")
    parser.add_argument("--limit", type=int, help="train on the first N images only (a quick smoke test)")
    args = parser.parse_args()

    keras.utils.set_random_seed(42)
    with np.load(find_mnist(args.data)) as data:
        x_train, y_train = data["x_train"], data["y_train"]
    model = keras.models.load_model(HERE / "model.keras")
    unfreeze(model, args.top)
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    print(f"trainable parameters: {count(model.trainable_weights):,} of {model.count_params():,}")

    times = EpochTimes()
    started = time.monotonic()
    train, held_out = slice(0, 55000), slice(55000, 60000)  # never validate on the test set
    if args.limit:
        train, held_out = slice(0, args.limit), slice(55000, 55000 + max(args.limit // 10, 100))
    history = model.fit(
        dataset(x_train[train], y_train[train], args.batch_size, True),
        validation_data=dataset(x_train[held_out], y_train[held_out], 256, False),
        epochs=args.epochs,
        verbose=2,
        callbacks=[times],
    )
    total = time.monotonic() - started
    model.save(HERE / "finetuned.keras")

    gpus = tf.config.list_physical_devices("GPU")
    record = {
        "task": "a1.4",
        "label": "with fine-tuning",
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "history": {k: [float(v) for v in values] for k, values in history.history.items()},
        "epoch_times_s": times.times,
        "total_s": round(total, 3),
        "trainable_params": count(model.trainable_weights),
        "total_params": int(model.count_params()),
        "device": f"GPU ({gpus[0].name})" if gpus else f"CPU ({platform.machine()})",
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }
    (HERE / "finetuned.train.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote finetuned.keras and finetuned.train.json ({total:.0f} s)")


if __name__ == "__main__":
    main()
