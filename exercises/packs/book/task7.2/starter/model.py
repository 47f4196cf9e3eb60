"""Task 7.2: the chapter's first network. tutor calls build_model()."""

import keras
from keras import layers


def build_model() -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(10, activation="sigmoid"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    # TODO: compile the model the way the chapter does (loss, optimizer, metrics).
    return model
