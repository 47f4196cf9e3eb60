"""The robustness probe behind `min_accuracy`: accuracy cannot be bought by memorising the
public test split.

The test images are public, so a model can store them with their labels (a lookup table
scores 1.0). Each graded artifact also gets a sample of the same test images shifted by one
pixel (a transform any real image model survives; a lookup of exact images does not), mixed
into the inputs the evaluator predicts. The trusted parent compares the two accuracies on
the same images; a model far better on the public images than on their shifted copies fails
the accuracy check with the reason (see `suspicious`). Which images and which shifts are drawn per grading run
from a secret seed, so a model cannot be trained against this exact probe either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Optional

import numpy as np

SAMPLE = 500  # shifted images per artifact (about 5 % more prediction work on 10,000 test images)
# A model fails when its accuracy on the originals minus on their shifted copies is above
# FLOOR + RELATIVE x its error on the originals: a lookup of the public images is (near)
# perfect on them and no better than its fallback on the copies; an honest model loses a
# little, and a weak one (a small MLP) more, in proportion to its own errors.
FLOOR = 0.03
RELATIVE = 2.0
SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))  # (rows, columns): one pixel right, left, down, up


@dataclass
class Probe:
    index: np.ndarray  # which test images were shifted
    images: np.ndarray  # the shifted copies, same dtype and layout as the test images


def shift(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """One image (H, W[, C]) moved by (rows, cols) pixels; the edge row/column is repeated."""
    pad = [(1, 1), (1, 1)] + [(0, 0)] * (image.ndim - 2)
    padded = np.pad(image, pad, mode="edge")
    h, w = image.shape[:2]
    return padded[1 - rows: 1 - rows + h, 1 - cols: 1 - cols + w]


def make_probe(x: np.ndarray, sample: int = SAMPLE, seed: Optional[int] = None) -> Probe:
    """`sample` test images (or all, if fewer), each shifted one pixel in a random direction."""
    rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
    images = np.asarray(x)
    if images.ndim == 2:  # flattened 28 x 28
        images = images.reshape(len(images), 28, 28)
    index = np.sort(rng.choice(len(images), size=min(sample, len(images)), replace=False))
    moves = rng.integers(0, len(SHIFTS), size=len(index))
    shifted = np.stack([shift(images[i], *SHIFTS[m]) for i, m in zip(index, moves)]) if len(index) else images[:0]
    return Probe(index=index, images=shifted.reshape((len(index),) + np.asarray(x).shape[1:]).astype(x.dtype))


def suspicious(original: float, moved: float) -> bool:
    """True if a model is far better on the public images than on their shifted copies."""
    return original - moved > FLOOR + RELATIVE * (1.0 - original)


def gap(predicted: np.ndarray, labels: np.ndarray, index: np.ndarray, shifted_predicted: np.ndarray) -> tuple[float, float]:
    """(accuracy on the sampled originals, accuracy on their shifted copies)."""
    truth = np.asarray(labels).reshape(-1)[index]
    if len(truth) == 0:
        return 0.0, 0.0
    original = float(np.mean(np.asarray(predicted).reshape(-1)[index] == truth))
    moved = float(np.mean(np.asarray(shifted_predicted).reshape(-1) == truth))
    return original, moved
