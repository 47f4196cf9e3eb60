"""Known datasets and weights files: where Keras keeps them and how to verify them.

A dataset is verified by the SHA-256 of its array contents (names, dtypes, shapes, bytes;
see `verify.content_sha256`), so a faithful repack of the official file is accepted.
Official file hashes are kept too: only a byte-identical official file works for a plain
`keras.datasets.*.load_data()` inside a sandbox whose KERAS_HOME points at the staged data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Variant:
    """One accepted content of a dataset (e.g. the full set, or a documented subset)."""

    label: str
    content_sha256: str
    shapes: dict[str, tuple[int, ...]]
    # When set, content_sha256 covers only the first `prefix` rows of the arrays named in
    # `prefix_keys`, while `shapes` are checked in full (a set known by a verified prefix).
    prefix: Optional[int] = None
    prefix_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    title: str
    file_names: tuple[str, ...]  # accepted names in a data dir, first is the staged name
    keras_cache_file: Optional[str]  # relative to KERAS_HOME, e.g. "datasets/mnist.npz"
    official_sha256: Optional[str]  # of the official Keras file, when it is one file
    variants: tuple[Variant, ...] = field(default_factory=tuple)
    num_classes: int = 10

    @property
    def staged_name(self) -> str:
        return self.file_names[0]


@dataclass(frozen=True)
class WeightsInfo:
    name: str
    title: str
    file_name: str  # as Keras caches it under $KERAS_HOME/models/
    sha256: Optional[str] = None  # Keras publishes none for these; a site may pin its own


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        title="MNIST (60,000 + 10,000 handwritten digits)",
        file_names=("mnist.npz",),
        keras_cache_file="datasets/mnist.npz",
        official_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        variants=(
            Variant(
                "full",
                "90a4aa6428650d10d0640fe554ba41b8e47885d43cb356498565dfec081e02ee",
                {
                    "x_train": (60000, 28, 28),
                    "y_train": (60000,),
                    "x_test": (10000, 28, 28),
                    "y_test": (10000,),
                },
            ),
        ),
    ),
    "fashion_mnist": DatasetInfo(
        name="fashion_mnist",
        title="Fashion-MNIST (60,000 + 10,000 clothing images)",
        file_names=("fashion-mnist.npz", "fashion_mnist.npz"),
        keras_cache_file=None,  # Keras keeps four .gz IDX files, not one npz
        official_sha256=None,
        variants=(
            Variant(
                "full",
                "5ac01db2aa5b8888ba4a95a59fc20cc31bbd4934c7710425347026ee2e4bd446",
                {
                    "x_train": (60000, 28, 28),
                    "y_train": (60000,),
                    "x_test": (10000, 28, 28),
                    "y_test": (10000,),
                },
            ),
        ),
    ),
    "cifar10": DatasetInfo(
        name="cifar10",
        title="CIFAR-10 (50,000 + 10,000 colour images)",
        file_names=("cifar10.npz", "cifar10-subset.npz"),
        keras_cache_file=None,  # Keras keeps the extracted cifar-10-batches-py/ folder
        # Of cifar-10-python.tar.gz, as Keras pins it (file_hash in keras/src/datasets/cifar10.py,
        # Keras 3.15.1); `tutor data stage cifar10 --from` that archive converts it (cifar10.py).
        official_sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        variants=(
            Variant(
                "first 200 training images",
                "d871e1ebf883675787ddde15babf094cec688464bcf3726f55d3dfd73b2424e3",
                {"x_train": (200, 32, 32, 3), "y_train": (200, 1)},
            ),
            # The full set: no content hash of it is known here; its first 200 training images
            # are the subset above (same order), and its shapes are Keras' load_data() ones.
            Variant(
                "full (50,000 + 10,000; first 200 training images verified)",
                "d871e1ebf883675787ddde15babf094cec688464bcf3726f55d3dfd73b2424e3",
                {
                    "x_train": (50000, 32, 32, 3),
                    "y_train": (50000, 1),
                    "x_test": (10000, 32, 32, 3),
                    "y_test": (10000, 1),
                },
                prefix=200,
                prefix_keys=("x_train", "y_train"),
            ),
        ),
    ),
}

WEIGHTS: dict[str, WeightsInfo] = {
    "mobilenet_v2_96_no_top": WeightsInfo(
        name="mobilenet_v2_96_no_top",
        title="MobileNetV2 ImageNet weights, alpha 1.0, 96x96, no top",
        file_name="mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5",
    ),
}
