"""Importing a student's `model.py` and calling `build_model()`, turning every way it can go
wrong into one line. Runs in sandboxed children only."""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from grader.sandbox.protocol import JobFailure


def _where(exc: BaseException, file_name: str) -> str:
    """' (model.py line 12)' for the innermost frame in the student's file, else ''."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).name == file_name]
    return f" ({file_name} line {frames[-1].lineno})" if frames else ""


def _text(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    first = message[0] if message else ""
    if len(first) > 300:
        first = first[:297] + "..."
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    from grader.traps import explain as known_trap

    trap = known_trap(" ".join(message[:20]) + " " + str(exc.__cause__ or exc.__context__ or ""))
    return trap if trap else text + did_you_mean(exc)


MODULE_ATTRIBUTE = re.compile(r"module '([\w.]+)' has no attribute '(\w+)'")


def did_you_mean(exc: BaseException) -> str:
    """`; did you mean `Dense`?` for a typo in a module's attribute (`layers.Dence`), else ''.
    Python's own suggestion is not in str(exc), and Keras' lazy modules do not get one."""
    if not isinstance(exc, AttributeError):
        return ""
    match = MODULE_ATTRIBUTE.search(str(exc))
    module = sys.modules.get(match[1]) if match else None
    if module is None:
        return ""
    try:
        names = [n for n in dir(module) if not n.startswith("_")]
    except Exception:  # noqa: BLE001 - a module with a hostile __dir__
        return ""
    close = difflib.get_close_matches(match[2], names, n=1, cutoff=0.7)
    if not close:
        lower = {n.lower(): n for n in names}
        close = [lower[match[2].lower()]] if match[2].lower() in lower else []
    return f"; did you mean `{match[1].split('.')[-1]}.{close[0]}`?" if close else ""


MAX_PARAMS = 200_000_000  # 800 MB of float32 weights: far beyond any course model


class TooManyParams(BaseException):
    """Raised from inside Keras' add_weight, past `except Exception` in student code."""


@contextmanager
def param_budget(limit: int = MAX_PARAMS) -> Iterator[None]:
    """Refuse a model while it is being built, before its weights are allocated, once its
    parameters would pass `limit` (a model far too large must not take the machine first)."""
    import keras

    original = keras.layers.Layer.add_weight
    total = 0

    def add_weight(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal total
        shape = kwargs.get("shape", args[0] if args else None)
        try:
            size = 1
            for dim in shape or ():
                size *= int(dim)
        except (TypeError, ValueError):
            size = 0
        total += size
        if total > limit:
            raise TooManyParams(
                f"the model is far too large: layer '{self.name}' would bring it to {total:,} parameters, "
                f"over the grader's limit of {limit:,}; refused before allocating it"
            )
        return original(self, *args, **kwargs)

    keras.layers.Layer.add_weight = add_weight
    try:
        yield
    finally:
        keras.layers.Layer.add_weight = original


def memory_reason(what: str, cap_text: str) -> str:
    return f"{what} ran out of memory under the sandbox's {cap_text} cap: the model (or data) is far too large"


def import_module(folder: Path, file_name: str = "model.py", cap_text: str = "memory") -> Any:
    path = folder / file_name
    if not path.is_file():
        raise JobFailure(f"no {file_name} in the submission folder")
    sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[path.stem] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except SyntaxError as exc:
        raise JobFailure(f"{file_name} line {exc.lineno}: syntax error: {exc.msg}") from None
    except TooManyParams as exc:
        raise JobFailure(str(exc)) from None
    except ModuleNotFoundError as exc:
        raise JobFailure(
            f"{file_name} imports '{exc.name}', a module that is not installed here{_where(exc, file_name)}; "
            "remove the import or use a module the course provides"
        ) from None
    except MemoryError:
        raise JobFailure(memory_reason(f"importing {file_name}", cap_text)) from None
    except SystemExit as exc:
        raise JobFailure(f"{file_name} called exit({exc.code}) while being imported; remove the exit") from None
    except BaseException as exc:  # anything the student's module raises
        raise JobFailure(f"importing {file_name} failed{_where(exc, file_name)}: {_text(exc)}") from None
    return module


def call_build_model(module: Any, file_name: str = "model.py", cap_text: str = "memory") -> Any:
    """build_model() -> a keras.Model, or a JobFailure saying what is wrong."""
    import keras

    build = getattr(module, "build_model", None)
    if build is None:
        raise JobFailure(f"{file_name} defines no build_model() function; tutor calls build_model() to get your model")
    if not callable(build):
        raise JobFailure(f"build_model in {file_name} is a {type(build).__name__}, not a function")
    try:
        model = build()
    except TooManyParams as exc:
        raise JobFailure(str(exc)) from None
    except MemoryError:
        raise JobFailure(memory_reason("build_model()", cap_text)) from None
    except SystemExit as exc:
        raise JobFailure(f"build_model() called exit({exc.code}); return the model instead") from None
    except BaseException as exc:
        if "ResourceExhausted" in type(exc).__name__ or "OOM" in str(exc)[:200]:
            raise JobFailure(memory_reason("build_model()", cap_text)) from None
        raise JobFailure(f"build_model() raised{_where(exc, file_name)} {_text(exc)}") from None
    if not isinstance(model, keras.Model):
        kind = type(model).__name__ if model is not None else "None"
        hint = " (did you forget `return model`?)" if model is None else ""
        raise JobFailure(f"build_model() returned {kind}, not a keras.Model{hint}")
    return model


def is_compiled(model: Any) -> bool:
    return bool(getattr(model, "compiled", False)) and getattr(model, "optimizer", None) is not None
