"""The shift probe on every reference solution (issue #13): train each model task's solution
with the task's recipe (epochs capped by --epochs to fit a 2-core machine), grade it, and
print accuracy on the test split, on the probe's sample and on its shifted copies.

A task whose weights are not staged (MobileNetV2) is trained on the tests' stand-in weights
with --stand-in-weights, else skipped. Usage:
    python bench/probe_solutions.py [--epochs 2] [--tasks task8.1,a1.1]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--tasks", default="")
    parser.add_argument("--stand-in-weights", action="store_true")
    args = parser.parse_args()

    from exercises import load_catalog
    from grader.api import Grader
    from grader.shift_probe import FLOOR, RELATIVE

    catalog = load_catalog()
    wanted = [t for t in args.tasks.split(",") if t]
    tasks = [t for t in catalog.tasks.values()
             if t.spec.kind.value == "model" and any(c.kind == "min_accuracy" for c in t.spec.checks)
             and (REPO / "solutions" / t.id / "model.py").exists() and (not wanted or t.id in wanted)]
    work = Path(tempfile.mkdtemp(prefix="probe-solutions-"))
    if args.stand_in_weights:
        import os

        from tests.weights_support import build_weights, stage_in_keras_home

        os.environ["KERAS_HOME"] = str(work / "keras")

        stage_in_keras_home(build_weights(work / "weights"))
    print(f"a model fails when gap > {FLOOR} + {RELATIVE} x (1 - accuracy on the originals); "
          f"epochs capped at {args.epochs}")
    print(f"{'task':10} {'epochs':>6} {'accuracy':>9} {'probe orig':>10} {'shifted':>8} {'gap':>7}  verdict")
    with Grader() as grader:
        for task in tasks:
            folder = work / task.id
            shutil.copytree(REPO / "solutions" / task.id, folder)
            epochs = min(task.spec.recipe.epochs, args.epochs) if task.spec.recipe else args.epochs
            started = time.monotonic()
            report = grader.train(task, folder, epochs=epochs)
            probe = report.meta.get("shift_probe")
            if probe is None:
                reason = next((c.message for c in report.checks if c.status != "passed"), report.status)
                print(f"{task.id:10} {epochs:>6} {'-':>9} {'-':>10} {'-':>8} {'-':>7}  no probe: {reason[:90]}")
                continue
            acc_check = next(c for c in report.checks if c.kind == "min_accuracy")
            memorised = "shifted by one pixel" in acc_check.message
            gap = probe["accuracy"] - probe["shifted_accuracy"]
            print(f"{task.id:10} {epochs:>6} {report.accuracy:>9.4f} {probe['accuracy']:>10.4f} "
                  f"{probe['shifted_accuracy']:>8.4f} {gap:>+7.4f}  "
                  f"{'FAILED by the probe' if memorised else 'probe passed'} ({time.monotonic() - started:.0f} s)",
                  flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
