"""Parse a Keras training run's stdout and stderr into a `TrainingLog`.

Handles Keras 3 and Keras 2 output in both verbose modes:
  verbose=1  "60/60 ━━━━━━━━━━━━━━━━━━━━ 1s 11ms/step - accuracy: 0.23 - loss: 2.24" (final frame)
             "600/600 [==============================] - 5s 8ms/step - loss: 0.21 - accuracy: 0.93"
  verbose=2  "108/108 - 2s - 17ms/step - accuracy: 0.8395 - loss: 0.6086 - val_accuracy: 0.93"
             "600/600 - 5s - loss: 0.21 - accuracy: 0.93 - 5s/epoch - 8ms/step"
plus TensorFlow's device lines on stderr and the script's own "Test accuracy:" line.
Pure Python: no TensorFlow import.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import BaseModel

from grader.logs.noise import PY_WARNING, split_noise, tf_level, tf_message
from grader.logs.terminal import terminal_lines

EPOCH_HEADER = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
PROGRESS = re.compile(r"^\s*(\d+)/(\d+|Unknown)\b(.*)$")
ELAPSED = re.compile(r"(?:^|[\s\]-])(\d+(?:\.\d+)?)(s|ms|us)(?=\s|$)")
PER_STEP = re.compile(r"(\d+(?:\.\d+)?)(s|ms|us)/(step|sample)")
METRIC = re.compile(r"\b([A-Za-z_][\w]*):\s*(-?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|nan|inf))")
TEST_ACCURACY = re.compile(
    r"\btest[ _-]*acc(?:uracy)?\b[^0-9\n]{0,20}?(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(%?)", re.I
)
TF_VERSION = re.compile(
    r"\b(?:tensorflow|tf)(?:\s+version|\.__version__)?\s*[:=]?\s*v?(\d+\.\d+\.\d+[\w.+-]*)", re.I
)
BARE_VERSION = re.compile(r"^\s*(\d+\.\d+\.\d+(?:[\w.+-]*)?)\s*$")
GPU_CREATED = re.compile(
    r"Created device /job:\w+/replica:\d+/task:\d+/device:GPU:(\d+) with (\d+) MB memory:"
    r"\s*-> device: \d+, name: ([^,]+)"
)
GPU_LISTED = re.compile(r"(?:/physical_device:|device_type=')GPU(?::(\d+))?")
GPU_PROBLEMS = re.compile(
    r"(Could not find cuda drivers on your machine, GPU will not be used"
    r"|failed call to cuInit[^\n]*"
    r"|Cannot dlopen some GPU libraries[^\n]*"
    r"|CUDA_ERROR_NO_DEVICE[^\n]*"
    r"|no CUDA-capable device is detected"
    r"|TensorFlow was not built with CUDA kernel binaries compatible with compute capability[^\n]*)"
)
SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit|Interrupt)|Killed)\b(:.*)?$")


class Device(BaseModel):
    kind: Literal["GPU", "CPU"]
    index: int = 0
    name: Optional[str] = None
    memory_mb: Optional[int] = None


class Epoch(BaseModel):
    index: int  # 1-based, as Keras prints it
    of: Optional[int] = None
    steps: Optional[int] = None
    seconds: Optional[float] = None  # the epoch's wall time as Keras printed it
    seconds_per_step: Optional[float] = None
    loss: Optional[float] = None
    accuracy: Optional[float] = None
    val_loss: Optional[float] = None
    val_accuracy: Optional[float] = None
    metrics: dict[str, float] = {}


class TrainingLog(BaseModel):
    """What a training run's logs tell: versions, devices, epochs, the test accuracy, problems."""

    tf_version: Optional[str] = None
    devices: list[Device] = []
    gpu_problems: list[str] = []
    verbose: Optional[Literal[1, 2]] = None
    epochs: list[Epoch] = []
    epochs_planned: Optional[int] = None
    test_accuracy: Optional[float] = None
    test_accuracy_source: Optional[Literal["printed", "evaluate"]] = None
    test_loss: Optional[float] = None
    warnings: list[str] = []  # library warnings (one line each) and TensorFlow W/E lines kept
    errors: list[str] = []  # the exception a traceback ended with, "Killed", ...
    noise_lines: int = 0

    @property
    def gpu_used(self) -> bool:
        return any(d.kind == "GPU" for d in self.devices)

    @property
    def epoch_seconds(self) -> list[float]:
        return [e.seconds for e in self.epochs if e.seconds is not None]


def _to_seconds(value: str, unit: str) -> float:
    return float(value) * SECONDS[unit]


def _metrics(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, value in METRIC.findall(text):
        if name.lower() in ("eta",):
            continue
        try:
            found[name] = float(value)
        except ValueError:
            continue
    return found


def parse_progress(rest: str) -> tuple[Optional[float], Optional[float], dict[str, float], int]:
    """(elapsed seconds, seconds per step, metrics, verbose mode) of a final progress line."""
    per_step = PER_STEP.search(rest)
    without_rates = PER_STEP.sub("", rest)
    without_rates = re.sub(r"\d+(?:\.\d+)?(?:s|ms|us)/epoch", "", without_rates)
    head = without_rates.split(" - ", 1)[0] if "━" in rest or "[" in rest else without_rates
    elapsed = ELAPSED.search(head) or ELAPSED.search(without_rates)
    mode = 1 if ("━" in rest or "[" in rest or re.match(r"^\s*[━=.>\s\[\]]+\s", rest)) else 2
    return (
        _to_seconds(*elapsed.groups()) if elapsed else None,
        _to_seconds(*per_step.groups()[:2]) if per_step else None,
        _metrics(rest),
        mode,
    )


def _epoch_from(index: int, of: Optional[int], steps: int, rest: str) -> tuple[Epoch, int]:
    seconds, per_step, metrics, mode = parse_progress(rest)
    if (seconds is None or seconds == 0) and per_step is not None:
        seconds = round(per_step * steps, 3)
    return (
        Epoch(
            index=index,
            of=of,
            steps=steps,
            seconds=seconds,
            seconds_per_step=per_step,
            loss=metrics.get("loss"),
            accuracy=metrics.get("accuracy", metrics.get("acc")),
            val_loss=metrics.get("val_loss"),
            val_accuracy=metrics.get("val_accuracy", metrics.get("val_acc")),
            metrics=metrics,
        ),
        mode,
    )


def _fit_line(rest: str) -> bool:
    """A verbose=2 line with a loss (no progress bar): what fit() prints once per epoch."""
    return "━" not in rest and "[" not in rest and "loss" in _metrics(rest)


def _parse_stdout(lines: list[str], log: TrainingLog) -> None:
    current: Optional[tuple[int, Optional[int]]] = None  # the epoch whose final line is pending
    seen_epoch = False
    last_final: Optional[tuple[int, Optional[tuple[int, Optional[int]]]]] = None
    for line in lines:
        header = EPOCH_HEADER.match(line)
        if header:
            current = (int(header[1]), int(header[2]))
            log.epochs_planned = int(header[2])
            seen_epoch = True
            last_final = None
            continue
        progress = PROGRESS.match(line)
        if not line.strip():
            continue
        if progress and progress[1] != progress[2]:
            last_final = None  # an intermediate frame (seen when \r became \n)
            continue
        if not progress:
            last_final = None
        if progress and progress[2] != "Unknown":
            steps = int(progress[1])
            if current is None and last_final is not None and last_final[0] == steps:
                # The same bar drawn again (Keras 3 redraws the last frame with the epoch's time
                # when the carriage returns were lost): the later frame wins.
                current = last_final[1]
                if current is not None:
                    log.epochs.pop()
            if current is None and not seen_epoch and not log.epochs and _fit_line(progress[3]):
                # Keras prints no "Epoch 1/1" header when fit() runs a single epoch with
                # verbose=2: its first line is the epoch ("60/60 - 38s - loss: ... - 38s/epoch"
                # in tf.keras 2, "10/10 - 22s - 2s/step - accuracy: ... - loss: ..." in Keras 3).
                current, seen_epoch, log.epochs_planned = (1, 1), True, 1
            last_final = (steps, current)
            if current is not None:
                epoch, mode = _epoch_from(current[0], current[1], steps, progress[3])
                log.epochs.append(epoch)
                log.verbose = log.verbose or mode  # type: ignore[assignment]
                current = None
            elif seen_epoch:  # a final progress line outside an epoch: model.evaluate()
                _, _, metrics, _ = parse_progress(progress[3])
                acc = metrics.get("accuracy", metrics.get("acc"))
                if acc is not None and log.test_accuracy_source != "printed":
                    log.test_accuracy, log.test_accuracy_source = acc, "evaluate"
                if "loss" in metrics:
                    log.test_loss = metrics["loss"]
            continue
        test = TEST_ACCURACY.search(line)
        if test:
            value = float(test[1])
            if test[2] == "%" or 1 < value <= 100:
                value /= 100
            if 0 <= value <= 1:
                log.test_accuracy, log.test_accuracy_source = value, "printed"
            continue
        if log.tf_version is None:
            version = TF_VERSION.search(line)
            if version:
                log.tf_version = version[1]
            elif not seen_epoch and BARE_VERSION.match(line):
                log.tf_version = BARE_VERSION.match(line)[1]  # print(tf.__version__), as the book does


def _add_device(log: TrainingLog, device: Device) -> None:
    for known in log.devices:
        if known.kind == device.kind and known.index == device.index:
            known.name = known.name or device.name
            known.memory_mb = known.memory_mb or device.memory_mb
            return
    log.devices.append(device)


def _parse_stream_facts(lines: list[str], log: TrainingLog) -> None:
    """Facts that may appear on either stream: devices, GPU problems, versions, errors."""
    in_traceback = False
    for line in lines:
        created = GPU_CREATED.search(line)
        if created:
            _add_device(log, Device(kind="GPU", index=int(created[1]), name=created[3].strip(), memory_mb=int(created[2])))
        elif GPU_LISTED.search(line):
            for index in GPU_LISTED.findall(line):
                _add_device(log, Device(kind="GPU", index=int(index or 0)))
        problem = GPU_PROBLEMS.search(line)
        if problem and problem[1] not in log.gpu_problems:
            log.gpu_problems.append(problem[1])
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        if in_traceback and not line.startswith((" ", "\t")) and line.strip():
            log.errors.append(line.strip())
            in_traceback = False
        elif not in_traceback and (EXCEPTION_LINE.match(line) or "Out of memory" in line or "oom-kill" in line):
            if line.strip() not in log.errors and not line.startswith(" "):
                log.errors.append(line.strip())


def parse_training_log(stdout: str, stderr: str = "") -> TrainingLog:
    """Everything the two streams of a training run say (either may be empty)."""
    log = TrainingLog()
    out_lines = terminal_lines(stdout)
    _parse_stdout(out_lines, log)
    kept, noise, library_warnings = split_noise(stderr)
    log.noise_lines = len(noise)
    log.warnings.extend(library_warnings)
    for line in kept:
        message = tf_message(line)
        if tf_level(line) in ("W", "E", "F") and message not in log.warnings:
            log.warnings.append(message)
        elif PY_WARNING.match(line):
            log.warnings.append(PY_WARNING.sub(r"\g<category>: \g<message>", line))
    _parse_stream_facts(kept + out_lines, log)
    if log.tf_version is None:
        for line in kept:
            version = TF_VERSION.search(line)
            if version and "/" not in line.split(version[0])[0][-1:]:
                log.tf_version = version[1]
                break
    if not log.devices and any(line.strip() for line in out_lines + kept):
        log.devices.append(Device(kind="CPU"))
    return log
