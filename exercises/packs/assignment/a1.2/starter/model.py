"""Assignment 1.2: a ConvNet trained from scratch. tutor calls build_model().

Images arrive as (28, 28, 1) floats in [0, 1]; labels are one-hot (categorical).
"""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            # TODO: convolution and pooling blocks go here; this placeholder is still dense.
            layers.Flatten(),
            layers.Dense(30, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
