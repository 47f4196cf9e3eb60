"""Plot the training and validation history recorded in train.json into history.png.

    python plot_history.py [--record train.json] [--out history.png]
Needs matplotlib (available in the course's container and most Python installs).
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a cluster node
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", default=str(HERE / "train.json"))
    parser.add_argument("--out", default=str(HERE / "history.png"))
    args = parser.parse_args()
    history = json.loads(Path(args.record).read_text())["history"]
    if "val_loss" not in history:
        raise SystemExit(f"{args.record} has no validation history: train with the task's recipe")
    epochs = range(1, len(history["loss"]) + 1)
    figure, (loss, accuracy) = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for axis, metric in ((loss, "loss"), (accuracy, "accuracy")):
        axis.plot(epochs, history[metric], label="training")
        axis.plot(epochs, history[f"val_{metric}"], label="validation")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend()
        axis.grid(alpha=0.3)
    figure.suptitle(Path(args.record).parent.name + ": training history")
    figure.tight_layout()
    figure.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
