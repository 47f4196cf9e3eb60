"""Lecture 5 reference: two convolution/pooling pairs (108,870 parameters)."""

import keras
from keras import layers


def build_model(feature_maps: int = 20, hidden: int = 100) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(feature_maps, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            layers.Conv2D(2 * feature_maps, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            layers.Flatten(),
            layers.Dense(hidden, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
