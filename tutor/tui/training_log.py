"""Reading a training log for the jobs screen, through the grader's log parser.

`grader.logs` (the checks engineer's module) owns TensorFlow's output format; this adapter
only turns what it returns into per-epoch series and survives its absence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass
class Series:
    epochs: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_accuracy: Optional[float] = None


def _get(item: Any, *names: str) -> Any:
    for name in names:
        found = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
        if found is not None:
            return found
    return None


def filter_noise(text: str) -> Optional[str]:
    """TensorFlow's start-up noise removed, or None when the parser is not available."""
    try:
        from grader.logs import filter_noise as grader_filter
    except ImportError:
        return None
    return grader_filter(text)


def epoch_series(stdout: str, stderr: str) -> Optional[Series]:
    """Loss and accuracy per epoch from a training log, or None without a parser."""
    try:
        from grader.logs import parse_training_log
    except ImportError:
        return None
    parsed = parse_training_log(stdout, stderr)
    series = Series(test_accuracy=_get(parsed, "test_accuracy"))
    for i, epoch in enumerate(_get(parsed, "epochs") or [], start=1):
        loss = _get(epoch, "loss")
        acc = _get(epoch, "accuracy", "acc")
        series.epochs.append(int(_get(epoch, "epoch", "number", "index") or i))
        series.loss.append(float(loss) if loss is not None else float("nan"))
        series.accuracy.append(float(acc) if acc is not None else float("nan"))
    return series
