"""Lecture 3 reference: tanh hidden layer, softmax output, cross-entropy and Adam."""

import keras
from keras import layers


def build_model(hidden: int = 30) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(hidden, activation="tanh", name="hidden"),
            layers.Dense(10, activation="softmax", name="output"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
