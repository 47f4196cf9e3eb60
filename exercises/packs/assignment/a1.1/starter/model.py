"""Assignment 1.1: the 784-30-10 dense network, trained better. tutor calls build_model().

Inputs are flattened digits (784 floats in [0, 1]); labels are one-hot (categorical).
"""

import keras


def build_model() -> keras.Model:
    # TODO 1: rebuild the dense network: 784 inputs -> 30 hidden neurons -> 10 softmax outputs.
    # TODO 2: compile it (loss, optimizer, metrics=["accuracy"]); first reproduce, then improve.
    raise NotImplementedError("rebuild the dense network in build_model() (see tutor show a1.1)")
