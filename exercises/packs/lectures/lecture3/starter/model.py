"""Lecture 3: the 30-neuron network, trained the modern way. tutor calls build_model()."""

import keras
from keras import layers


def build_model(hidden: int = 30) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(hidden, activation="sigmoid", name="hidden"),  # TODO: tanh
            layers.Dense(10, activation="sigmoid", name="output"),  # TODO: softmax
        ]
    )
    # TODO: cross-entropy loss and the Adam optimizer.
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
    return model
