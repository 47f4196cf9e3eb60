"""Words that match the state, and the command to run next.

A `tutor check` that passes before any training has checked the structure, not the task; a
`tutor grade` that passes has finished it. Every command ends with the step after it; the CLI
and the TUI take their wording from here so they say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from exercises import ExerciseKind, Task
from grader.report import NO_LOG_YET, NOT_YET

if TYPE_CHECKING:
    from exercises.schema import Exercise
    from grader.report import CheckResult, Report
    from tutor.context import Context


@dataclass(frozen=True)
class Verdict:
    """`headline` replaces the bare status word ("structure OK, 5 of 8 points"); `next` is a
    sentence naming the command to run next."""

    headline: str
    next: str


def check_label(check: "CheckResult", spec: Optional["Exercise"]) -> str:
    """One name per check everywhere (table, problem lines, stderr, TUI, feedback, LMS exports):
    its title, else its id."""
    return label_of(check.id, spec)


def label_of(check_id: str, spec: Optional["Exercise"]) -> str:
    """`check_label` for a check known by its id."""
    if spec is not None:
        for spec_check in spec.checks:
            if spec_check.id == check_id and spec_check.title:
                return spec_check.title
    return PIPELINE_ROWS.get(check_id, check_id)


# The pipeline's own rows (not declared by exercises).
PIPELINE_ROWS = {
    "model-builds": "model.py builds a compiled model",
    "model-loads": "model.keras opens in safe mode",
    "artifact-current": "model.keras is the model model.py builds now",
}


def produce_command(task: "Task | Exercise") -> str:
    """The command that writes the trained artifact: train here, or submit for GPU tasks."""
    spec = task.spec if isinstance(task, Task) else task
    return f"tutor {'submit' if spec.needs_gpu else 'train'} {spec.id}"


def following_task(task: Task, ctx: "Context") -> Optional[Task]:
    tasks = list(ctx.catalog)
    ids = [t.id for t in tasks]
    if task.id not in ids:
        return None
    index = ids.index(task.id)
    return tasks[index + 1] if index + 1 < len(tasks) else None


def after_done(task: Task, ctx: "Context") -> str:
    """After a task is finished: hand it in (when the course collects hand-ins), else the next task."""
    if ctx.config.handin_dir is not None and task.spec.gradable:
        return f"`tutor handin {task.id}` hands it in"
    nxt = following_task(task, ctx)
    return f"`tutor show {nxt.id}` ({nxt.spec.title})" if nxt else "that was the last task: `tutor list` shows them all"


def first_step(task: Task, ctx: "Context") -> str:
    """After reading the instructions."""
    from tutor.state.workspace import workspace_path

    if task.spec.kind is ExerciseKind.guide:
        return f"do what it says, then `tutor done {task.id}`"
    if not workspace_path(task, ctx.workspace_root).is_dir():
        return f"`tutor start {task.id}` creates its workspace"
    if task.spec.kind is ExerciseKind.model:
        return f"edit model.py, then `tutor check {task.id}`"
    return f"`tutor check {task.id}`"


def _points(points: float, of: float) -> str:
    return f"{points:g} of {of:g} points"


def first_problem(report: "Report") -> Optional["CheckResult"]:
    failing = [c for c in report.checks if c.required and c.status in ("failed", "error", "missing")]
    return failing[0] if failing else None


def verdict(report: "Report", mode: str, task: Task, ctx: Optional["Context"] = None) -> Verdict:
    """The words for a report of `mode` ("check" or "grade"; `tutor train` grades)."""
    tid = task.id
    if report.status == "error":
        return Verdict("could not grade", f"fix that, then `tutor {mode} {tid}`")
    total = sum(c.max_points for c in report.checks if c.status != "manual")
    not_run = report.not_run()
    skipped = [c for c in report.checks if c.status == "skipped" and c not in not_run]
    problem = first_problem(report)
    if mode == "check":
        if problem is not None:
            what = check_label(problem, task.spec)
            return Verdict(f"{_points(report.points, total)}, not there yet",
                           f"fix \"{what}\" first, then `tutor check {tid}`")
        if skipped and task.spec.kind is ExerciseKind.model:
            return Verdict(f"structure OK, {_points(report.points, total)}",
                           f"`{produce_command(task)}` (then `tutor grade {tid}` measures the accuracy)")
        waiting = next((c.message.removeprefix(NOT_YET) for c in skipped if c.message.startswith(NOT_YET)), None)
        if waiting:  # a log check before the run: what produces the logs comes next
            return Verdict(f"checks so far pass, {_points(report.points, total)}", waiting)
        if skipped:
            return Verdict(f"checks so far pass, {_points(report.points, total)}",
                           f"`tutor grade {tid}` checks the rest")
        return Verdict(f"every check passes, {_points(report.points, total)}",
                       f"`tutor grade {tid}` records it as done")
    if problem is None and report.status == "passed":
        return Verdict(f"passed, {_points(report.points, report.max_points)}",
                       after_done(task, ctx) if ctx is not None else "`tutor list`")
    if problem is not None and problem.kind in ("min_accuracy", "artifact") and "no model.keras" in (
            str(problem.actual or "") + problem.message):
        return Verdict(f"not trained yet, {_points(report.points, report.max_points)}",
                       f"`{produce_command(task)}`, then `tutor grade {tid}`")
    if problem is not None and problem.id == "artifact-current":
        return Verdict(f"graded an old model.keras, {_points(report.points, report.max_points)}",
                       f"`{produce_command(task)}`, then `tutor grade {tid}`")
    if problem is not None and problem.actual == NO_LOG_YET:
        return Verdict(f"not run yet, {_points(report.points, report.max_points)}",
                       problem.message.split(" yet: ", 1)[-1])
    what = check_label(problem, task.spec) if problem is not None else "a required check"
    if problem is not None and problem.kind == "min_accuracy":
        step = f"improve the model, `{produce_command(task)}`, then `tutor grade {tid}`"
    elif task.spec.kind is ExerciseKind.model:
        step = f"fix that, `tutor check {tid}`, then `{produce_command(task)}` again"
    else:
        step = f"fix that, then `tutor grade {tid}`"
    return Verdict(f"failed, {_points(report.points, report.max_points)}", step.replace("fix that", f"fix \"{what}\""))
