"""MNIST.py: the chapter's CNN as a standalone script (reference solution for task 8.2).

Usage: python MNIST.py [/path/to/mnist.npz]

The data comes from a staged file, never from the internet: the first argument, else
$MNIST_NPZ, else the cluster path. Keras 3 refuses `mnist.load_data(path=...)` with an absolute
path, so the arrays are read with numpy.load, which works offline everywhere.

Optional knobs for short test runs (the defaults are the book's recipe):
MNIST_EPOCHS (5), MNIST_TRAIN_SUBSET (all 60,000), MNIST_VERBOSE (1: progress bar, 2: one line
per epoch).
"""

import os
import sys

import numpy as np

MNIST_PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "MNIST_NPZ", "/gpfs/scratch/<group>/mnist.npz"
)
EPOCHS = int(os.environ.get("MNIST_EPOCHS", "5"))
TRAIN_SUBSET = int(os.environ.get("MNIST_TRAIN_SUBSET", "0")) or None
VERBOSE = int(os.environ.get("MNIST_VERBOSE", "1"))

import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

print("TensorFlow version:", tf.__version__)
print("Devices:", [device.name for device in tf.config.list_physical_devices()])

# Load the staged copy: the archive holds x_train, y_train, x_test, y_test.
with np.load(MNIST_PATH) as data:
    train_images, train_labels = data["x_train"], data["y_train"]
    test_images, test_labels = data["x_test"], data["y_test"]
if TRAIN_SUBSET:
    train_images, train_labels = train_images[:TRAIN_SUBSET], train_labels[:TRAIN_SUBSET]
print("train", train_images.shape, "test", test_images.shape)

# Shape (N, 28, 28, 1), scale to [0, 1], one-hot labels.
train_images = train_images.reshape((-1, 28, 28, 1)).astype("float32") / 255
test_images = test_images.reshape((-1, 28, 28, 1)).astype("float32") / 255
train_labels = keras.utils.to_categorical(train_labels, 10)
test_labels = keras.utils.to_categorical(test_labels, 10)

# The chapter's CNN: 62,346 parameters.
model = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (5, 5), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (5, 5), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ]
)
model.summary()

model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
model.fit(train_images, train_labels, batch_size=100, epochs=EPOCHS, verbose=VERBOSE)

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=VERBOSE)
print("Test accuracy:", test_acc)
