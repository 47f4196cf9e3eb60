"""`tutor batch --slurm` on the real test SLURM cluster: a job array of shards with a
concurrency limit grades the class with the same code, and the merge gives a whole gradebook."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from tests import batch_support
from tests.batch_support import trained  # noqa: F401  (session fixture)
from tests.conftest import run_tutor

pytestmark = [pytest.mark.slurm, pytest.mark.tf]
VENV_BIN = str(Path(os.sys.executable).parent)


def test_batch_as_a_job_array_then_merge(slurm_cluster, tmp_path, trained):
    src = tmp_path / "class"
    batch_support.replicate([trained["adam-dense"], trained["baseline"]], src, 5)
    (src / "s001" / "model.keras").write_bytes(b"corrupt")
    out = tmp_path / "out"
    env = {**slurm_cluster.env, "PATH": VENV_BIN + os.pathsep + os.environ["PATH"],
           "OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    result = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--slurm",
                       "--workers", "1", "--array-tasks", "2", "--max-running", "2",
                       env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    job = re.search(r"submitted job array (\d+): 2 task\(s\), at most 2 at once", result.stderr)
    assert job, result.stderr[-2000:]
    script = next((out / ".batch" / "slurm").glob("*/batch.slurm")).read_text()
    assert "#SBATCH --array=0-1%2" in script and "--shard" in script
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert sorted(rows) == [f"s{i:03d}" for i in range(5)]
    assert rows["s000"]["accuracy"] and rows["s001"]["accuracy"] == "" and rows["s001"]["reason"]
    # The corrupt artifact is that student's own failed row (it could not be opened), no one else's.
    assert rows["s001"]["status"] == "error" or "model-loads" in rows["s001"]["failed_checks"]
    assert all(rows[s]["status"] != "error" for s in rows if s != "s001")
    # Each array task graded its own share into the shared store, once.
    events = [json.loads(line) for line in (out / ".batch" / "events.jsonl").read_text().splitlines()]
    assert sorted(e["student"] for e in events) == sorted(rows)
    assert len({e["pid"] for e in events}) == 2
    # Each student's feedback file is written by the merge, whichever array task graded them.
    assert sorted(p.stem for p in (out / "feedback").glob("*.txt")) == sorted(rows)

    again = run_tutor("batch", str(src), "--task", "task8.1", "--out", str(out), "--slurm",
                      env=env, timeout=300)
    assert again.returncode == 0 and "unchanged since the last run: 5" in again.stdout
    assert "submitted job array" not in again.stderr
