"""The jobs screen: the list refreshing on its own, the log with the noise filter on and off,
loss/accuracy per epoch, the confusion matrix, and a real job on the test SLURM cluster."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Log

from grader.report import Report
from hpc.jobrow import JOB_LIST, JobRow
from tests.conftest import REPO
from tests.tui_support import (
    canned_jobs,
    cell_text,
    notices,
    row_keys,
    run_app,
    screen_text,
    start_with_solution,
    wait_for,
)
from tutor.tui import app as tui_app
from tutor.tui.screens.jobs import JobsScreen
from tutor.tui.widgets.training_plot import TrainingPlot

LOGS = REPO / "tests" / "fixtures" / "logs"


def job(job_id: str, task: str, state: str, log: str, **extra) -> dict:
    """A row as `tutor jobs --json` prints it (the shared `JobRow`), its log a real captured
    Keras run (`<log>.out`, `<log>.err` in tests/fixtures/logs)."""
    row = JobRow(job_id=job_id, task=task, state=state, elapsed="00:01:12", node="localhost",
                 exit_code="0:0" if state == "COMPLETED" else None, profile="local", workspace=LOGS,
                 script="MNIST.slurm", job_name=log, stdout_pattern="%x.out", stderr_pattern="%x.err",
                 submitted_at="2026-11-22T04:00:00+00:00", **extra)
    return json.loads(JOB_LIST.dump_json([row]))[0]


JOBS = [job("101", "task8.1", "COMPLETED", "verbose1"), job("102", "task8.4", "RUNNING", "verbose2")]


def log_text(app) -> str:
    return "\n".join(app.screen.query_one("#job-log", Log).lines)


async def open_jobs(pilot, app) -> None:
    await pilot.press("j")
    await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.shown_job,
                   timeout=30, what="the first job's log")
    await pilot.pause()


def test_jobs_list_log_filter_and_plot():
    async def scenario(pilot, app):
        await open_jobs(pilot, app)
        table = app.screen.query_one("#jobs", DataTable)
        assert row_keys(table) == ["102", "101"]  # newest first
        assert cell_text(table, "102", "state") == "RUNNING"
        assert cell_text(table, "101", "exit") == "0:0"
        assert app.screen.shown_job == "102"
        filtered = log_text(app)
        assert "Epoch 1/" in filtered and "absl::InitializeLog" not in filtered
        await pilot.press("f")
        assert "absl::InitializeLog" in log_text(app)  # raw: TensorFlow's noise is back
        assert "noise filter off" in screen_text(app)
        await pilot.press("f")
        assert "absl::InitializeLog" not in log_text(app)
        await pilot.press("down")  # the other job: its own log and plot
        await wait_for(pilot, lambda: app.screen.shown_job == "101", what="job 101's log")
        await pilot.press("p")
        await pilot.pause()
        plot = app.screen.query_one(TrainingPlot)
        assert "loss and accuracy per epoch" in screen_text(app)
        assert plot.series is not None and plot.series.epochs == list(range(1, len(plot.series.epochs) + 1))
        assert len(plot.series.epochs) >= 2 and all(0 < a <= 1 for a in plot.series.accuracy)

    run_app(scenario, size=(100, 30), fetch_jobs=canned_jobs(JOBS))


def test_polling_is_polite_and_a_failing_poll_is_a_status_line_not_a_crash():
    async def scenario(pilot, app):
        await pilot.press("j")
        await wait_for(pilot, lambda: app.jobs_error is not None, what="the failed poll")
        assert "jobs: not on a SLURM cluster" in screen_text(app)
        assert app._poll_wait > tui_app.POLL_IDLE  # backs off
        assert isinstance(app.screen, JobsScreen)

    run_app(scenario, fetch_jobs=canned_jobs([], code=2, stderr="tutor: not on a SLURM cluster\n"))

    async def active(pilot, app):
        await open_jobs(pilot, app)
        assert app._poll_wait == tui_app.POLL_FAST  # watching an active job
        await pilot.press("escape")
        app.poll_jobs_now()
        await wait_for(pilot, lambda: app._poll_wait == tui_app.POLL_ACTIVE, what="slower poll")
        course = app.screen.query_one("#tasks", DataTable)
        assert "job running" in cell_text(course, "task:task8.4", "status")

    run_app(active, fetch_jobs=canned_jobs(JOBS))


def test_a_finished_grade_shows_the_confusion_matrix():
    matrix = [[5 if i == j else (1 if j == (i + 1) % 10 else 0) for j in range(10)]
              for i in range(10)]
    report = Report(task="task8.1", status="passed", score=1.0, points=10, max_points=10,
                    checks=[], accuracy=0.83, duration_s=1.0, meta={"confusion_matrix": matrix})

    async def scenario(pilot, app):
        app.reports["task8.1"] = report
        await open_jobs(pilot, app)
        await pilot.press("down")
        await wait_for(pilot, lambda: app.screen.shown_job == "101", what="job 101")
        await pilot.press("m")
        await pilot.pause()
        text = screen_text(app)
        assert "confusion matrix" in text and "83.3%" in text  # recall 5/6 per class

    run_app(scenario, size=(100, 30), fetch_jobs=canned_jobs(JOBS))


def test_the_screen_reads_the_real_cli_output_and_tells_its_warnings_once(isolated_home, tmp_path, monkeypatch):
    """The rows come from the real `tutor jobs --json` over a store the previous format wrote,
    read with the same model; its warning (no SLURM here) is one notification, not one per poll."""
    store = isolated_home / "state" / "jobs.json"
    store.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "tests" / "fixtures" / "jobs" / "jobs-v1.json", store)
    monkeypatch.setenv("PATH", str(tmp_path))  # no squeue: the last known states
    polls = []

    async def fetch():
        polls.append(await tui_app.fetch_jobs_from_cli())
        return polls[-1]

    async def scenario(pilot, app):
        await pilot.press("j")
        await wait_for(pilot, lambda: len(app.jobs) == 3, timeout=120, what="the three jobs")
        table = app.screen.query_one("#jobs", DataTable)
        assert row_keys(table) == ["4103", "4102", "4101"]
        assert [cell_text(table, k, "state") for k in ("4103", "4102", "4101")] == [
            "PENDING", "OUT_OF_MEMORY", "COMPLETED"]
        assert cell_text(table, "4103", "reason") == "Priority" and cell_text(table, "4102", "exit") == "0:125"
        assert "3 jobs · 1 active" in screen_text(app)
        app.poll_jobs_now()
        await wait_for(pilot, lambda: len(polls) >= 2, timeout=120, what="a second poll")
        assert "not on a SLURM cluster" in polls[-1].stderr
        assert notices(app, "warning") == ["not on a SLURM cluster (no squeue here): showing the last known states"]

    run_app(scenario, size=(120, 30), fetch_jobs=fetch)


def test_output_that_is_not_a_job_list_is_a_status_line_with_the_reason():
    async def scenario(pilot, app):
        await pilot.press("j")
        await wait_for(pilot, lambda: app.jobs_error is not None, what="the unreadable list")
        assert "jobs: `tutor jobs --json` gave no job list (0.task: Field required)" in screen_text(app)

    run_app(scenario, size=(120, 30), fetch_jobs=canned_jobs([{"job_id": "1"}]))


# ---------------------------------------------------------------------------- real SLURM


@pytest.mark.slurm
@pytest.mark.slow
def test_a_real_job_on_the_test_cluster(slurm_cluster, isolated_home, monkeypatch):
    """Submit task 7.2's reference solution from the task screen, follow it on the jobs
    screen until it completes, read its log and epochs, then grade it from there."""
    venv_bin = str(Path(sys.executable).parent)
    monkeypatch.setenv("SLURM_CONF", slurm_cluster.env["SLURM_CONF"])
    monkeypatch.setenv("PATH", venv_bin + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("TUTOR_PROFILE", "local")

    async def scenario(pilot, app):
        await start_with_solution(pilot, app, "task7.2")
        await pilot.press("u")
        await wait_for(pilot, lambda: any(j.task == "task7.2" for j in app.jobs), timeout=120,
                       what="the submitted job in `tutor jobs`")
        assert not notices(app, "error"), notices(app)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen), what="the jobs screen")
        job_id = next(j.job_id for j in app.jobs if j.task == "task7.2")
        await wait_for(pilot, lambda: any(j.job_id == job_id and j.state == "COMPLETED"
                                          for j in app.jobs),
                       timeout=300, what="the job to complete")
        await wait_for(pilot, lambda: "Test accuracy" in log_text(app) or "test accuracy" in log_text(app).lower(),
                       timeout=60, what="the finished log")
        table = app.screen.query_one("#jobs", DataTable)
        assert cell_text(table, job_id, "state") == "COMPLETED"
        assert "absl::InitializeLog" not in log_text(app)
        plot = app.screen.query_one(TrainingPlot)
        assert plot.series is not None and len(plot.series.epochs) == 5
        await pilot.press("g")
        await wait_for(pilot, lambda: "task7.2" in app.reports, timeout=180, what="the grade")
        assert app.reports["task7.2"].accuracy is not None

    run_app(scenario, size=(120, 40), fetch_jobs=tui_app.fetch_jobs_from_cli)


def test_a_task_opens_its_own_job_and_only_active_jobs_can_be_cancelled():
    async def scenario(pilot, app):
        app.open_task("task8.1")
        await pilot.pause()
        await pilot.press("o")  # the task's job, not the newest one
        await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen) and app.screen.shown_job,
                       what="the jobs screen")
        assert app.screen.selected_job() == "101" and app.screen.shown_job == "101"
        await pilot.press("x")
        await wait_for(pilot, lambda: notices(app, "warning"), what="the refusal")
        assert notices(app, "warning")[-1] == "Choose a queued or running job to cancel."
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.exercise.id == "task8.1"

    run_app(scenario, fetch_jobs=canned_jobs(JOBS))
