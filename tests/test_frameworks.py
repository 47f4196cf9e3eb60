"""The compatibility matrix, with the real frameworks: TF 2.11 (the book's NGC image, Keras 2,
legacy HDF5), TF 2.15 (the last Keras 2), TF 2.21 / Keras 3 (tutor's own) and Keras 3 on the
PyTorch backend. For each: the runner trains task 8.1 for one epoch on a subset; a book-style
MNIST.py runs to its "Test accuracy" line; tutor grades the runner's artifact with the published
parameter count and the accuracy the framework printed; a Lambda model saved by that framework
is refused without its code running (a marker file proves it).

The framework environments are built once, outside the repo, by `make frameworks`
(tests/frameworks/build.sh; $TUTOR_FRAMEWORKS_DIR, default ~/.cache/tutor-frameworks). In CI a
missing environment FAILS the matrix; locally it skips with the command that builds it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO, SHARED_DATA, run_tutor

pytestmark = pytest.mark.slow

FRAMEWORKS_DIR = Path(os.environ.get("TUTOR_FRAMEWORKS_DIR") or Path.home() / ".cache" / "tutor-frameworks")
MATRIX = {  # name -> (environment folder or None for tutor's own, extra environment, Keras major)
    "tf2.11": ("tf2.11", {}, 2),
    "tf2.15": ("tf2.15", {}, 2),
    "tf2.21": (None, {}, 3),
    "keras3-torch": ("torch", {"KERAS_BACKEND": "torch"}, 3),
}
RUNNER = REPO / "hpc" / "runner_template.py"
PORTABLE_MNIST = REPO / "tests" / "fixtures" / "frameworks" / "portable_MNIST.py"
TRAIN_IMAGES = "1000"
BASELINE_PARAMS = 62346
TEST_ACCURACY = re.compile(r"^Test accuracy:\s*([0-9.]+)", re.M)
FIGURES = Path(os.environ.get("TUTOR_MATRIX_FIGURES", "")) if os.environ.get("TUTOR_MATRIX_FIGURES") else None

LAMBDA_MODEL = r"""
import sys
import keras
from keras import layers
marker, out = sys.argv[1], sys.argv[2]
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Lambda(lambda x: x * float(open(marker, "w").write("1"))),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.save(out)
print("saved", out)
"""

OPEN_UNSANDBOXED = r"""
import sys
from pathlib import Path
from grader.evaluator.run import run
from grader.sandbox.protocol import JobFailure
try:
    run({"artifact": sys.argv[2], "name": "lambda.keras", "predict": False}, Path(sys.argv[1]))
    print("OPENED")
except JobFailure as exc:
    print("REFUSED", exc)
"""


def framework_python(name: str) -> tuple[str, dict]:
    folder, extra, _major = MATRIX[name]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", **extra}
    env.pop("PYTHONPATH", None)
    if folder is None:
        return sys.executable, env
    python = FRAMEWORKS_DIR / folder / "bin" / "python"
    if not (python.is_file() and (FRAMEWORKS_DIR / folder / ".ready").is_file()):
        message = f"framework environment {folder} missing in {FRAMEWORKS_DIR}: run `make frameworks`"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return str(python), env


def run(command: list[str], env: dict, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def printed_accuracy(stdout: str) -> float:
    found = TEST_ACCURACY.findall(stdout)
    assert found, f"no 'Test accuracy' line in:\n{stdout[-3000:]}"
    return float(found[-1])


def record(name: str, column: str, value) -> None:
    """Figures for the closing note's table (TUTOR_MATRIX_FIGURES=file.jsonl)."""
    if FIGURES:
        with FIGURES.open("a") as handle:
            handle.write(json.dumps({"framework": name, column: value}) + "\n")


@pytest.mark.parametrize("name", list(MATRIX))
def test_framework_matrix(name, tmp_path):
    python, env = framework_python(name)
    data = SHARED_DATA / "mnist.npz"

    # 1. the runner, as `tutor submit` writes it into the job, trains task 8.1 for one epoch
    job = tmp_path / "task8.1"
    job.mkdir()
    (job / "model.py").write_text((REPO / "solutions" / "task8.1" / "model.py").read_text())
    (job / "NOTES.md").write_text((REPO / "solutions" / "task8.1" / "NOTES.md").read_text())
    started = time.monotonic()
    trained = run([python, str(RUNNER), "--task", "task8.1", "--data", str(data), "--adapter", "image",
                   "--epochs", "1", "--recipe-epochs", "5", "--batch-size", "100", "--seed", "42",
                   "--labels", "categorical", "--train-subset", TRAIN_IMAGES, "--model", "model.py", "--out", "."],
                  env, job)
    assert trained.returncode == 0, trained.stderr[-3000:]
    runner_accuracy = printed_accuracy(trained.stdout)
    record(name, "runner_s", round(time.monotonic() - started, 1))
    record(name, "runner_accuracy", runner_accuracy)
    (job / "slurm.out").write_text(trained.stdout)
    (job / "slurm.err").write_text(trained.stderr)
    train_record = json.loads((job / "train.json").read_text())

    # `tutor logs` reads this framework's output: one epoch, the versions, the printed accuracy
    from grader.logs import parse_training_log

    log = parse_training_log(trained.stdout, trained.stderr)
    assert len(log.epochs) == 1 and log.epochs[0].accuracy is not None, log
    assert log.test_accuracy == runner_accuracy
    shown = run_tutor("logs", "--file", str(job / "slurm.out"))
    assert shown.returncode == 0 and "epoch 1/1" in shown.stdout, shown.stdout[-2000:]

    # 2. tutor grades the artifact: the published parameter count, the accuracy the runner printed
    graded = run_tutor("grade", "task8.1", "--path", str(job), "--json")
    report = json.loads(graded.stdout)
    assert report["checks"][0]["id"] == "model-loads" and report["checks"][0]["status"] == "passed", report["checks"][0]
    assert report["model"]["total_params"] == BASELINE_PARAMS
    assert abs(report["accuracy"] - runner_accuracy) <= 0.001, (report["accuracy"], runner_accuracy)
    assert report["meta"]["train"]["keras"] == train_record["keras"]
    record(name, "artifact", report["meta"]["artifact"]["format"])
    record(name, "graded_accuracy", report["accuracy"])
    record(name, "trained_with", f"TF {train_record['tensorflow']} / Keras {train_record['keras']}")

    # 3. a book-style MNIST.py runs to its "Test accuracy" line, and passes tutor check task8.2
    script = tmp_path / "task8.2"
    script.mkdir()
    (script / "MNIST.py").write_text(PORTABLE_MNIST.read_text())
    ran = run([python, "MNIST.py", str(data), "1", TRAIN_IMAGES], env, script)
    assert ran.returncode == 0, ran.stderr[-3000:]
    script_accuracy = printed_accuracy(ran.stdout)
    assert 0.0 <= script_accuracy <= 1.0  # one SGD epoch on 1,000 images: it ran, not how well
    record(name, "script_accuracy", script_accuracy)
    assert run_tutor("check", "task8.2", "--path", str(script)).returncode == 0

    # 4. a Lambda saved by this framework is refused, and its code never runs (the marker)
    marker = tmp_path / "lambda-ran"
    saved = run([python, "-c", LAMBDA_MODEL, str(marker), str(tmp_path / "lambda.keras")], env, tmp_path)
    assert saved.returncode == 0, saved.stderr[-3000:]
    marker.unlink(missing_ok=True)  # building the model called the lambda once, in the framework
    evaluator = tmp_path / "evaluator"
    (evaluator / "in").mkdir(parents=True)
    from grader.intake import Artifact

    staged = Artifact.at(tmp_path / "lambda.keras").copy_to(evaluator / "in", tmp_path)
    opened = run([sys.executable, "-c", OPEN_UNSANDBOXED, str(evaluator), staged.name],
                 {**os.environ, "PYTHONPATH": str(REPO)}, tmp_path)
    assert "REFUSED lambda.keras contains a Lambda layer" in opened.stdout, opened.stdout + opened.stderr[-2000:]
    assert not marker.exists(), "the Lambda's code ran while the artifact was opened"
    lam = tmp_path / "task8.1-lambda"
    lam.mkdir()
    (lam / "model.keras").write_bytes((tmp_path / "lambda.keras").read_bytes())
    refused = run_tutor("grade", "task8.1", "--path", str(lam), "--json")
    reason = json.loads(refused.stdout)["checks"][0]["message"]
    assert refused.returncode == 1 and "Lambda layer" in reason and not marker.exists(), reason
    record(name, "lambda", staged.name)


FAKE_SINGULARITY = """#!/bin/sh
# Stands in for singularity (not installable here): `singularity exec [--nv] IMAGE python ARGS`
# runs ARGS with the real Python of the framework environment named in FAKE_IMAGE_PYTHON.
shift; [ "$1" = "--nv" ] && shift; shift; shift
exec "$FAKE_IMAGE_PYTHON" "$@"
"""


def test_doctor_probes_the_image_and_names_what_the_profile_gets_wrong(tmp_path):
    python, _env = framework_python("tf2.11")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "singularity").write_text(FAKE_SINGULARITY)
    (bin_dir / "singularity").chmod(0o755)
    image = tmp_path / "MN5-NGC-TensorFlow-23.03.sif"
    image.write_text("an image")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "mn5.toml").write_text(f'extends = "mn5"\naccount = "g1"\ncontainer = "{image}"\n')
    (tmp_path / "tutor.toml").write_text(f'profile = "mn5"\nprofiles_dir = "{tmp_path / "profiles"}"\n')
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_IMAGE_PYTHON": python,
           "TUTOR_CONFIG": str(tmp_path / "tutor.toml")}

    def framework_findings():
        result = run_tutor("doctor", "--no-tf", "--json", env=env, timeout=900)
        return [f for f in json.loads(result.stdout) if f["area"] == "framework"]

    found = framework_findings()
    # The image really is TensorFlow 2.11.0 / Keras 2.11.0; only its Python (3.10 here, 3.8 in
    # the NGC image) differs from what mn5 declares.
    assert [f["level"] for f in found] == ["warn"], found
    assert "profile mn5 says python 3.8 but MN5-NGC-TensorFlow-23.03.sif has 3.10" in found[0]["message"]
    (bin_dir / "singularity").write_text("#!/bin/sh\nexit 99\n")  # probed once: the answer is cached
    assert framework_findings() == found
