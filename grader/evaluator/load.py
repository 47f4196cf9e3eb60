"""Opening an untrusted model file (Keras v3 zip or legacy HDF5) with safe_mode=True, after its
config passed `grader.evaluator.screen`; one-line reasons for refusals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

from grader.sandbox.protocol import JobFailure


def refusal(exc: BaseException, name: str) -> str:
    """Turn a Keras loading error into what the student should do."""
    text = str(exc)
    if "Lambda" in text and ("lambda" in text or "arbitrary code" in text or "safe_mode" in text):
        return (
            f"{name} contains a Lambda layer, which needs arbitrary Python code to load; the grader "
            "opens models in safe mode and refuses it: replace the Lambda with built-in Keras layers"
        )
    missing = re.search(r"Could not locate (?:class|function) '([^']+)'", text)
    if missing:
        return (
            f"{name} uses '{missing.group(1)}', a custom layer or function the grader does not know; "
            "graded models may use built-in Keras layers only: rebuild it with those"
        )
    if "safe_mode" in text or "arbitrary code" in text:
        return f"{name} needs arbitrary Python code to load, which the grader refuses (safe mode)"
    first = (text.strip().splitlines() or [type(exc).__name__])[0]
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{name} could not be opened as a Keras model ({type(exc).__name__}: {first}); save it again with model.save('{name}')"


def open_untrusted(path: Path, cap_text: str = "memory", name: Optional[str] = None) -> Any:
    """The model in `path`, opened in safe mode; `name` is what the student calls the file."""
    import keras

    name = name or path.name
    try:
        # Never compiled: the optimizer and loss are read as data (compile_facts), which is
        # faster and deserialises nothing a grade needs.
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except MemoryError:
        raise JobFailure(f"{name} needs more than the sandbox's {cap_text} memory cap to open: the model is far too large") from None
    except BaseException as exc:  # Keras raises many types for a bad file
        raise JobFailure(refusal(exc, name)) from None
    if not isinstance(model, keras.Model):
        raise JobFailure(f"{name} holds a {type(model).__name__}, not a Keras model")
    return model
