"""Training and evaluating in the sandbox on the streamed 96x96 RGB path (task 8.5's inputs),
on a small slice of real MNIST: what `tutor submit` runs on a GPU node, here on the CPU."""

from __future__ import annotations

import json
import shutil

import numpy as np

from grader.data import resolve_dataset
from grader.data.resolve import load_split
from grader.sandbox import ForkServer, Policy
from grader.training import TrainRecord
from tests.conftest import REPO
from tests.weights_support import build_weights


def test_rgb96_training_streams_and_the_artifact_evaluates(tmp_path):
    x, y = load_split(resolve_dataset("mnist"), "train")
    x_test, _ = load_split(resolve_dataset("mnist"), "test")
    server = ForkServer()
    try:
        build_weights(server.keras_home / "models")
        workdir = server.new_workdir("train", with_sub=False)
        shutil.copytree(REPO / "solutions" / "task8.5", workdir / "sub")
        np.savez(workdir / "in" / "train.npz", x_train=x[:192], y_train=y[:192])
        args = {"task": "task8.5", "seed": 42, "epochs": 1, "recipe_epochs": 2, "batch_size": 64,
                "labels": "sparse", "validation_split": 0.25, "adapter": "rgb96", "num_classes": 10}
        reply = server.run("train", workdir, Policy(wall_s=600, memory_bytes=6 << 30), args)
        assert reply.ok, reply.reason
        record = TrainRecord.model_validate_json((workdir / "out" / "train.json").read_text())
        assert record.train_size == 192 and set(record.history) >= {"loss", "val_loss"}
        events = [json.loads(line) for line in (workdir / "out" / "progress.jsonl").read_text().splitlines()]
        assert events[-1]["event"] == "epoch" and events[-1]["epochs"] == 1

        evaluate = server.new_workdir("evaluate")
        shutil.copy(workdir / "out" / "model.keras", evaluate / "in" / "model.keras")
        np.save(evaluate / "in" / "x.npy", x_test[:50])
        reply = server.run("evaluate", evaluate, Policy(wall_s=300, memory_bytes=6 << 30),
                           {"adapter": "rgb96", "num_classes": 10, "batch_size": 32})
        assert reply.ok, reply.reason
        assert len(reply.result["predicted"]) == 50 and reply.result["predict_error"] is None
        assert reply.result["summary"]["trainable_params"] == 12_810
    finally:
        server.close()
