"""Lecture 1: the first Keras network, trained on 500 images. tutor calls build_model().

Input: flattened 28x28 digits, 784 floats in [0, 1]. Output: 10 values, one per digit.
"""

import keras
from keras import layers


def build_model(hidden: int = 30) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            # TODO: the hidden layer: `hidden` neurons with the sigmoid activation.
            layers.Dense(10, activation="sigmoid", name="output"),
        ]
    )
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
    return model
