"""Input adapters: turn raw uint8 images into what a task's model takes, batch by batch.

Resizing streams: the 10k test set at 96x96x3 float32 would be 1 GB, so `batches()` never
materialises more than one batch of adapted inputs.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np


def input_shape(adapter: str) -> tuple[int, ...]:
    return {"flatten": (784,), "image": (28, 28, 1), "rgb96": (96, 96, 3), "cifar": (32, 32, 3)}[adapter]


def adapt(x: np.ndarray, adapter: str) -> np.ndarray:
    """One batch of raw images -> float32 model inputs scaled to [0, 1]."""
    x = np.asarray(x)
    if adapter == "flatten":
        return x.reshape(len(x), -1).astype(np.float32) / 255.0
    if adapter == "image":
        return x.reshape(len(x), 28, 28, 1).astype(np.float32) / 255.0
    if adapter == "cifar":
        return x.astype(np.float32) / 255.0
    if adapter == "rgb96":
        import tensorflow as tf  # only inside sandboxes/evaluators that already paid for it

        images = tf.convert_to_tensor(x.reshape(len(x), 28, 28, 1), dtype=tf.float32)
        images = tf.image.resize(images, (96, 96))
        images = tf.image.grayscale_to_rgb(images) / 255.0
        return images.numpy()
    raise ValueError(f"unknown input adapter '{adapter}'")


def batches(x: np.ndarray, adapter: str, batch_size: int = 256) -> Iterator[np.ndarray]:
    for start in range(0, len(x), batch_size):
        yield adapt(x[start : start + batch_size], adapter)


def fits(model_dims: list, adapter: str) -> bool:
    """Whether a model taking `model_dims` (no batch dimension) can be fed this adapter's
    images reshaped: every size known and the same number of values (784 vs 28x28)."""
    if adapter not in ("flatten", "image", "cifar") or not model_dims or any(d is None for d in model_dims):
        return False
    expected = 1
    for d in input_shape(adapter):
        expected *= d
    size = 1
    for d in model_dims:
        size *= int(d)
    return size == expected


def reshape_for(x: np.ndarray, model_dims: list) -> np.ndarray:
    """Adapted inputs reshaped to the model's own input shape (see `fits`)."""
    return np.asarray(x).reshape((len(x), *[int(d) for d in model_dims]))
