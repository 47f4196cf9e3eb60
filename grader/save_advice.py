"""What to tell a student who saved a model in a shape the grader cannot open (one phrase).

Measured on the artifact zoo (tests/fixtures/zoo): `model.save("model.keras")` writes one file on
every framework from TF 2.8 to Keras 3.15 (an HDF5 file under that name up to tf.keras 2.12, a
.keras archive from 2.13 on), and the grader reads both; `model.save("model.h5")` writes HDF5 on
all of them. Standard library only: both the trusted intake and the evaluator sandbox use it.
"""

from __future__ import annotations


def whole_model(expected: str = "model.keras") -> str:
    """The call that saves the whole model as one file the grader opens, for every framework."""
    stem = expected.rsplit(".", 1)[0] if "." in expected else expected
    return f"model.save('{stem}.keras') (or model.save('{stem}.h5') on Keras 2)"


def saved_model_folder(name: str, expected: str = "model.keras") -> str:
    """Why a SavedModel folder is refused, and what to save instead."""
    return (f"{name} is a TensorFlow SavedModel folder, which the grader does not open: save the whole model "
            f"as one file with {whole_model(expected)}")


def weights_only(name: str, expected: str = "model.keras") -> str:
    """Why a weights-only file (model.save_weights) is refused, and what to save instead."""
    return (f"{name} holds weights only (model.save_weights), without the model: save the whole model "
            f"with {whole_model(expected)}")
