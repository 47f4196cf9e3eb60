"""SVG snapshots of the course, task and jobs screens at 80x24 and 120x40.

Stable by construction: a fresh progress file, no clock in the header, the input cursor not
blinking, jobs from fixed `tutor jobs --json` output whose logs are captured real runs, and a
fixed report for the results tab (no durations or temporary paths on screen).
Update after an intended change with: pytest tests/test_tui_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from grader.report import CheckResult, LayerSummary, ModelSummary, Report
from tests.test_tui_jobs import JOBS
from tests.tui_support import canned_jobs, wait_for
from tutor.tui.app import TutorApp
from tutor.tui.screens.jobs import JobsScreen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture(autouse=True)
def book_only(isolated_home):
    """Only the book's pack, so that packs other issues add do not move these pictures."""
    (isolated_home / "tutor.toml").write_text('packs = ["book"]\n')


def app(**kwargs) -> TutorApp:
    kwargs.setdefault("fetch_jobs", None)
    return TutorApp(blink=False, **kwargs)


def baseline_check_report() -> Report:
    """What `tutor check task8.1` reports for the untouched starter (the baseline itself)."""
    shapes = [("Conv2D", [None, 24, 24, 32], 832), ("MaxPooling2D", [None, 12, 12, 32], 0),
              ("Conv2D", [None, 8, 8, 64], 51264), ("MaxPooling2D", [None, 4, 4, 64], 0),
              ("Flatten", [None, 1024], 0), ("Dense", [None, 10], 10250)]
    layers = [LayerSummary(name=f"layer{i}", class_name=c, output_shape=s, params=p,
                           trainable_params=p) for i, (c, s, p) in enumerate(shapes)]
    model = ModelSummary(total_params=62346, trainable_params=62346, non_trainable_params=0,
                         input_shape=[None, 28, 28, 1], output_shape=[None, 10], layers=layers)

    def check(id_, kind, status, want, got, points, of, message="") -> CheckResult:
        return CheckResult(id=id_, kind=kind, status=status, message=message, expected=want,
                           actual=got, points=points, max_points=of)

    checks = [
        check("input-shape", "input_shape", "passed", [None, 28, 28, 1], [None, 28, 28, 1], 1, 1),
        check("output-shape", "output_shape", "passed", [None, 10], [None, 10], 1, 1),
        check("softmax-output", "output_activation", "passed", "softmax", "softmax", 1, 1),
        check("still-a-cnn", "layer_count", "passed", ">= 2", 2, 1, 1),
        check("changed", "differs_from_baseline", "failed", "not the baseline", "62,346 params",
              0, 2, "this is the baseline itself: change its layers or its optimizer"),
        check("size-sane", "total_params", "passed", "<= 5,000,000", 62346, 1, 1),
        check("accuracy", "min_accuracy", "skipped", ">= 0.975", None, 0, 3,
              "needs the trained model: `tutor grade task8.1`"),
    ]
    return Report(task="task8.1", status="failed", score=5 / 7, points=5, max_points=7,
                  checks=checks, model=model, duration_s=3.2)


@pytest.mark.parametrize("size", SIZES)
def test_course_screen(snap_compare, size):
    assert snap_compare(app(), terminal_size=size)


@pytest.mark.parametrize("size", SIZES)
def test_task_screen(snap_compare, size):
    async def open_task(pilot):
        pilot.app.open_task("task8.1")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=size, run_before=open_task)


@pytest.mark.parametrize("size", SIZES)
def test_task_results(snap_compare, size):
    async def show_results(pilot):
        pilot.app.reports["task8.1"] = baseline_check_report()
        pilot.app.open_task("task8.1")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=size, run_before=show_results)


@pytest.mark.parametrize("size", SIZES)
def test_jobs_screen(snap_compare, size):
    async def open_jobs(pilot):
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobsScreen)
                       and pilot.app.screen.shown_job, what="the jobs screen")
        await pilot.pause()

    assert snap_compare(app(fetch_jobs=canned_jobs(JOBS)), terminal_size=size,
                        run_before=open_jobs)


# ----------------------------------------------------------------------------- issue #19, at 80x24


def test_results_focused_with_the_comparison_on_top(snap_compare):
    """After a grade the Results pane has the keys (its left bar lit), the verdict with the next
    step and the accuracy against the baseline come first, PageDown scrolls the checks."""
    checks = [c.model_copy(update={"status": "passed", "points": c.max_points, "message": ""})
              for c in baseline_check_report().checks]
    report = baseline_check_report().model_copy(update={
        "accuracy": 0.9871, "checks": checks, "status": "passed", "points": 10, "max_points": 10,
        "score": 1.0})

    async def show_results(pilot):
        pilot.app.reports["task8.1"] = report
        pilot.app.open_task("task8.1")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(80, 24), run_before=show_results)


def test_a_rerun_marks_the_previous_result(snap_compare):
    async def rerun(pilot):
        pilot.app.reports["task8.1"] = baseline_check_report()
        pilot.app.open_task("task8.1")
        await pilot.pause()
        pilot.app.screen.action_tab("results")
        pilot.app.screen.query_one("#results-view").running("tutor check task8.1")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(80, 24), run_before=rerun)


def test_the_status_line_wraps_a_long_error(snap_compare):
    async def long_error(pilot):
        pilot.app.open_task("task8.4")
        await pilot.pause()
        pilot.app.screen.set_busy(
            "tutor submit failed: MNIST.slurm runs MNIST.py, which is not in ~/tutor-work/task8.4, so the "
            "job would fail as soon as it starts: put MNIST.py there first (or point --path at the folder "
            "that has it)", error=True)
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(80, 24), run_before=long_error)


def test_an_empty_jobs_screen_says_so(snap_compare):
    async def open_jobs(pilot):
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobsScreen)
                       and "No jobs yet" in "\n".join(pilot.app.screen.query_one("#job-log").lines),
                       what="the empty jobs screen")
        await pilot.pause()

    assert snap_compare(app(fetch_jobs=canned_jobs([])), terminal_size=(80, 24), run_before=open_jobs)


def test_help_lists_the_scroll_keys(snap_compare):
    async def open_help(pilot):
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(80, 24), run_before=open_help)
