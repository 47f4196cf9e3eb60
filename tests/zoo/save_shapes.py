"""Runs INSIDE one framework environment (TF 2.8 ... 2.21, Keras 2 or 3, or Keras 3 on torch):
trains a tiny MNIST-shaped model for one epoch on a few hundred real MNIST images and saves it in
every shape a student might, one folder per shape. Prints one JSON line per shape.

    python save_shapes.py MNIST_NPZ OUT_DIR

Kept to what Python 3.8 and tf.keras 2.8 understand (no match, no `X | Y`). A shape this
framework cannot write is reported with its error instead of a folder. Nothing of tutor is
imported here: the point is what each framework writes on its own.
"""

import json
import os
import shutil
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402

try:  # absent on Keras 3's torch backend
    import tensorflow as tf  # noqa: E402
except ImportError:
    tf = None

KERAS_VERSION = keras.__version__
if tf is not None and KERAS_VERSION.startswith("2."):
    keras = tf.keras  # Keras 2's own package hides parts of its API (optimizers.Adam on 2.8): what students use
KERAS_MAJOR = int(KERAS_VERSION.split(".")[0])
BACKEND = keras.backend.backend() if hasattr(keras.backend, "backend") else "tensorflow"
IMAGES = 300  # a few hundred real images, one epoch: accuracy is not the point
register = (getattr(getattr(keras, "saving", None), "register_keras_serializable", None)
            or getattr(keras.utils, "register_keras_serializable", None)
            or tf.keras.utils.register_keras_serializable)  # Keras <= 2.10 has it only under tf.keras


def data(npz):
    with np.load(npz) as d:
        x = d["x_train"][:IMAGES].astype("float32")[..., None] / 255.0
        y = np.eye(10, dtype="float32")[d["y_train"][:IMAGES]]
    return x, y


def layers_list(dense_dtype=None):
    """Input 28x28x1 -> Conv2D(4, 3, stride 2) -> MaxPool 2 -> Flatten -> Dense(10): 1,490 parameters."""
    extra = {"dtype": dense_dtype} if dense_dtype else {}
    return [
        keras.layers.Conv2D(4, 3, strides=2, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax", **extra),
    ]


def sequential(dense_dtype=None):
    return keras.Sequential([keras.Input(shape=(28, 28, 1))] + layers_list(dense_dtype))


def functional():
    inputs = keras.Input(shape=(28, 28, 1))
    x = inputs
    for layer in layers_list():
        x = layer(x)
    return keras.Model(inputs, x)


class TinyNet(keras.Model):
    """A subclassed model (not registered: what most students write)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(4, 3, strides=2, activation="relu")
        self.pool = keras.layers.MaxPooling2D(2)
        self.flat = keras.layers.Flatten()
        self.out = keras.layers.Dense(10, activation="softmax")

    def call(self, x):
        return self.out(self.flat(self.pool(self.conv(x))))


@register(package="zoo")
class Doubler(keras.layers.Layer):
    """A registered custom layer: loading it needs this code."""

    def call(self, x):
        return x * 2.0


@register(package="zoo")
def zoo_loss(y_true, y_pred):
    """A registered custom loss function."""
    return keras.losses.categorical_crossentropy(y_true, y_pred)


def custom_layer_model():
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), Doubler()] + layers_list())


def compiled(model, optimizer="sgd", loss="categorical_crossentropy", metrics=("accuracy",)):
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def trained(model, x, y):
    model.fit(x, y, epochs=1, batch_size=50, verbose=0)
    return model


def objects():
    return dict(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.CategoricalCrossentropy(),
                metrics=[keras.metrics.CategoricalAccuracy()])


def save_keras(model, out):
    model.save(os.path.join(out, "model.keras"))


def save_h5(model, out):
    model.save(os.path.join(out, "model.h5"))


def save_dir(model, out):
    if KERAS_MAJOR >= 3:
        raise NotImplementedError("Keras 3's model.save needs a .keras or .h5 name (no SavedModel folder)")
    model.save(os.path.join(out, "model"))


def tf_saved_model(model, out):
    if tf is None:
        raise NotImplementedError("no TensorFlow on this backend")
    tf.saved_model.save(model, os.path.join(out, "model"))


def keras_export(model, out):
    if not hasattr(model, "export"):
        raise NotImplementedError("this Keras has no model.export")
    model.export(os.path.join(out, "model"))


def weights_h5(model, out):
    model.save_weights(os.path.join(out, "model.h5"))


def weights_dot_h5(model, out):
    model.save_weights(os.path.join(out, "model.weights.h5"))


def weights_checkpoint(model, out):
    if KERAS_MAJOR >= 3:
        raise NotImplementedError("Keras 3's save_weights needs a .weights.h5 name")
    model.save_weights(os.path.join(out, "model"))


def shapes(x, y):
    """shape name -> (how the model is made, how it is saved, what the student wrote)."""
    seq = lambda: trained(compiled(sequential()), x, y)  # noqa: E731
    return {
        "save-keras": (seq, save_keras, 'Sequential, compile("sgd", "categorical_crossentropy"); model.save("model.keras")'),
        "save-h5": (seq, save_h5, 'Sequential; model.save("model.h5")'),
        "save-dir": (seq, save_dir, 'Sequential; model.save("model") (a SavedModel folder on Keras 2)'),
        "tf-saved-model": (seq, tf_saved_model, 'Sequential; tf.saved_model.save(model, "model")'),
        "export": (seq, keras_export, 'Sequential; model.export("model")'),
        "weights-h5": (seq, weights_h5, 'Sequential; model.save_weights("model.h5")'),
        "weights-dot-h5": (seq, weights_dot_h5, 'Sequential; model.save_weights("model.weights.h5")'),
        "weights-checkpoint": (seq, weights_checkpoint, 'Sequential; model.save_weights("model") (a TF checkpoint)'),
        "functional-objects": (lambda: trained(compiled(functional(), **objects()), x, y), save_keras,
                               'functional, compile(Adam(), CategoricalCrossentropy(), [CategoricalAccuracy()]); '
                               'model.save("model.keras")'),
        "functional-objects-h5": (lambda: trained(compiled(functional(), **objects()), x, y), save_h5,
                                  'functional, compiled with objects; model.save("model.h5")'),
        "subclassed": (lambda: trained(compiled(TinyNet()), x, y), save_keras,
                       'a keras.Model subclass (not registered); model.save("model.keras")'),
        "subclassed-h5": (lambda: trained(compiled(TinyNet()), x, y), save_h5,
                          'a keras.Model subclass; model.save("model.h5")'),
        "custom-layer": (lambda: trained(compiled(custom_layer_model()), x, y), save_keras,
                         'a register_keras_serializable custom layer; model.save("model.keras")'),
        "custom-layer-h5": (lambda: trained(compiled(custom_layer_model()), x, y), save_h5,
                            'a register_keras_serializable custom layer; model.save("model.h5")'),
        "custom-loss": (lambda: trained(compiled(sequential(), loss=zoo_loss), x, y), save_keras,
                        'built-in layers, a register_keras_serializable loss; model.save("model.keras")'),
        "custom-loss-h5": (lambda: trained(compiled(sequential(), loss=zoo_loss), x, y), save_h5,
                           'built-in layers, a register_keras_serializable loss; model.save("model.h5")'),
        "mixed-precision": (lambda: mixed(x, y), save_keras,
                            'set_global_policy("mixed_float16"), Dense output float32; model.save("model.keras")'),
        "mixed-precision-h5": (lambda: mixed(x, y), save_h5, 'mixed_float16; model.save("model.h5")'),
    }


def mixed(x, y):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        return trained(compiled(sequential(dense_dtype="float32")), x, y)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main():
    npz, out_root = sys.argv[1], sys.argv[2]
    only = set(sys.argv[3:])
    x, y = data(npz)
    versions = {"keras": KERAS_VERSION, "tensorflow": getattr(tf, "__version__", None),
                "python": sys.version.split()[0], "backend": BACKEND}
    for name, (make, save, how) in shapes(x, y).items():
        if only and name not in only:
            continue
        out = os.path.join(out_root, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        record = dict(versions, shape=name, how=how)
        try:
            keras.utils.set_random_seed(1) if hasattr(keras.utils, "set_random_seed") else None
            model = make()
            record["params"] = int(model.count_params())
            save(model, out)
            record["files"] = sorted(os.path.relpath(os.path.join(d, f), out)
                                     for d, _, fs in os.walk(out) for f in fs)
            if not record["files"]:
                raise RuntimeError("saving wrote nothing")
        except Exception as exc:  # the framework cannot write this shape: say so, keep going
            shutil.rmtree(out, ignore_errors=True)
            lines = [line for line in str(exc).strip().splitlines() if line.strip()] or [type(exc).__name__]
            record["error"] = "%s: %s" % (type(exc).__name__, lines[0][:300])
            record["trace"] = traceback.format_exc()[-1500:]
        print("ZOO " + json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
