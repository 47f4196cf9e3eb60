"""Assignment 2.1.3: a small ResNet for CIFAR-10, trained from scratch. tutor calls build_model().

Images arrive as (32, 32, 3) floats in [0, 1]; labels are one-hot (categorical).
"""

import keras
from keras import layers


def residual_block(x, filters: int, stride: int = 1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    # TODO 1: if stride != 1 or the number of filters changes, project the shortcut with a
    #         1x1 Conv2D (same stride) so that it has y's shape.
    # TODO 2: add the shortcut to y (layers.Add), then apply relu.
    return layers.Activation("relu")(y)


def build_model(blocks_per_stage: int = 3) -> keras.Model:
    inputs = keras.Input(shape=(32, 32, 3))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(blocks_per_stage):
            stride = 2 if stage > 0 and block == 0 else 1
            x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="resnet")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
