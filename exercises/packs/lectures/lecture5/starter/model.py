"""Lecture 5: two convolution/pooling pairs. tutor calls build_model()."""

import keras
from keras import layers


def build_model(feature_maps: int = 20, hidden: int = 100) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(feature_maps, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            # TODO: a second Conv2D (twice the feature maps, 3x3, relu) and 2x2 max pooling.
            layers.Flatten(),
            layers.Dense(hidden, activation="tanh"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
