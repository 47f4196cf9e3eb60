"""Assignment 2.1.2: a shallow ConvNet for CIFAR-10. tutor calls build_model().

Images arrive as (32, 32, 3) floats in [0, 1]; labels are one-hot (categorical).
"""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            # TODO: convolution blocks (fewer than 10 weight layers in all).
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
