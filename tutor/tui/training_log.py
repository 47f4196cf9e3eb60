"""Per-epoch series from a training log, through the grader's log parser (`grader.logs`,
which owns TensorFlow's output format and never imports TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from grader.logs import filter_noise, parse_training_log

__all__ = ["Series", "epoch_series", "filter_noise"]


@dataclass
class Series:
    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_accuracy: Optional[float] = None


def _number(value: Optional[float]) -> float:
    return float("nan") if value is None else float(value)


def epoch_series(stdout: str, stderr: str = "") -> Series:
    """Loss and accuracy per epoch (the last line Keras printed for each epoch)."""
    log = parse_training_log(stdout, stderr)
    series = Series(test_accuracy=log.test_accuracy)
    for epoch in log.epochs:
        series.epochs.append(epoch.index)
        series.loss.append(_number(epoch.loss))
        series.accuracy.append(_number(epoch.accuracy))
    return series
