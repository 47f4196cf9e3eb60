"""The lecture and assignment packs' check kinds, on real files and hand-built summaries
(no TensorFlow: these are the trusted parent's checks)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

from grader.checks import Evaluation
from grader.checks.runs import MARKER, Run, RunRecord, parse_table, render_table
from grader.report import LayerSummary, ModelSummary
from tests.checks_helpers import run, summary

REPO = Path(__file__).resolve().parent.parent
PACKS = REPO / "exercises" / "packs"
SOLUTIONS = REPO / "solutions"


def copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def png(path: Path, width: int, height: int) -> Path:
    """A real (grey, blank) PNG of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def record(folder: Path, name: str = "train.json", **fields) -> Path:
    data = {"task": "x", "epochs": 2, "history": {"loss": [1.0, 0.5], "accuracy": [0.8, 0.9],
                                                  "val_loss": [1.1, 0.7], "val_accuracy": [0.7, 0.85]},
            "epoch_times_s": [3.0, 2.5], "total_s": 5.6, "device": "GPU (NVIDIA H100)"}
    data.update(fields)
    (folder / name).write_text(json.dumps(data))
    return folder / name


# ----------------------------------------------------------------------------- augmentation


def test_augmentation_layers_in_the_summary_pass():
    layers = [("RandomRotation", [None, 28, 28, 1], 0, None), ("Conv2D", [None, 28, 28, 32], 320, "relu"),
              ("Flatten", [None, 25088], 0, None), ("Dense", [None, 10], 250890, "softmax")]
    result = run("a1.3", summary=summary(layers, [None, 28, 28, 1]))["augmentation"]
    assert result.status == "passed" and "RandomRotation" in result.message


def test_a1_3_starter_has_no_augmentation_and_is_told_what_to_add():
    layers = [("Conv2D", [None, 28, 28, 32], 320, "relu"), ("Flatten", [None, 25088], 0, None),
              ("Dense", [None, 10], 250890, "softmax")]
    result = run("a1.3", submission=PACKS / "assignment" / "a1.3" / "starter",
                 summary=summary(layers, [None, 28, 28, 1]))["augmentation"]
    assert result.status == "failed" and "RandomRotation" in result.message


def test_a_tf_data_map_with_random_image_ops_counts(tmp_path):
    (tmp_path / "pipeline.py").write_text(
        "import tensorflow as tf\n"
        "def augment(x, y):\n    return tf.image.random_brightness(x, 0.1), y\n"
        "def train_data(ds):\n    return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)\n"
    )
    layers = [("Conv2D", [None, 28, 28, 32], 320, "relu"), ("Dense", [None, 10], 10, "softmax")]
    result = run("a1.3", submission=tmp_path, summary=summary(layers, [None, 28, 28, 1]))["augmentation"]
    assert result.status == "passed" and "pipeline.py line 3" in result.message


def test_a_nested_augmentation_block_is_found_in_the_source(tmp_path):
    (tmp_path / "model.py").write_text(
        "import keras\nfrom keras import layers\n"
        "aug = keras.Sequential([layers.RandomZoom(0.1), layers.RandomTranslation(0.1, 0.1)])\n"
    )
    nested = [("Sequential", [None, 28, 28, 1], 0, None), ("Dense", [None, 10], 10, "softmax")]
    result = run("a1.3", submission=tmp_path, summary=summary(nested, [None, 28, 28, 1]))["augmentation"]
    assert result.status == "passed" and "RandomZoom" in result.message


def test_a_syntax_error_is_one_line_naming_file_and_line(tmp_path):
    (tmp_path / "model.py").write_text("def build_model(:\n")
    result = run("a1.3", submission=tmp_path, summary=summary([("Dense", [None, 10], 10, "softmax")], [None, 784]))
    assert result["augmentation"].status == "failed"
    assert result["augmentation"].message.startswith("model.py: syntax error on line 1")


# ----------------------------------------------------------------------------- from scratch, schedules, compile


RESNET = [("Conv2D", [None, 32, 32, 16], 432, None)] * 10 + [("Add", [None, 32, 32, 16], 0, None)] * 3 + [
    ("Dense", [None, 10], 650, "softmax")]


def test_keras_applications_default_weights_are_pretrained(tmp_path):
    (tmp_path / "model.py").write_text(
        "from keras.applications import ResNet50\n\ndef build_model():\n"
        "    return ResNet50(input_shape=(32, 32, 3), classes=10)\n"
    )
    result = run("a2.1.3", submission=tmp_path, summary=summary(RESNET, [None, 32, 32, 3]))["from-scratch"]
    assert result.status == "failed"
    assert "line 4: ResNet50(...) without weights=None" in result.message and "weights=None" in result.message


def test_weights_none_and_our_resnet_are_from_scratch(tmp_path):
    (tmp_path / "model.py").write_text(
        "import keras\nm = keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10)\n"
    )
    results = run("a2.1.3", submission=tmp_path, summary=summary(RESNET, [None, 32, 32, 3]))
    assert results["from-scratch"].status == "passed"
    assert results["deep"].status == "passed" and results["residual"].status == "passed"
    ref = run("a2.1.3", submission=SOLUTIONS / "a2.1.3", summary=summary(RESNET, [None, 32, 32, 3]))
    assert ref["from-scratch"].status == "passed"


def test_load_weights_is_pretrained(tmp_path):
    (tmp_path / "model.py").write_text("def build_model(m):\n    m.load_weights('imagenet.h5')\n    return m\n")
    result = run("a2.1.3", submission=tmp_path, summary=summary(RESNET, [None, 32, 32, 3]))["from-scratch"]
    assert result.status == "failed" and "load_weights" in result.message


def _optimizer_summary(learning_rate) -> ModelSummary:
    built = summary(RESNET, [None, 32, 32, 3])
    return built.model_copy(update={"optimizer": {"class_name": "SGD", "config": {"learning_rate": learning_rate}}})


def test_schedule_in_the_optimizer_config_passes():
    schedule = {"module": "keras.optimizers.schedules", "class_name": "CosineDecay", "config": {}}
    result = run("a2.2", summary=_optimizer_summary(schedule), submission=Path("/nonexistent"))["schedule"]
    assert result.status == "passed" and "CosineDecay" in result.message


def test_constant_rate_fails_and_callback_in_model_py_does_not_count(tmp_path):
    (tmp_path / "model.py").write_text(
        "import keras\ncb = keras.callbacks.LearningRateScheduler(lambda e, lr: lr * 0.9)\n"
    )
    result = run("a2.2", summary=_optimizer_summary(0.01), submission=tmp_path)["schedule"]
    assert result.status == "failed" and "PiecewiseConstantDecay" in result.message
    (tmp_path / "train.py").write_text(
        "import keras\nclass Lookahead(keras.callbacks.Callback):\n    pass\n"
    )
    result = run("a2.2", summary=_optimizer_summary(0.01), submission=tmp_path)["schedule"]
    assert result.status == "passed" and "train.py line 2: class Lookahead" in result.message


def test_compile_settings_from_the_source_of_starter_and_solution():
    dense = summary([("Dense", [None, 30], 23550, "tanh"), ("Dense", [None, 10], 310, "softmax")], [None, 784])
    starter = run("lecture3", submission=PACKS / "lectures" / "lecture3" / "starter", summary=dense)["compile"]
    assert starter.status == "failed" and "optimizer=sgd" in starter.message and "adam" in starter.message
    solution = run("lecture3", submission=SOLUTIONS / "lecture3", summary=dense)["compile"]
    assert solution.status == "passed", solution.message


def test_weighted_layers_ignore_normalisation_and_pooling():
    shallow = [("Conv2D", [None, 32, 32, 32], 896, "relu"), ("BatchNormalization", [None, 32, 32, 32], 128, None),
               ("MaxPooling2D", [None, 16, 16, 32], 0, None)] * 9 + [("Dense", [None, 10], 10, "softmax")]
    result = run("a2.1.2", summary=summary(shallow, [None, 32, 32, 3]))["shallow"]
    assert result.status == "failed" and result.actual == 10 and "want <= 9" in result.message


# ----------------------------------------------------------------------------- transfer learning, two artifacts


def _transfer(trainable_sublayers: int) -> ModelSummary:
    backbone_params = 2_257_984
    trainable = 1_500_000 if trainable_sublayers else 0
    layers = [
        LayerSummary(name="mobilenetv2_1.00_96", class_name="Functional", output_shape=[None, 3, 3, 1280],
                     params=backbone_params, trainable_params=trainable, trainable=bool(trainable_sublayers),
                     sublayers=153, frozen_sublayers=153 - trainable_sublayers),
        LayerSummary(name="pool", class_name="GlobalAveragePooling2D", output_shape=[None, 1280]),
        LayerSummary(name="dense", class_name="Dense", output_shape=[None, 10], params=12810,
                     trainable_params=12810, activation="softmax"),
    ]
    total = backbone_params + 12810
    return ModelSummary(total_params=total, trainable_params=12810 + trainable,
                        non_trainable_params=total - 12810 - trainable, input_shape=[None, 96, 96, 3],
                        output_shape=[None, 10], layers=layers)


def test_check_mode_reads_both_halves_of_a1_4():
    starter = run("a1.4", submission=PACKS / "assignment" / "a1.4" / "starter", summary=_transfer(0))
    assert starter["frozen-run"].status == "passed"
    assert starter["finetuned-run"].status == "failed" and "trainable = True" in starter["finetuned-run"].message
    solution = run("a1.4", submission=SOLUTIONS / "a1.4", summary=_transfer(0))
    assert solution["finetuned-run"].status == "passed" and "base.trainable = True" in solution["finetuned-run"].message
    unfrozen = run("a1.4", submission=SOLUTIONS / "a1.4", summary=_transfer(20))["frozen-run"]
    assert unfrozen.status == "failed" and "base.trainable = False" in unfrozen.message


def test_grade_mode_judges_each_artifact_by_its_own_summary(tmp_path):
    folder = copy(SOLUTIONS / "a1.4", tmp_path / "a1.4")
    missing = run("a1.4", mode="grade", submission=folder, summary=_transfer(0))["finetuned-run"]
    assert missing.status == "failed" and "no finetuned.keras" in missing.message
    (folder / "finetuned.keras").write_bytes(b"PK")
    results = run("a1.4", mode="grade", submission=folder, summary=_transfer(0),
                  artifact_summaries={"finetuned.keras": _transfer(30)})
    assert results["frozen-run"].status == "passed"
    assert results["finetuned-run"].status == "passed" and "30/153 backbone layers train" in results["finetuned-run"].message
    still_frozen = run("a1.4", mode="grade", submission=folder, summary=_transfer(0),
                       artifact_summaries={"finetuned.keras": _transfer(0)})["finetuned-run"]
    assert still_frozen.status == "failed" and "unfreeze" in still_frozen.message


# ----------------------------------------------------------------------------- overfitting


def test_overfitting_compares_recorded_training_accuracy_with_the_test_set(tmp_path):
    dense = summary([("Dense", [None, 30], 23550, "sigmoid"), ("Dense", [None, 10], 310, "sigmoid")], [None, 784])
    record(tmp_path, history={"loss": [0.1], "accuracy": [0.84]})
    labels = np.arange(100) % 10
    predicted = labels.copy()
    predicted[:38] = (predicted[:38] + 1) % 10  # 62 % right, as in the lecture
    evaluation = Evaluation(predicted=predicted, labels=labels)
    result = run("lecture1", mode="grade", submission=tmp_path, summary=dense, evaluation=evaluation)["overfits"]
    assert result.status == "passed" and "train 0.840, test 0.620" in result.message
    record(tmp_path, history={"loss": [0.1], "accuracy": [0.65]})
    result = run("lecture1", mode="grade", submission=tmp_path, summary=dense, evaluation=evaluation)["overfits"]
    assert result.status == "failed" and "gap +0.030" in result.message


# ----------------------------------------------------------------------------- documents


def test_markdown_template_fails_naming_the_unwritten_sections():
    result = run("a3", submission=PACKS / "assignment" / "a3" / "starter")["report"]
    assert result.status == "failed"
    assert "Architecture (0 words)" in result.message and "References (0 words)" in result.message
    assert run("a3", submission=SOLUTIONS / "a3")["report"].status == "passed"


def test_a_title_that_mentions_a_section_name_does_not_hide_the_section(tmp_path):
    text = (SOLUTIONS / "a3" / "REPORT.md").read_text()
    text = text.replace("# Research report: DenseNet", "# Research report: DenseNet, a recent architecture")
    (tmp_path / "REPORT.md").write_text(text)
    assert run("a3", submission=tmp_path)["report"].status == "passed"


def test_a_missing_section_is_named(tmp_path):
    text = (SOLUTIONS / "a3" / "REPORT.md").read_text().replace("## Comparison with ResNet", "## Results")
    (tmp_path / "REPORT.md").write_text(text)
    result = run("a3", submission=tmp_path)["report"]
    assert result.status == "failed" and "missing section(s): Comparison with ResNet" in result.message


def _collect(tmp_path: Path, env: dict) -> Path:
    folder = copy(PACKS / "assignment" / "a2.1.1" / "starter", tmp_path / "ws")
    proc = subprocess.run([sys.executable, "hardware.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return folder


def test_hardware_collected_in_a_gpu_job_passes(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "nvidia-smi"  # stand-in: there is no GPU here
    fake.write_text("#!/bin/sh\necho 'NVIDIA A100-SXM4-40GB, 40960, 535.104.05'\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "SLURM_JOB_ID": "4242", "SLURM_CPUS_PER_TASK": "8"}
    folder = _collect(tmp_path, env)
    data = json.loads((folder / "hardware.json").read_text())
    assert data["cpus_allocated"] == 8 and data["gpus"][0]["memory_mib"] == 40960
    result = run("a2.1.1", submission=folder)["collected"]
    assert result.status == "passed" and "NVIDIA A100-SXM4-40GB (40960 MiB)" in result.message


def test_hardware_collected_on_a_node_without_gpu_says_where_to_collect(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    env["PATH"] = "/usr/bin:/bin"
    folder = _collect(tmp_path, env)
    result = run("a2.1.1", submission=folder)["collected"]
    assert result.status == "failed" and "no GPU recorded" in result.message and "GPU job" in result.message
    (folder / "hardware.json").write_text("{not json")
    result = run("a2.1.1", submission=folder)["collected"]
    assert result.status == "failed" and "hardware.json: not valid JSON (line 1" in result.message


def test_history_plot_png_and_validation_record(tmp_path):
    layers = [("Conv2D", [None, 32, 32, 32], 896, "relu")] * 2 + [("Dense", [None, 10], 10, "softmax")]
    shallow = summary(layers, [None, 32, 32, 3])
    assert run("a2.1.2", submission=tmp_path, summary=shallow)["history-plot"].status == "skipped"
    result = run("a2.1.2", mode="grade", submission=tmp_path, summary=shallow)["history-plot"]
    assert result.status == "failed" and "plt.savefig('history.png')" in result.message
    png(tmp_path / "history.png", 100, 80)
    result = run("a2.1.2", submission=tmp_path, summary=shallow)["history-plot"]
    assert result.status == "failed" and "only 100x80 PNG" in result.message
    png(tmp_path / "history.png", 1000, 400)
    record(tmp_path, history={"loss": [1.0], "accuracy": [0.5]})
    result = run("a2.1.2", submission=tmp_path, summary=shallow)["history-plot"]
    assert result.status == "failed" and "no validation history" in result.message
    record(tmp_path)
    result = run("a2.1.2", submission=tmp_path, summary=shallow)["history-plot"]
    assert result.status == "passed" and "1000x400 PNG, 2 epochs with validation" in result.message
    (tmp_path / "history.png").write_text("not an image")
    assert "not a PNG image" in run("a2.1.2", submission=tmp_path, summary=shallow)["history-plot"].message


# ----------------------------------------------------------------------------- comparison tables


def test_table_round_trip_and_missing_numbers(tmp_path):
    runs = [Run("a2.1.2", tmp_path / "a.json", RunRecord(epoch_times_s=[2.0, 2.0], total_s=4.2, trainable_params=552_362,
                                                           total_params=552_362, history={"accuracy": [0.5, 0.7]})),
            Run("a2.1.3", tmp_path / "b.json", RunRecord(epochs=30, total_s=90.0))]
    table = render_table(runs, "tutor compare a2.3")
    assert table.startswith(MARKER)
    rows = parse_table(table)
    assert rows[0]["run"] == "a2.1.2" and rows[0]["trainable params"] == "552,362" and rows[0]["s / epoch"] == "2.10"
    assert rows[1]["trainable params"] == "?" and rows[1]["epochs"] == "30"
    (tmp_path / "COMPARISON.md").write_text("# My runs\n\n" + table + "\nSome words.\n")
    result = run("a2.3", submission=tmp_path)["table"]
    assert result.status == "failed" and "no recorded run of a2.2" in result.message


def test_hand_typed_tables_are_not_accepted(tmp_path):
    (tmp_path / "COMPARISON.md").write_text("| run | params |\n|---|---|\n| a1.4 | 12,810 |\n")
    result = run("a1.5", submission=tmp_path)["table"]
    assert result.status == "failed" and "tutor compare a1.5" in result.message
    assert run("a1.5", submission=SOLUTIONS / "a1.5")["table"].status == "passed"
