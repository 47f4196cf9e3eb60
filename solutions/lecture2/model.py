"""Lecture 2 reference: the lecture 1 network with Dropout(0.2) after the hidden layer."""

import keras
from keras import layers


def build_model(hidden: int = 30, rate: float = 0.2) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(hidden, activation="sigmoid", name="hidden"),
            layers.Dropout(rate, name="dropout"),
            layers.Dense(10, activation="sigmoid", name="output"),
        ]
    )
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
    return model
