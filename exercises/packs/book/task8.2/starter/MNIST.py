"""MNIST.py: the chapter's CNN as a standalone script (task 8.2).

Fill in the TODOs. Usage: python MNIST.py [/path/to/mnist.npz]
"""

import os
import sys

# The staged copy: first argument, else $MNIST_NPZ, else the cluster path.
MNIST_PATH = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
    "MNIST_NPZ", "/gpfs/scratch/<group>/mnist.npz"
)

import tensorflow as tf  # noqa: E402

print("TensorFlow", tf.__version__)

# TODO 1: load x_train, y_train, x_test, y_test from MNIST_PATH (see the task's README:
#         np.load works offline; keras' load_data(path=...) does not in Keras 3).

# TODO 2: reshape the images to (N, 28, 28, 1), scale them to [0, 1], one-hot the labels.

# TODO 3: define the CNN (two Conv2D + MaxPooling2D blocks, Flatten, Dense(10, softmax)).

# TODO 4: compile, fit (batch 100, 5 epochs), evaluate on the test set.

# TODO 5: print the test accuracy: print("Test accuracy:", test_acc)
