"""hpc against a REAL single-node SLURM (tests/slurm_cluster.py): a training job that writes
model.keras, a failing script, a cancel (followed with `tutor logs --follow`), a job array with
one failing task, every sbatch rejection, polite polling, the scontrol fallback, and one
TIMEOUT (its job is submitted first and checked last, so its minute overlaps the others)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from exercises import load_catalog
from hpc.errors import Rejected
from hpc.profiles import load_profile
from hpc.scaleout import ArrayJob, collect, submit_array, wait_array
from hpc.slurm import FINAL_STATES, Slurm
from hpc.store import JobStore
from hpc.submit import prepare, submit
from hpc.track import Tracker
from tests.conftest import REPO, run_tutor
from tutor.state import atomic

pytestmark = pytest.mark.slurm
VENV_BIN = str(Path(sys.executable).parent)

MINI_PACK = """id = "mini"
title = "hpc test pack"
order = 90
[chapters]
1 = "Tests"
"""
MINI_TASK = """id = "mini1.1"
title = "A tiny CNN trained as a GPU job"
chapter = 1
order = 1
kind = "model"
summary = "A small CNN on 5,000 images for two epochs (hpc tests)."
needs_gpu = true
files = ["model.py"]
artifacts = ["model.keras", "train.json"]
hints = ["one", "two", "three"]

[dataset]
name = "mnist"
adapter = "image"
train_subset = 5000
eval_subset = 2000

[recipe]
epochs = 2
batch_size = 100
seed = 7
validation_split = 0.1
labels = "categorical"

[resources]
job_name = "mini"
cpus_per_task = 2
gpus = 1
time = "00:10:00"
max_time = "00:30:00"

[[checks]]
id = "accuracy"
kind = "min_accuracy"
min = 0.5
"""


MINI_MODEL = """import keras
from keras import layers


def build_model():
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
"""


@pytest.fixture(scope="module")
def mini_pack(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("packs") / "mini"
    task = root / "mini1.1"
    (task / "starter").mkdir(parents=True)
    (root / "pack.toml").write_text(MINI_PACK)
    (task / "exercise.toml").write_text(MINI_TASK)
    (task / "README.md").write_text("# mini1.1\n\nTrain the baseline as a job.\n")
    (task / "starter" / "model.py").write_text(MINI_MODEL)
    return root


def job_env(cluster) -> dict[str, str]:
    """What a student's shell has on the test cluster; sbatch hands it to the job, so the
    local profile's `python3` is this virtualenv's (standing in for the container's)."""
    return {
        **cluster.env,
        "PATH": VENV_BIN + os.pathsep + os.environ["PATH"],
        "OMP_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
    }


def configure(home: Path, **fields) -> None:
    lines = [f"{k} = {json.dumps(v)}" for k, v in fields.items()]  # JSON strings/lists are TOML too
    (home / "tutor.toml").write_text("\n".join(lines) + "\n")


def submitted_id(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"as job (\d+)", proc.stdout)
    assert match, proc.stdout
    return match[1]


def wait_row(job_id: str, env: dict, states=FINAL_STATES, timeout: float = 180) -> dict:
    """Poll `tutor jobs --json` (each call: one squeue, sacct only for jobs that left it)."""
    deadline = time.monotonic() + timeout
    while True:
        proc = run_tutor("jobs", "--json", env=env)
        assert proc.returncode == 0, proc.stderr
        row = next(r for r in json.loads(proc.stdout) if r["job_id"] == job_id)
        if row["state"] in states or time.monotonic() > deadline:
            return row
        time.sleep(1)


def write_mnist_py(home: Path, body: str) -> Path:
    assert run_tutor("start", "task8.4").returncode == 0
    workspace = home / "work" / "task8.4"
    (workspace / "MNIST.py").write_text(body)
    return workspace


# ----------------------------------------------------------------------------- the TIMEOUT job


@pytest.fixture(scope="module")
def timeout_job(slurm_cluster, tmp_path_factory):
    """Submitted at the start of the module, checked by the last test: a job whose one-minute
    limit runs out (SLURM checks limits every ~30 s, so this takes 60-100 s)."""
    home = tmp_path_factory.mktemp("timeout-home")
    task = load_catalog().get("task8.4")
    spec = task.spec.model_copy(update={"resources": task.spec.resources.model_copy(
        update={"time": "00:01:00", "cpus_per_task": 1, "gpus": 0, "job_name": "sleepy"})})
    workspace = home / "work"
    workspace.mkdir()
    (workspace / "MNIST.py").write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(600)\n")
    store = JobStore(home / "state" / "jobs.json", atomic)
    prepared = prepare(spec, workspace, load_profile("local"), starter=task.starter)
    record = submit(prepared, load_profile("local"), Slurm(slurm_cluster.env), store)
    return home, store, record


# ----------------------------------------------------------------------------- tests


def test_training_job_writes_model_keras_and_train_json(slurm_cluster, timeout_job, mini_pack, isolated_home):
    from grader.training import TrainRecord

    env = job_env(slurm_cluster)
    configure(isolated_home, exercise_dirs=[str(mini_pack)], profile="local")
    assert run_tutor("start", "mini1.1").returncode == 0
    job_id = submitted_id(run_tutor("submit", "mini1.1", env=env))
    row = wait_row(job_id, env, timeout=240)
    workspace = isolated_home / "work" / "mini1.1"
    assert row["state"] == "COMPLETED", (Path(row["stderr"]).read_text()[-3000:])
    assert row["exit_code"] == "0:0" and row["node"] == "localhost"
    assert (workspace / "model.keras").stat().st_size > 10_000
    record = TrainRecord.model_validate_json((workspace / "train.json").read_text())
    assert (record.epochs, record.batch_size, record.seed, record.train_size) == (2, 100, 7, 5000)
    assert len(record.epoch_times_s) == 2 and len(record.history["val_accuracy"]) == 2
    assert record.tensorflow.count(".") == 2 and record.device.startswith("CPU")
    assert (workspace / "tutor_runner.py").is_file() and (workspace / "job.slurm").is_file()

    logs = run_tutor("logs", job_id, env=env)
    assert logs.returncode == 0, logs.stderr
    summary = logs.stdout.split("── summary", 1)[1]
    assert re.search(r"TensorFlow \d+\.\d+\.\d+", summary)
    assert re.search(r"epoch 1/2, [\d.]+ s, loss [\d.]+, accuracy [\d.]+", summary)
    assert re.search(r"test accuracy: 0\.[7-9]\d*", summary)
    raw = run_tutor("logs", job_id, "--raw", env=env).stdout
    if "oneDNN custom operations" in raw:  # TensorFlow's start-up noise is shown raw only
        assert "oneDNN custom operations" not in logs.stdout

    # ... so that `tutor grade` follows on the login node, from the job's artifact.
    graded = run_tutor("grade", "mini1.1", "--json", env=env)
    report = json.loads(graded.stdout)
    assert graded.returncode == 0 and report["status"] == "passed", graded.stderr
    assert report["accuracy"] >= 0.7


def test_failing_script_shows_state_exit_code_and_error_tail(slurm_cluster, isolated_home):
    env = job_env(slurm_cluster)
    write_mnist_py(isolated_home, "import sys\nprint('loading data', flush=True)\n"
                   "sys.stderr.write('ValueError: /gpfs/mnist.npz not found\\n')\nsys.exit(3)\n")
    job_id = submitted_id(run_tutor("submit", "task8.4", env=env))
    row = wait_row(job_id, env, timeout=60)
    assert (row["state"], row["exit_code"]) == ("FAILED", "3:0")
    shown = run_tutor("jobs", env=env).stdout
    assert f"job {job_id} (task8.4) ended FAILED, exit code 3:0" in shown
    assert "ValueError: /gpfs/mnist.npz not found" in shown
    assert Path(row["stdout"]).name == f"MNIST.{job_id}.out"


def test_cancel_a_running_job_while_following_its_log(slurm_cluster, isolated_home):
    env = job_env(slurm_cluster)
    write_mnist_py(isolated_home, "import time\nprint('epoch loop starts', flush=True)\ntime.sleep(300)\n")
    job_id = submitted_id(run_tutor("submit", "task8.4", env=env))
    assert wait_row(job_id, env, states={"RUNNING"}, timeout=60)["state"] == "RUNNING"

    # Polite polling: one squeue per refresh, no sacct while the job is queued, back-off.
    slurm = Slurm(slurm_cluster.env)
    pauses: list[float] = []

    class Enough(Exception):
        pass

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 4:
            raise Enough

    with pytest.raises(Enough):
        Tracker(slurm, min_interval=2.0, factor=1.5, sleep=sleep).wait([job_id])
    assert pauses == [2.0, 3.0, 4.5, 6.75]
    assert [c[0] for c in slurm.calls] == ["squeue"] * 4

    follower = subprocess.Popen(
        [str(Path(VENV_BIN) / "tutor"), "logs", job_id, "--follow"], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(2)
        cancel = run_tutor("cancel", job_id, env=env)
        assert cancel.returncode == 0 and f"Cancelled job {job_id}" in cancel.stdout
        out, _ = follower.communicate(timeout=90)
    finally:
        follower.kill()
        follower.wait()
    assert "epoch loop starts" in out and f"job {job_id} ended CANCELLED" in out
    assert wait_row(job_id, env, timeout=30)["state"] == "CANCELLED"


def test_job_array_with_one_failing_task(slurm_cluster, tmp_path):
    slurm = Slurm(job_env(slurm_cluster))
    items = [{"student": name} for name in ("ada", "bob", "cy", "dee")]
    worker = (
        "from hpc.scaleout import work_item, write_result; import sys; item = work_item()\n"
        "if item['student'] == 'cy':\n    print('cannot grade cy', file=sys.stderr); sys.exit(5)\n"
        "write_result({'student': item['student'], 'score': len(item['student'])})\n"
    )
    (tmp_path / "worker.py").write_text(worker)
    command = f"cd {REPO} && python3 {tmp_path / 'worker.py'}"
    job = submit_array(items, command, tmp_path / "array", load_profile("local"), slurm, limit=2)
    assert "#SBATCH --array=0-3%2" in (tmp_path / "array" / "array.slurm").read_text()
    infos = wait_array(job, Tracker(slurm, min_interval=0.5, max_interval=2), timeout=120)
    results = collect(job, infos)
    assert [r.state for r in results] == ["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]
    assert [r.result["score"] for r in results if r.ok] == [3, 3, 3]
    assert results[2].exit_code == "5:0" and "cannot grade cy" in results[2].error
    assert ArrayJob.load(tmp_path / "array") == job  # another process can pick the array up

    # Once they left the queue: one squeue and ONE batched sacct for all four tasks.
    for _ in range(20):  # sacct has a finished job 0.2-5 s after it leaves the queue
        polite = Slurm(slurm_cluster.env)
        again = Tracker(polite).refresh(job.task_ids())
        if "scontrol" not in [c[0] for c in polite.calls]:
            break
        time.sleep(0.5)
    assert [c[0] for c in polite.calls] == ["squeue", "sacct"] and len(again) == 4

    # Without accounting (sacct says so) the tracker falls back to one `scontrol show job`.
    noacct = slurm_cluster.conf.with_name("client-noacct.conf")
    noacct.write_text(re.sub(r"AccountingStorageType=\S+", "AccountingStorageType=accounting_storage/none",
                             slurm_cluster.conf.read_text()))
    plain = Slurm({"SLURM_CONF": str(noacct)})
    fallback = Tracker(plain).refresh(job.task_ids())
    assert [c[0] for c in plain.calls] == ["squeue", "sacct", "scontrol"]
    assert {k: v.state for k, v in fallback.items()} == {k: v.state for k, v in infos.items()}
    assert fallback[f"{job.job_id}_2"].exit_code == "5:0"


REJECTIONS = [
    ({"account": "ehpc99"}, {}, None, "does not know account 'ehpc99'"),
    ({"qos": "acc_nope"}, {}, None, "does not know QOS 'acc_nope'"),
    ({"partition": "nope"}, {}, None, "no partition 'nope'"),
    ({"cpus_per_task": 500}, {}, None, "more CPUs per task (500) than a node has"),
    ({}, {"gpus": 8}, None, "no node has what the job asks for"),
    ({"max_time": None}, {"max_time": "04:00:00"}, "03:00:00", "over the wall-time limit of QOS 'acc_debug'"),
    ({"mem": "100G"}, {}, None, "memory '100G' cannot be satisfied"),
]


@pytest.mark.parametrize("profile_change,resource_change,time_limit,reason", REJECTIONS,
                         ids=["account", "qos", "partition", "cpus", "gpus", "qos-walltime", "memory"])
def test_each_rejection_names_slurms_reason_and_the_fix(slurm_cluster, tmp_path, profile_change,
                                                          resource_change, time_limit, reason):
    task = load_catalog().get("task8.4")
    spec = task.spec.model_copy(update={"resources": task.spec.resources.model_copy(update=resource_change)})
    profile = load_profile("local").model_copy(update=profile_change)
    store = JobStore(tmp_path / "jobs.json", atomic)
    (tmp_path / "MNIST.py").write_text("print('never runs')\n")
    prepared = prepare(spec, tmp_path, profile, time=time_limit, starter=task.starter)
    with pytest.raises(Rejected) as info:
        submit(prepared, profile, Slurm(slurm_cluster.env), store)
    message = str(info.value)
    assert reason in message and "SLURM refused the job" in message and "\n" not in message
    assert info.value.fix and store.jobs() == []


def test_rejection_through_the_cli_is_one_line(slurm_cluster, isolated_home, tmp_path):
    (tmp_path / "wrong.toml").write_text('extends = "local"\naccount = "ehpc99"\n')
    configure(isolated_home, profiles_dir=str(tmp_path))
    write_mnist_py(isolated_home, "print('never runs')\n")
    proc = run_tutor("submit", "task8.4", "--profile", "wrong", env=job_env(slurm_cluster))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert "SLURM refused the job: SLURM does not know account 'ehpc99'" in proc.stderr
    assert "sacctmgr show assoc" in proc.stderr


def test_timeout_is_reported_with_the_time_limit_message(slurm_cluster, timeout_job):
    home, store, record = timeout_job
    infos = Tracker(Slurm(slurm_cluster.env), min_interval=2, max_interval=5).wait([record.job_id], timeout=180)
    assert infos[record.job_id].state == "TIMEOUT"
    shown = run_tutor("jobs", env={**slurm_cluster.env, "TUTOR_HOME": str(home / "state")})
    assert f"job {record.job_id} (task8.4) ended TIMEOUT" in shown.stdout
    assert "DUE TO TIME LIMIT" in shown.stdout


def test_doctor_asks_slurm_about_the_profile(slurm_cluster, isolated_home, tmp_path, monkeypatch):
    from tutor.cluster_probe import cluster_findings

    for key, value in slurm_cluster.env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "wrong.toml").write_text('extends = "local"\nqos = "acc_nope"\n')
    configure(isolated_home, profiles_dir=str(tmp_path))
    good = cluster_findings()
    assert good[-1].level == "ok" and "would take a job of profile 'local'" in good[-1].message
    assert "to start at" in good[-1].message  # SLURM's own --test-only answer
    monkeypatch.setenv("TUTOR_PROFILE", "wrong")
    bad = cluster_findings()
    assert bad[-1].level == "error" and "QOS 'acc_nope'" in bad[-1].message
    queued = slurm_cluster.run("squeue", "--noheader", "--name=tutor-probe").stdout
    assert queued.strip() == ""  # --test-only queues nothing


def test_submitting_without_the_script_the_job_runs_is_refused(slurm_cluster, isolated_home):
    assert run_tutor("start", "task8.4").returncode == 0  # the starter has no MNIST.py (task 8.2 writes it)
    proc = run_tutor("submit", "task8.4", env=job_env(slurm_cluster))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert "runs MNIST.py, which is not in" in proc.stderr and "put MNIST.py there first" in proc.stderr
    assert json.loads(run_tutor("jobs", "--json", env=job_env(slurm_cluster)).stdout) == []


def test_pending_job_shows_its_reason_and_can_be_cancelled(slurm_cluster, isolated_home, tmp_path):
    from hpc.jobrow import JobRow, now

    (tmp_path / "held.slurm").write_text("#!/bin/bash\n#SBATCH --job-name=held\nsleep 60\n")
    job_id = Slurm(slurm_cluster.env).sbatch(tmp_path / "held.slurm", cwd=tmp_path, args=["--hold"])
    JobStore(isolated_home / "state" / "jobs.json", atomic).add(JobRow(
        job_id=job_id, task="task8.4", workspace=tmp_path, script="held.slurm", profile="local",
        job_name="held", submitted_at=now()))
    env = job_env(slurm_cluster)
    row = wait_row(job_id, env, states={"PENDING"}, timeout=30)
    assert (row["state"], row["reason"]) == ("PENDING", "JobHeldUser")
    assert re.search(rf"{job_id}\s+task8.4\s+PENDING\s+.*JobHeldUser", run_tutor("jobs", env=env).stdout)
    assert run_tutor("cancel", job_id, env=env).returncode == 0
    row = wait_row(job_id, env, timeout=30)
    assert row["state"] == "CANCELLED" and row["reason"] is None


def test_task84_end_to_end_then_graded_from_its_logs(slurm_cluster, isolated_home):
    """The book's task 8.4 as a student does it: MNIST.py (the reference solution, on a short
    recipe), `tutor submit`, then `tutor grade` reads MNIST.slurm and the job's two logs."""
    env = {**job_env(slurm_cluster), "MNIST_NPZ": os.environ["TUTOR_DATA_DIR"] + "/mnist.npz",
           "MNIST_EPOCHS": "2", "MNIST_TRAIN_SUBSET": "6000", "MNIST_VERBOSE": "1"}
    workspace = write_mnist_py(isolated_home, (REPO / "solutions/task8.4/MNIST.py").read_text())
    job_id = submitted_id(run_tutor("submit", "task8.4", env=env))
    row = wait_row(job_id, env, timeout=240)
    assert row["state"] == "COMPLETED", Path(row["stderr"]).read_text()[-2000:]
    assert (workspace / f"MNIST.{job_id}.out").is_file() and (workspace / f"MNIST.{job_id}.err").is_file()
    summary = run_tutor("logs", job_id, env=env).stdout.split("── summary", 1)[1]
    assert re.search(r"epoch 2/2, [\d.]+ s, loss [\d.]+, accuracy [\d.]+", summary)  # progress bars parsed
    accuracy = re.search(r"test accuracy: (0\.\d+)", summary)[1]

    graded = run_tutor("grade", "task8.4", "--json", env=env)
    checks = {c["id"]: c for c in json.loads(graded.stdout)["checks"]}
    assert checks["job-script"]["status"] == "passed", checks["job-script"]
    assert checks["job-logs"]["status"] == "passed", checks["job-logs"]
    assert accuracy[:4] in json.dumps(checks["finished"])  # the grader read the same log
    assert checks["used-gpu"]["status"] == "failed"  # the test cluster's GPUs are fake: TF sees none
