"""Task 8.5: transfer learning with a frozen ImageNet backbone. tutor calls build_model()."""

import keras


def build_model() -> keras.Model:
    # TODO 1: the pretrained backbone: MobileNetV2, 96x96x3 input, no top, ImageNet weights.
    # TODO 2: freeze it.
    # TODO 3: the head: global average pooling and a 10-way softmax.
    # TODO 4: compile with adam and sparse_categorical_crossentropy, metric accuracy.
    raise NotImplementedError("fill in build_model() in model.py (see tutor show task8.5)")
