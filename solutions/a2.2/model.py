"""Assignment 2.2 reference: the 2.1.3 ResNet-20, trained with SGD + momentum and a learning-rate
schedule (linear warm-up, then cosine decay) for half the epochs.
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
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Add()([shortcut, y])
    return layers.Activation("relu")(y)


STEPS_PER_EPOCH = 352  # 45,000 training images (10 % kept for validation) / batch 128
EPOCHS = 15


def optimizer() -> keras.optimizers.Optimizer:
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.01,
        decay_steps=(EPOCHS - 1) * STEPS_PER_EPOCH,
        warmup_target=0.1,
        warmup_steps=STEPS_PER_EPOCH,
    )
    return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)


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
    model = keras.Model(inputs, outputs, name="resnet20")
    model.compile(optimizer=optimizer(), loss="categorical_crossentropy", metrics=["accuracy"])
    return model
