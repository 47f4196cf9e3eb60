"""Lecture 4: the first CNN. tutor calls build_model(); images arrive as (28, 28, 1)."""

import keras
from keras import layers


def build_model(feature_maps: int = 20, hidden: int = 100) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            # TODO: Conv2D with `feature_maps` 5x5 filters (relu), then 2x2 max pooling.
            layers.Flatten(),
            layers.Dense(hidden, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
