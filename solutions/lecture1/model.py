"""Lecture 1 reference: 784 -> 30 sigmoid -> 10 sigmoid, mean squared error, SGD (23,860 parameters)."""

import keras
from keras import layers


def build_model(hidden: int = 30) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(hidden, activation="sigmoid", name="hidden"),
            layers.Dense(10, activation="sigmoid", name="output"),
        ]
    )
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["accuracy"])
    return model
