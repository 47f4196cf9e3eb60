"""Hand-built model summaries for the check tests (what the evaluator would report)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from exercises import load_catalog
from grader.checks import CheckContext, run_checks
from grader.report import CheckResult, LayerSummary, ModelSummary

BASELINE_81 = [
    ("Conv2D", [None, 24, 24, 32], 832, "relu"),
    ("MaxPooling2D", [None, 12, 12, 32], 0, None),
    ("Conv2D", [None, 8, 8, 64], 51264, "relu"),
    ("MaxPooling2D", [None, 4, 4, 64], 0, None),
    ("Flatten", [None, 1024], 0, None),
    ("Dense", [None, 10], 10250, "softmax"),
]


def summary(layers, input_shape, non_trainable: int = 0) -> ModelSummary:
    built = [
        LayerSummary(name=f"{c.lower()}_{i}", class_name=c, output_shape=o, params=p, trainable_params=p, activation=a)
        for i, (c, o, p, a) in enumerate(layers)
    ]
    total = sum(layer.params for layer in built) + non_trainable
    return ModelSummary(
        total_params=total,
        trainable_params=total - non_trainable,
        non_trainable_params=non_trainable,
        input_shape=input_shape,
        output_shape=built[-1].output_shape,
        layers=built,
    )


def spec(task_id: str):
    return load_catalog().get(task_id).spec


def run(task_id: str, mode="check", submission: Optional[Path] = None, **fields) -> dict[str, CheckResult]:
    ctx = CheckContext(spec=spec(task_id), submission=submission or Path("."), mode=mode, **fields)
    return {r.id: r for r in run_checks(ctx)}
