"""hpc without a cluster: profiles, golden job scripts, validation, rejection wording, the job
store under corruption and concurrent processes, the runner's resize, `tutor submit --dry-run`,
`tutor logs --file`, and "not on a SLURM cluster"."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from exercises import load_catalog
from hpc.errors import HpcError, ProfileError
from hpc.jobrow import JobRow, expand_pattern, now
from hpc.profiles import ClusterProfile, load_profile
from hpc.rejections import explain
from hpc.render import plan, unedited, validate
from hpc.store import JobStore
from hpc.submit import RUNNER_NAME, RUNNER_TEMPLATE, prepare
from tests.conftest import IN_CI, run_tutor
from tutor.state import atomic

GOLDEN = Path(__file__).parent / "golden" / "hpc"
DATA = Path("/gpfs/scratch/ehpc00/datasets/mnist.npz")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


# ----------------------------------------------------------------------------- profiles


def test_shipped_profiles_load_and_mn5_is_the_books_setup():
    mn5 = load_profile("mn5")
    assert (mn5.account, mn5.qos, mn5.cpus_per_task) == ("<group>", "acc_debug", 20)
    assert mn5.modules == ["singularity"] and mn5.purge_modules
    assert mn5.run_prefix == "singularity exec --nv /gpfs/scratch/<group>/MN5-NGC-TensorFlow-23.03.sif python"
    assert load_profile("local").launcher == "python3"


def test_mn5_placeholder_is_a_clear_error_before_submitting():
    with pytest.raises(ProfileError) as info:
        load_profile("mn5").require_filled()
    assert "<group>" in str(info.value) and "account" in str(info.value)
    assert "\n" not in str(info.value)


def test_site_profile_extends_a_shipped_one(tmp_path):
    (tmp_path / "mn5.toml").write_text('extends = "mn5"\naccount = "ehpc42"\ncontainer = "/gpfs/x/tf.sif"\n')
    (tmp_path / "big.toml").write_text('extends = "mn5"\naccount = "ehpc42"\ncontainer = "/c.sif"\nmem = "64G"\n')
    mine = load_profile("mn5", tmp_path)
    assert (mine.account, mine.qos) == ("ehpc42", "acc_debug")
    mine.require_filled()
    assert load_profile("big", tmp_path).mem == "64G"


def test_unknown_or_broken_profile_names_the_choices_and_the_field(tmp_path):
    with pytest.raises(ProfileError, match="choose one of: local, mn5"):
        load_profile("nope")
    (tmp_path / "bad.toml").write_text('gpu_request = "--gres gpu:1"\n')
    with pytest.raises(ProfileError, match=r"bad.toml:1: field 'gpu_request': .*\{gpus\}"):
        load_profile("bad", tmp_path)


# ----------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("task,profile", [("task8.4", "mn5"), ("task8.4", "local"), ("task8.1", "mn5"),
                                          ("task8.1", "local")])
def test_rendered_scripts_match_golden_files(catalog, tmp_path, task, profile):
    item = catalog.get(task)
    prepared = prepare(item.spec, tmp_path, load_profile(profile), DATA, starter=item.starter)
    golden = GOLDEN / f"{task}.{profile}.slurm"
    if os.environ.get("UPDATE_GOLDEN") and not IN_CI and (
            not golden.exists() or golden.read_text() != prepared.rendered):
        golden.write_text(prepared.rendered)  # never a pass: the new file is for a human to review
        pytest.fail(f"rewrote {golden.name}: review `git diff tests/golden`, commit it, rerun without UPDATE_GOLDEN")
    assert prepared.rendered == golden.read_text()
    again = prepare(item.spec, tmp_path, load_profile(profile), DATA, starter=item.starter)
    assert again.rendered == prepared.rendered  # deterministic
    assert unedited(prepared.rendered)


def test_task84_on_mn5_is_the_books_mnist_slurm(catalog, tmp_path):
    from grader.checks.job_script import gpus_requested, parse_job_script, runs_script

    text = prepare(catalog.get("task8.4").spec, tmp_path, load_profile("mn5")).rendered
    for line in ["#SBATCH --chdir .", "#SBATCH --job-name=MNIST", "#SBATCH --output=%x.%j.out",
                 "#SBATCH --error=%x.%j.err", "#SBATCH --nodes 1", "#SBATCH --ntasks-per-node 1",
                 "#SBATCH --cpus-per-task 20", "#SBATCH --time 00:15:00", "#SBATCH --account <group>",
                 "#SBATCH --qos acc_debug", "#SBATCH --gres gpu:1", "module purge", "module load singularity"]:
        assert line in text.splitlines()
    assert text.rstrip().endswith("python MNIST.py")
    script = parse_job_script(text)  # the grader's job-script check reads it as the student's
    assert not script.ignored and gpus_requested(script) == 1 and runs_script(script, "MNIST.py")


def test_model_task_gets_the_runner_and_the_recipe(catalog, tmp_path):
    prepared = prepare(catalog.get("task8.5").spec, tmp_path, load_profile("local"), Path("/d/mnist.npz"),
                       keras_home=Path("/d"))
    assert set(prepared.files) == {"job.slurm", RUNNER_NAME}
    command = prepared.rendered.splitlines()[-1]
    assert command.startswith("python3 tutor_runner.py --task task8.5 --data /d/mnist.npz --adapter rgb96")
    assert "--epochs 2 --batch-size 64 --seed 42 --labels sparse --eval-subset 1000 --keras-home /d" in command
    assert "import tutor" not in prepared.files[RUNNER_NAME] and "from tutor" not in prepared.files[RUNNER_NAME]


def test_validation_refuses_before_sbatch(catalog):
    spec84 = catalog.get("task8.4").spec
    local = load_profile("local")
    job = plan("task8.4", spec84.resources, local, ["MNIST.py"], time="01:00:00")
    with pytest.raises(HpcError, match="more than task8.4 allows \\(00:30:00\\)"):
        validate(job, spec84.resources, local)
    small = ClusterProfile(name="small", max_cpus_per_task=8, max_gpus=0)
    job = plan("task8.4", spec84.resources, small, ["MNIST.py"])
    with pytest.raises(HpcError, match="20 CPUs per task is more than a node"):
        validate(job, spec84.resources, small)
    with pytest.raises(HpcError, match="not a SLURM time"):
        validate(plan("task8.4", spec84.resources, local, ["MNIST.py"], time="15m"), spec84.resources, local)


def test_students_own_script_is_kept_not_overwritten(catalog, tmp_path):
    item = catalog.get("task8.4")
    (tmp_path / "MNIST.slurm").write_text("#!/bin/bash\n#SBATCH --job-name=mine\npython MNIST.py\n")
    prepared = prepare(item.spec, tmp_path, load_profile("local"), starter=item.starter)
    assert prepared.own_script and "MNIST.slurm" not in prepared.files
    (tmp_path / "MNIST.slurm").write_text((item.starter / "MNIST.slurm").read_text())
    assert not prepare(item.spec, tmp_path, load_profile("local"), starter=item.starter).own_script
    # tutor's own earlier rendering (another --time) is replaced, not mistaken for the student's
    (tmp_path / "MNIST.slurm").write_text(prepare(item.spec, tmp_path, load_profile("mn5")).rendered)
    assert not prepare(item.spec, tmp_path, load_profile("local"), starter=item.starter).own_script


# ----------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    "stderr,reason,fix",
    [
        ("sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified",
         "does not know account 'ehpc99'", "sacctmgr show assoc"),
        ("sbatch: error: Batch job submission failed: Invalid qos specification", "QOS 'acc_debug'", "qos"),
        ("sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: "
         "Invalid partition name specified", "no partition 'nope'", "sinfo -s"),
        ("sbatch: error: QOSMaxWallDurationPerJobLimit\nsbatch: error: Batch job submission failed: Job violates "
         "accounting/QOS policy (job submit limit, user's size and/or time limits)", "over the wall-time limit",
         "--time"),
    ],
)
def test_rejection_wording(stderr, reason, fix):
    error = explain(stderr, account="ehpc99", qos="acc_debug", partition="nope", time="03:00:00")
    assert reason in error.reason and fix in error.fix
    assert "\n" not in str(error)


# ----------------------------------------------------------------------------- job store


def _record(job_id: str, task: str = "task8.4") -> JobRow:
    return JobRow(job_id=job_id, task=task, workspace=Path("/w"), script="MNIST.slurm", profile="local",
                     job_name="MNIST", submitted_at=now())


def test_log_paths_follow_slurm_patterns():
    assert expand_pattern("%x.%j.out", "MNIST", "42") == "MNIST.42.out"
    assert expand_pattern("%x.%A_%a.err", "batch", "42_3") == "batch.42_3.err"
    assert _record("7").stderr == Path("/w/MNIST.7.err")


def test_corrupt_store_is_moved_aside_and_tutor_jobs_still_works(isolated_home):
    state = isolated_home / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "jobs.json").write_text('{"version": 1, "jobs": [{"job_id": ')
    proc = run_tutor("jobs")
    assert proc.returncode == 0, proc.stderr
    assert "is not valid JSON" in proc.stderr and proc.stderr.count("\n") == 1 and "No jobs yet" in proc.stdout
    kept = list(state.glob("jobs.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith('{"version"')
    store = JobStore(state / "jobs.json", atomic)
    store.add(_record("1"))
    assert [r.job_id for r in store.jobs()] == ["1"]


def _add_many(path: str, worker: int, n: int) -> None:
    store = JobStore(Path(path), atomic)
    for i in range(n):
        store.add(_record(f"{worker}{i:03d}"))


def test_concurrent_processes_lose_no_job(tmp_path):
    path = tmp_path / "jobs.json"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(str(path), w, 15)) for w in range(1, 5)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    data = json.loads(path.read_text())
    assert len({j["job_id"] for j in data["jobs"]}) == 60


# ----------------------------------------------------------------------------- runner


RESIZE_PARITY = """
import importlib.util, sys
import numpy as np
from grader.data.adapters import adapt
spec = importlib.util.spec_from_file_location("runner", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
with np.load(sys.argv[2]) as data:
    x = data["x_test"][:16]
ours, theirs = runner.adapt(x, "rgb96"), adapt(x, "rgb96")
print(ours.shape == theirs.shape == (16, 96, 96, 3), float(np.abs(ours - theirs).max()))
"""


@pytest.mark.tf
def test_runner_resize_matches_the_grader_adapter(shared_data):
    """The runner's numpy resize (no TensorFlow needed) equals the grader's tf.image one.
    In a child process: the test process itself never runs a TensorFlow op."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", RESIZE_PARITY, str(RUNNER_TEMPLATE),
                           str(shared_data / "mnist.npz")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    same_shape, difference = proc.stdout.split()
    assert same_shape == "True" and float(difference) < 1e-4


# ----------------------------------------------------------------------------- CLI


def test_dry_run_prints_the_script_and_submits_nothing(isolated_home):
    proc = run_tutor("submit", "task8.4", "--profile", "mn5", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (GOLDEN / "task8.4.mn5.slurm").read_text()
    assert not (isolated_home / "state" / "jobs.json").exists()


def test_submit_with_the_placeholder_is_one_line(isolated_home):
    run_tutor("start", "task8.4")
    proc = run_tutor("submit", "task8.4", "--profile", "mn5")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "<group>" in proc.stderr and "Traceback" not in proc.stderr


def test_no_sbatch_means_not_on_a_slurm_cluster(isolated_home, tmp_path):
    run_tutor("start", "task8.4")
    proc = run_tutor("submit", "task8.4", env={"PATH": str(tmp_path)})
    assert proc.returncode == 2
    assert "not on a SLURM cluster" in proc.stderr and "--dry-run" in proc.stderr


def test_logs_file_summarises_a_saved_pair(tmp_path):
    (tmp_path / "run.out").write_text(
        "TensorFlow 2.21.0\nEpoch 1/2\n600/600 - 12s - 20ms/step - accuracy: 0.9012 - loss: 0.3300\n"
        "Epoch 2/2\n600/600 - 11s - 18ms/step - accuracy: 0.9701 - loss: 0.1000\nTest accuracy: 0.9755\n"
    )
    (tmp_path / "run.err").write_text(
        "I0000 00:00:1795320496.261526    9459 port.cc:153] oneDNN custom operations are on. You may see "
        "slightly different numerical results due to floating-point round-off errors.\n"
    )
    proc = run_tutor("logs", "--file", str(tmp_path / "run.out"))
    assert proc.returncode == 0, proc.stderr
    assert "oneDNN" not in proc.stdout
    for line in ("TensorFlow 2.21.0", "epoch 1/2, 12.0 s, loss 0.3300, accuracy 0.9012",
                 "epoch 2/2, 11.0 s", "test accuracy: 0.9755", "no GPU seen"):
        assert line in proc.stdout
    raw = run_tutor("logs", "--file", str(tmp_path / "run.err"), "--raw")
    assert "oneDNN" in raw.stdout


def test_logs_and_cancel_of_an_unknown_job_are_one_line():
    for args in (("logs", "4242"), ("cancel", "4242")):
        proc = run_tutor(*args)
        assert proc.returncode == 2 and "no job 4242" in proc.stderr and "tutor jobs" in proc.stderr


def test_doctor_warns_about_the_mn5_placeholder(monkeypatch):
    from tutor.cluster_probe import cluster_findings

    monkeypatch.setenv("TUTOR_PROFILE", "mn5")
    findings = cluster_findings()
    assert findings[0].level == "ok" and "mn5" in findings[0].message
    assert findings[-1].level == "warn" and "<group>" in findings[-1].message and "extends" in findings[-1].fix


@pytest.mark.parametrize("state,code,tail", [
    ("OUT_OF_MEMORY", "0:125", "slurmstepd: error: Detected 1 oom_kill event in StepId=77.batch."),
    ("NODE_FAIL", "0:0", "slurmstepd: error: *** JOB 77 ON gs01r2b05 CANCELLED DUE TO NODE FAILURE ***"),
])
def test_bad_final_states_show_exit_code_and_error_tail(isolated_home, state, code, tail):
    workspace = isolated_home / "work" / "task8.4"
    workspace.mkdir(parents=True)
    (workspace / "MNIST.77.err").write_text("I0000 00:00:1795320496.261526    9459 port.cc:153] oneDNN custom "
                                            "operations are on.\nEpoch 1/5\n" + tail + "\n")
    store = JobStore(isolated_home / "state" / "jobs.json", atomic)
    store.add(_record("77").model_copy(update={"workspace": workspace, "state": state, "exit_code": code}))
    proc = run_tutor("jobs", env={"PATH": str(isolated_home)})  # final: no SLURM call needed
    assert proc.returncode == 0, proc.stderr
    assert f"job 77 (task8.4) ended {state}, exit code {code}; MNIST.77.err ends:" in proc.stdout
    assert tail in proc.stdout and "oneDNN" not in proc.stdout
    assert json.loads(run_tutor("jobs", "--json").stdout)[0]["state"] == state


@pytest.mark.tf
def test_runner_trains_rgb96_streaming_with_sparse_labels(tmp_path, shared_data):
    """The 8.5 path of the runner (outside SLURM): 96x96 RGB batches, sparse labels, evaluation."""
    import subprocess
    import sys

    if not IN_CI:  # in CI a missing TensorFlow fails the test below, never skips it
        pytest.importorskip("tensorflow")
    (tmp_path / "model.py").write_text(
        "import keras\nfrom keras import layers\n\ndef build_model():\n"
        "    m = keras.Sequential([keras.Input((96, 96, 3)), layers.Conv2D(4, 8, strides=8),\n"
        "                          layers.GlobalAveragePooling2D(), layers.Dense(10, activation='softmax')])\n"
        "    m.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    return m\n"
    )
    (tmp_path / RUNNER_NAME).write_text(RUNNER_TEMPLATE.read_text())
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, RUNNER_NAME, "--task", "task8.5", "--data", str(shared_data / "mnist.npz"),
         "--adapter", "rgb96", "--epochs", "2", "--batch-size", "64", "--labels", "sparse",
         "--train-subset", "256", "--eval-subset", "128"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Epoch 2/2" in proc.stdout and "Test accuracy:" in proc.stdout
    record = json.loads((tmp_path / "train.json").read_text())
    assert record["train_size"] == 256 and record["labels"] == "sparse" and len(record["epoch_times_s"]) == 2
    assert (tmp_path / "model.keras").is_file()


def test_store_keeps_open_jobs_and_the_latest_finished_ones(tmp_path, monkeypatch):
    import hpc.store

    monkeypatch.setattr(hpc.store, "KEEP_FINISHED", 3)
    store = JobStore(tmp_path / "jobs.json", atomic)
    store.add(_record("1"))  # still open
    for n in range(2, 8):
        store.add(_record(str(n)).model_copy(update={"state": "COMPLETED"}))
    assert [r.job_id for r in store.jobs()] == ["1", "5", "6", "7"]


def test_own_script_with_the_books_placeholder_is_refused(catalog, tmp_path):
    from hpc.render import check_script

    book = ("#!/bin/bash\n#SBATCH --job-name=MNIST\n#SBATCH --account ehpc00\nmodule load singularity\n"
            "singularity exec /gpfs/scratch/<group>/MN5-NGC-TensorFlow-23.03.sif python MNIST.py < in.txt\n"
            "#SBATCH --gres gpu:1\n")
    problems = check_script(book)
    assert problems == [
        "line 5: 'singularity exec /gpfs/scratch/<group>/MN5-NGC-TensorFlow-23.03.sif python MNIST.py < in.txt' "
        "still has the placeholder <group>",
        "line 6: '#SBATCH --gres gpu:1' comes after a command, so SLURM ignores it",
    ]


def test_hpc_imports_nothing_of_tutor_or_grader():
    import ast

    for path in Path(RUNNER_TEMPLATE).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert not [m for m in names if m.split(".")[0] in ("tutor", "grader")], path


def test_slurm_without_a_controller_is_not_called_a_rejection():
    stderr = ("sbatch: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host\n"
              "sbatch: error: fetch_config: DNS SRV lookup failed\n"
              "sbatch: fatal: Could not establish a configuration source\n")
    error = explain(stderr, account="tutor-class")
    assert str(error).startswith("could not submit: SLURM is installed but its controller does not answer")
    assert "Could not establish a configuration source" in str(error) and "--dry-run" in error.fix


def test_doctor_says_how_to_get_the_profiles_own_runtime(tmp_path):
    """An apptainer site: doctor's advice names apptainer and the profile's module, never
    `module load singularity` (it did for every profile)."""
    import sys

    from tests.conftest import run_tutor

    image = tmp_path / "tf.sif"
    image.write_text("an image")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "site.toml").write_text(
        f'extends = "mn5"\nname = "site"\naccount = "g1"\nmodules = ["apptainer/1.3"]\ncontainer = "{image}"\n'
        'launcher = "apptainer exec --nv {container} python"\n')
    (tmp_path / "tutor.toml").write_text(f'profile = "site"\nprofiles_dir = "{tmp_path / "profiles"}"\n')
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "TUTOR_CONFIG": str(tmp_path / "tutor.toml")}
    done = run_tutor("doctor", "--no-tf", "--json", env=env)
    found = {f["area"]: f for f in json.loads(done.stdout)}
    assert "singularity" not in json.dumps(found["container"]) + json.dumps(found["framework"])
    assert found["container"]["message"] == "apptainer not found (profile site runs its jobs with it)"
    assert found["framework"]["fix"] == found["container"]["fix"].removeprefix("on the cluster: ")
    assert found["framework"]["fix"] == "module load apptainer/1.3 (as profile site's jobs do), then tutor doctor again"
