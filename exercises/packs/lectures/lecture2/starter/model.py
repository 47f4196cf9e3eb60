"""Lecture 2: the 30-neuron network with dropout. tutor calls build_model()."""

import keras
from keras import layers


def build_model(hidden: int = 30, rate: float = 0.2) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(hidden, activation="sigmoid", name="hidden"),
            # TODO: a Dropout layer with the given rate.
            layers.Dense(10, activation="sigmoid", name="output"),
        ]
    )
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
    return model
