"""The one job-row model (hpc/jobrow.py): the store reads and writes it and still reads a file
the previous format wrote, `tutor jobs --json` prints it in the documented shape, and a damaged
store gives one line and loses nothing. (The TUI reading it back: tests/test_tui_jobs.py.)"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from grader.logs.terminal import MAX_LOG_BYTES
from hpc.jobrow import JOB_LIST, JobRow, read_job_list
from hpc.slurm import BAD_STATES, FINAL_STATES, job_status
from hpc.store import JobStore
from tests.conftest import REPO, run_tutor
from tutor.services.joblogs import LogTail, error_tail, job_logs
from tutor.state import atomic

V1_STORE = REPO / "tests" / "fixtures" / "jobs" / "jobs-v1.json"  # written by the previous JobStore


@pytest.fixture
def store_path(isolated_home) -> Path:
    path = isolated_home / "state" / "jobs.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def no_slurm(tmp_path) -> dict:
    """An environment without squeue: open jobs keep their last known state (and say so)."""
    empty = tmp_path / "no-slurm-bin"
    empty.mkdir()
    return {"PATH": str(empty)}


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def jobs_json(env: dict) -> tuple[list[dict], str]:
    proc = run_tutor("jobs", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


# ----------------------------------------------------------------------------- the states


def test_every_state_has_one_status():
    assert {job_status(s) for s in FINAL_STATES - BAD_STATES} == {"finished"}
    assert {job_status(s) for s in BAD_STATES} == {"failed"}
    for state in ("PENDING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "CONFIGURING", "UNKNOWN"):
        assert job_status(state) == "active", state  # a state tutor does not know is asked about again
    row = JobRow(job_id=7, task="task8.4", state="cancelled by 0", profile="local", workspace="/w",
                 script="MNIST.slurm", job_name="MNIST", submitted_at="2026-11-30T09:00:00Z")
    assert (row.job_id, row.state, row.status, row.failed, row.active) == ("7", "CANCELLED", "failed", True, False)


# ----------------------------------------------------------------------------- the previous format


def test_a_store_the_previous_format_wrote_still_loads_and_is_rewritten_in_the_new_one(store_path, no_slurm):
    shutil.copy(V1_STORE, store_path)
    rows, stderr = jobs_json(no_slurm)
    assert [(r["job_id"], r["state"], r["status"]) for r in rows] == [
        ("4101", "COMPLETED", "finished"), ("4102", "OUT_OF_MEMORY", "failed"), ("4103", "PENDING", "active")]
    assert rows[0]["stdout"] == "/home/ana/work/task8.4/MNIST.4101.out"
    assert rows[1]["stdout"] == rows[1]["stderr"] == "/home/ana/work/task8.5/slurm-4102.out"  # its own --output
    assert (rows[1]["exit_code"], rows[2]["reason"]) == ("0:125", "Priority")
    assert warnings_of(stderr) == ["warning: not on a SLURM cluster (no squeue here): showing the last known states"]
    assert store_path.read_text() == V1_STORE.read_text()  # reading alone writes nothing

    text = run_tutor("jobs", env=no_slurm).stdout
    assert "job 4102 (task8.5) ended OUT_OF_MEMORY, exit code 0:125; slurm-4102.out ends:" in text

    store = JobStore(store_path, atomic)
    store.add(store.get("4103").model_copy(update={"state": "RUNNING"}))  # any write: version 2
    data = json.loads(store_path.read_text())
    assert data["version"] == 2 and [j["job_id"] for j in data["jobs"]] == ["4101", "4102", "4103"]
    assert data["jobs"][1]["stdout_pattern"] == "slurm-%j.out"
    assert not {"output", "error", "array_size", "status", "stdout", "stderr"} & set(data["jobs"][1])
    assert [r["state"] for r in jobs_json(no_slurm)[0]] == ["COMPLETED", "OUT_OF_MEMORY", "RUNNING"]


# ----------------------------------------------------------------------------- damaged stores


def test_a_hand_edited_store_keeps_every_readable_job_and_says_why_in_one_line(store_path, no_slurm):
    data = json.loads(V1_STORE.read_text())
    data["jobs"][0].update(job_id=4101, state="completed", note="mine")  # readable: a number, lower case
    data["jobs"][1]["submitted_at"] = "yesterday"  # not readable
    store_path.write_text(json.dumps(data, indent=1))
    original = store_path.read_bytes()

    rows, stderr = jobs_json(no_slurm)
    assert [(r["job_id"], r["state"]) for r in rows] == [("4101", "COMPLETED"), ("4103", "PENDING")]
    (line,) = [w for w in warnings_of(stderr) if "job list" in w]
    saved = list(store_path.parent.glob("jobs.json.corrupt-*"))
    assert len(saved) == 1 and saved[0].read_bytes() == original  # nothing lost
    assert re.fullmatch(
        rf"warning: the job list {re.escape(str(store_path))} had 1 unreadable row\(s\) \(row 2, job 4102: "
        rf"submitted_at: .+\); the file as it was is saved at {re.escape(str(saved[0]))}, the other 2 job\(s\) "
        r"are kept", line), line

    rows, stderr = jobs_json(no_slurm)  # repaired once: no second warning, the same jobs
    assert [r["job_id"] for r in rows] == ["4101", "4103"] and not [w for w in warnings_of(stderr) if "job list" in w]
    assert len(list(store_path.parent.glob("jobs.json.corrupt-*"))) == 1


@pytest.mark.parametrize("content,reason", [
    (b'{"version": 2, "jobs": [{"job_id": ', "is not valid JSON"),
    (b'[{"job_id": "1"}]', "is not a job list"),
    (b'{"version": 2, "jobs": {"1": {}}}', "is not a job list"),
    (b'{"version": "2", "jobs": []}', "has version '2', not a number"),
    (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
])
def test_a_store_that_cannot_be_read_is_moved_aside_whole(store_path, content, reason):
    store_path.write_bytes(content)
    proc = run_tutor("jobs")
    assert proc.returncode == 0, proc.stderr
    assert "No jobs yet" in proc.stdout
    (line,) = warnings_of(proc.stderr)
    assert reason in line and "a new list was started" in line
    (saved,) = store_path.parent.glob("jobs.json.corrupt-*")
    assert saved.read_bytes() == content and str(saved) in line


def test_a_store_from_a_newer_tutor_is_refused_untouched(store_path):
    store_path.write_text('{"version": 3, "jobs": [], "queues": {}}')
    proc = run_tutor("jobs")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "written by a newer tutor (store version 3)" in proc.stderr
    assert store_path.read_text() == '{"version": 3, "jobs": [], "queues": {}}'
    assert not list(store_path.parent.glob("jobs.json.corrupt-*"))


# ----------------------------------------------------------------------------- tutor jobs --json


def test_the_json_shape_is_the_model_and_is_documented(store_path, no_slurm):
    shutil.copy(V1_STORE, store_path)
    rows, _ = jobs_json(no_slurm)
    keys = set(JobRow.model_fields) | set(JobRow.model_computed_fields)
    assert all(set(row) == keys for row in rows)
    assert read_job_list(json.dumps(rows)) == JobStore(store_path, atomic).jobs()  # what the TUI reads back

    readme = (REPO / "README.md").read_text().split("### `tutor jobs --json`", 1)[1].split("\n#", 1)[0]
    documented = {key for cell in re.findall(r"^\| (`[^|]+`) \|", readme, re.M) for key in re.findall(r"`(\w+)`", cell)}
    assert documented == keys
    helped = " ".join(run_tutor("jobs", "--help").stdout.split())
    assert all(re.search(rf"\b{key}\b", helped) for key in keys), helped


def test_a_job_list_that_is_not_one_is_a_one_line_reason():
    with pytest.raises(ValueError, match=r"^`tutor jobs --json` gave no job list \(0\.task: Field required\)$"):
        read_job_list('[{"job_id": "1"}]')
    assert read_job_list(JOB_LIST.dump_json([])) == []


# ----------------------------------------------------------------------------- the logs service


def test_job_logs_read_both_streams_once_and_the_error_tail(tmp_path):
    row = JobRow(job_id="9", task="task8.4", state="FAILED", profile="local", workspace=tmp_path,
                 script="MNIST.slurm", job_name="MNIST", submitted_at="2026-11-30T09:00:00Z")
    assert not job_logs(row).written and error_tail(row) == []
    (tmp_path / "MNIST.9.out").write_text("Epoch 1/2\n")
    (tmp_path / "MNIST.9.err").write_text("I0000 00:00:1795320496.261526    9459 port.cc:153] oneDNN custom "
                                          "operations are on.\nTraceback (most recent call last):\nMemoryError\n")
    logs = job_logs(row)
    assert logs.stdout == "Epoch 1/2\n" and "MemoryError" in logs.stderr
    assert error_tail(row) == ["Traceback (most recent call last):", "MemoryError"]

    merged = row.model_copy(update={"stderr_pattern": "%x.%j.out"})  # SLURM writes both to one file
    assert job_logs(merged) == type(logs)("Epoch 1/2\n", "")

    tail = LogTail(row.stdout)
    assert tail.lines() == ["Epoch 1/2"]
    with row.stdout.open("a") as log:
        log.write("Epoch 2/2\nTest accur")
    assert tail.lines() == ["Epoch 2/2"] and tail.lines(final=True) == ["Test accur"]


def test_following_a_log_collapses_progress_redraws_and_keeps_split_characters(tmp_path):
    """Keras redraws its progress bar with carriage returns: `tutor logs --follow` shows the last
    frame of each line, not every frame; CRLF endings and a character split across two reads
    come out whole."""
    log = tmp_path / "job.out"
    log.write_bytes(b"Epoch 1/2\r\n 10/938 loss 2.3\r500/938 loss 0.4\r938/938 loss 0.2 acc 0.94\n")
    tail = LogTail(log)
    assert tail.lines() == ["Epoch 1/2", "938/938 loss 0.2 acc 0.94"]
    with log.open("ab") as handle:
        handle.write("accuracy 0.99 \u2714".encode()[:-1])  # the check mark's last byte not yet written
    assert tail.lines() == []
    with log.open("ab") as handle:
        handle.write("accuracy 0.99 \u2714".encode()[-1:] + b"\n")
    assert tail.lines() == ["accuracy 0.99 \u2714"]


def test_following_a_fifo_huge_or_sparse_log_neither_blocks_nor_reads_it_whole(tmp_path):
    """The job owns its log: a FIFO in its place gives no lines (it does not block `tutor logs
    --follow`), and a 64 GiB sparse log with no newline is read at most 16 MiB per poll."""
    fifo = tmp_path / "fifo.out"
    os.mkfifo(fifo)
    assert LogTail(fifo).lines() == [] and LogTail(fifo).lines(final=True) == []
    sparse = tmp_path / "sparse.out"
    with sparse.open("wb") as handle:
        handle.truncate(64 * 2**30)
    tail = LogTail(sparse)
    first = tail.lines()
    assert tail.offset == MAX_LOG_BYTES and len(tail.partial) == 0
    assert len(first) == 1 and len(first[0]) == MAX_LOG_BYTES  # the unending line, in a piece
