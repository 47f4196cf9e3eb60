"""Child side of `tutor train`: build the student's compiled model and fit it with the task's
recipe (same data, epochs, batch size, seed), then write model.keras and train.json.

Runs only in a sandboxed child. Progress goes to `out/progress.jsonl`, which the trusted
parent tails; the parent copies the artifacts into the submission folder afterwards.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from grader.sandbox.protocol import JobFailure
from grader.sandbox.student_model import load_student_model
from grader.sandbox.userimport import is_compiled


class TrainRecord(BaseModel):
    """train.json: what was trained, how, where, and how it went."""

    model_config = ConfigDict(extra="forbid")

    task: str
    seed: int
    epochs: int
    recipe_epochs: int
    batch_size: int
    labels: str
    validation_split: float
    train_size: int
    history: dict[str, list[float]]
    epoch_times_s: list[float]
    total_s: float = Field(ge=0)
    tensorflow: str
    keras: str
    device: str
    threads: int = 0
    python: str = ""
    backend: str = ""  # Keras 3's backend (tensorflow, torch, jax); empty: tf.keras / unknown


class _Progress:
    """A Keras callback (built lazily: keras is imported only in the child)."""

    @staticmethod
    def make(path: Path, epochs: int, steps: int) -> Any:
        import keras

        class ProgressFile(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.handle = path.open("a", encoding="utf-8")
                self.epoch_times: list[float] = []
                self._start = 0.0
                self._last = 0.0
                self._epoch = 0

            def _write(self, event: dict) -> None:
                self.handle.write(json.dumps(event) + "\n")
                self.handle.flush()

            def on_epoch_begin(self, epoch: int, logs: Optional[dict] = None) -> None:
                self._start = self._last = time.monotonic()
                self._epoch = epoch + 1

            def on_train_batch_end(self, batch: int, logs: Optional[dict] = None) -> None:
                now = time.monotonic()
                if now - self._last >= 1.0:
                    self._last = now
                    self._write({"event": "batch", "epoch": self._epoch, "epochs": epochs,
                                 "batch": batch + 1, "batches": steps})

            def on_epoch_end(self, epoch: int, logs: Optional[dict] = None) -> None:
                seconds = time.monotonic() - self._start
                self.epoch_times.append(round(seconds, 3))
                clean = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float)) or hasattr(v, "__float__")}
                self._write({"event": "epoch", "epoch": epoch + 1, "epochs": epochs,
                             "seconds": round(seconds, 3), "logs": clean})

        return ProgressFile()


def _fit_hint(text: str, labels: str) -> str:
    if "expected axis" in text or "input_spec" in text or "Input 0 of layer" in text:
        return "; the model's input shape does not match the task's images (see the input-shape check)"
    if any(w in text for w in ("logits and labels", "Received a label value", "Arguments `target` and `output`",
                               "labels must", "Shapes", "incompatible")):
        if labels == "categorical":
            return "; this task's labels are one-hot: compile with loss='categorical_crossentropy'"
        return "; this task's labels are class numbers: compile with loss='sparse_categorical_crossentropy'"
    return ""


def _model_dims(model: Any) -> Optional[list]:
    try:
        return list(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _fit_data(x: Any, y: Any, args: dict[str, Any], model_dims: Optional[list] = None) -> tuple[dict[str, Any], int]:
    """model.fit keyword arguments for the recipe, and the steps per epoch.

    Small inputs go in as arrays, exactly as a student's own `model.fit(x, y, ...)` would
    (Keras shuffles them fully every epoch, and takes `validation_split` from the end).
    96x96 RGB inputs would take 6.6 GB as arrays, so they stream through tf.data instead."""
    import numpy as np
    import tensorflow as tf

    from grader.data.adapters import adapt

    adapter, batch_size, seed = args["adapter"], int(args["batch_size"]), int(args["seed"])
    classes = int(args.get("num_classes", 10))
    split = float(args.get("validation_split", 0.0))
    labels = y.astype("int64").reshape(-1)
    if args["labels"] == "categorical":
        labels = np.eye(classes, dtype="float32")[labels]
    n_val = int(len(x) * split)
    steps = -(-(len(x) - n_val) // batch_size)
    if adapter != "rgb96":
        from grader.data.adapters import fits, input_shape, reshape_for

        inputs = adapt(x, adapter)
        if model_dims and list(model_dims) != list(input_shape(adapter)) and fits(model_dims, adapter):
            inputs = reshape_for(inputs, model_dims)  # a 28x28 model under "flatten": same pixels
        return {"x": inputs, "y": labels, "batch_size": batch_size, "shuffle": True,
                "validation_split": split}, steps

    def stream(xs: Any, ys: Any, shuffle: bool) -> Any:
        data = tf.data.Dataset.from_tensor_slices((xs, ys))
        if shuffle:
            data = data.shuffle(len(xs), seed=seed, reshuffle_each_iteration=True)

        def resize(images: Any, targets: Any) -> Any:
            images = tf.cast(tf.reshape(images, (-1, 28, 28, 1)), tf.float32)
            return tf.image.grayscale_to_rgb(tf.image.resize(images, (96, 96))) / 255.0, targets

        return data.batch(batch_size).map(resize, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)

    cut = len(x) - n_val
    kwargs = {"x": stream(x[:cut], labels[:cut], shuffle=True)}
    if n_val:
        kwargs["validation_data"] = stream(x[cut:], labels[cut:], shuffle=False)
    return kwargs, steps


def run(args: dict[str, Any], workdir: Path) -> dict[str, Any]:
    import keras
    import numpy as np
    import tensorflow as tf

    cap = args.get("cap_text", "memory")
    seed = int(args["seed"])
    keras.utils.set_random_seed(seed)
    model = load_student_model(workdir / "sub", cap_text=cap, notebook=args.get("notebook"))
    if not is_compiled(model):
        raise JobFailure("build_model() returned a model that is not compiled: call model.compile(...) before returning it")
    with np.load(workdir / "in" / "train.npz", allow_pickle=False) as data:
        x, y = data["x_train"], data["y_train"]
    fit_data, steps = _fit_data(x, y, args, _model_dims(model))
    out = workdir / "out"
    epochs = int(args["epochs"])
    progress = _Progress.make(out / "progress.jsonl", epochs, steps)
    started = time.monotonic()
    try:
        history = model.fit(**fit_data, epochs=epochs, verbose=0, callbacks=[progress])
    except MemoryError:
        raise JobFailure(f"training ran out of memory under the sandbox's {cap} cap") from None
    except BaseException as exc:
        text = (str(exc).strip().splitlines() or [""])[0][:300]
        raise JobFailure(f"model.fit failed: {type(exc).__name__}: {text}{_fit_hint(str(exc), args['labels'])}") from None
    total = time.monotonic() - started
    try:
        model.save(out / "model.keras")
    except BaseException as exc:
        raise JobFailure(f"the trained model could not be saved: {type(exc).__name__}: {str(exc)[:200]}") from None
    gpus = tf.config.list_physical_devices("GPU")
    record = TrainRecord(
        task=str(args["task"]),
        seed=seed,
        epochs=epochs,
        recipe_epochs=int(args["recipe_epochs"]),
        batch_size=int(args["batch_size"]),
        labels=str(args["labels"]),
        validation_split=float(args.get("validation_split", 0.0)),
        train_size=int(len(x)),
        history={k: [float(v) for v in values] for k, values in history.history.items()},
        epoch_times_s=progress.epoch_times,
        total_s=round(total, 3),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        device=f"GPU ({gpus[0].name})" if gpus else f"CPU ({platform.machine()})",
        threads=int(args.get("threads", 0)),
        python=platform.python_version(),
    )
    (out / "train.json").write_text(record.model_dump_json(indent=2) + "\n")
    return {"train": record.model_dump(mode="json")}
