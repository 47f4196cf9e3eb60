"""Assignment 2.1.2 reference: a VGG-style shallow ConvNet, 8 weight layers (6 conv + 2 dense)."""

import keras
from keras import layers


def conv_block(filters: int) -> list:
    return [
        layers.Conv2D(filters, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.Conv2D(filters, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
    ]


def build_model() -> keras.Model:
    model = keras.Sequential(
        [keras.Input(shape=(32, 32, 3))]
        + conv_block(32)
        + conv_block(64)
        + conv_block(128)
        + [
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
