"""Opening an untrusted .keras file with safe_mode=True, with one-line reasons for refusals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def open_untrusted(path: Path, cap_text: str = "memory") -> Any:
    import keras

    try:
        try:
            model = keras.saving.load_model(path, safe_mode=True, compile=True)
        except MemoryError:
            raise
        except BaseException:  # e.g. a custom loss: the layers may still open; the retry says why not
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except MemoryError:
        raise JobFailure(f"{path.name} needs more than the sandbox's {cap_text} memory cap to open: the model is far too large") from None
    except BaseException as exc:  # Keras raises many types for a bad file
        raise JobFailure(refusal(exc, path.name)) from None
    if not isinstance(model, keras.Model):
        raise JobFailure(f"{path.name} holds a {type(model).__name__}, not a Keras model")
    return model
