"""What to tell a student who saved a model in a shape the grader cannot open (one phrase).

Which call writes one whole-model file depends on the Keras that runs it: `model.save("x.keras")`
writes a .keras archive from TensorFlow 2.13 on (an HDF5 file under that name on 2.11 and 2.12,
which the grader reads too), but a SavedModel folder on TensorFlow 2.10 and older, where only a `.h5` name gives one file. Standard library only:
both the trusted intake and the evaluator sandbox use it.
"""

from __future__ import annotations


def whole_model(expected: str = "model.keras") -> str:
    """The call that saves the whole model as one file the grader opens, for every framework."""
    stem = expected.rsplit(".", 1)[0] if "." in expected else expected
    return f"model.save('{stem}.keras') (on TensorFlow 2.10 or older: model.save('{stem}.h5'))"


def saved_model_folder(name: str, expected: str = "model.keras") -> str:
    """Why a SavedModel folder is refused, and what to save instead."""
    stem = expected.rsplit(".", 1)[0] if "." in expected else expected
    if name.endswith(".keras"):  # Keras <= 2.10 writes a SavedModel for any name not ending in .h5
        return (f"{name} is a TensorFlow SavedModel folder, which the grader does not open: this TensorFlow "
                f"(2.10 or older) writes one for any name not ending in .h5, so save with model.save('{stem}.h5')")
    return (f"{name} is a TensorFlow SavedModel folder, which the grader does not open: save the whole model "
            f"as one file with {whole_model(expected)}")


def weights_only(name: str, expected: str = "model.keras") -> str:
    """Why a weights-only file (model.save_weights) is refused, and what to save instead."""
    return (f"{name} holds weights only (model.save_weights), without the model: save the whole model "
            f"with {whole_model(expected)}")
