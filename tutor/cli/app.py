"""The `tutor` console script: a Typer app whose commands live in one module per command group.

`COMMANDS` below is the one list of commands; a command's module is imported only when that
command runs (tutor/cli/lazy_group.py), so `tutor --help` imports none of them. Nothing here
imports TensorFlow: `tutor --help` and `tutor list` must stay fast (bench/bench_cli.py).
"""

from __future__ import annotations

import sys
import warnings

import typer

from tutor.cli.lazy_group import LazyCommand, LazyGroup
from tutor.cli.output import fail, warn

# Every command of `tutor`, in the order `tutor --help` lists them: where it lives ("module:attr",
# a command function or a typer.Typer of sub-commands) and its one-line help. The module is
# imported only when the command runs or shows its help. tests/test_cli_commands.py proves each
# entry resolves, its --help works, and the line here is the command's own.
COMMANDS: dict[str, LazyCommand] = {
    "list": LazyCommand("tutor.cli.course:list_tasks",
                        "List the course's tasks by pack and chapter, with your status for each."),
    "show": LazyCommand("tutor.cli.course:show", "Show a task's instructions."),
    "hint": LazyCommand("tutor.cli.course:hint", "Reveal the task's next hint (tutor remembers which you have seen)."),
    "start": LazyCommand("tutor.cli.course:start",
                         "Create the task's workspace with its starter files (never overwrites your edits)."),
    "done": LazyCommand("tutor.cli.course:done", "Mark a guide task (such as task7.1) as done."),
    "check": LazyCommand("tutor.cli.grading:check",
                         "Fast structural feedback: builds your model in the sandbox and checks it (no training)."),
    "grade": LazyCommand("tutor.cli.grading:grade",
                         "Every check, accuracy included: model.keras is opened in safe mode (no student code runs "
                         "where it is scored); model.py is built in the sandbox to see that model.keras is up to "
                         "date, and for the other checks when there is no model.keras (accuracy is then "
                         "\"missing\")."),
    "train": LazyCommand("tutor.cli.grading:train", "Train your compiled model with the task's recipe in the sandbox; "
                         "writes model.keras and train.json."),
    "watch": LazyCommand("tutor.cli.grading:watch", "Re-run `check` whenever you save (model.py or your notebook); "
                         "press r to re-run, q to quit."),
    "submit": LazyCommand("tutor.cli.submit:submit_cmd",
                          "Write the task's SLURM job script into its workspace and submit it with sbatch."),
    "jobs": LazyCommand("tutor.cli.jobs:jobs_cmd",
                        "Your jobs: id, task, state, elapsed time, node, exit code, pending reason."),
    "logs": LazyCommand("tutor.cli.jobs:logs_cmd",
                        "A job's output without TensorFlow's start-up noise, and a summary of the training."),
    "cancel": LazyCommand("tutor.cli.jobs:cancel_cmd", "Cancel one of your jobs (scancel)."),
    "doctor": LazyCommand("tutor.cli.doctor:doctor", "Say what is ready and what is missing: TensorFlow, GPU, SLURM, "
                          "containers, data, config."),
    "batch": LazyCommand("tutor.cli.batch:batch", "Grade every student's submission for TASK into a gradebook."),
    "handin": LazyCommand("tutor.cli.handin:handin", "Check your work, then hand in the task's files as a new "
                          "numbered attempt with a receipt."),
    "collect": LazyCommand("tutor.cli.handin:collect", "Instructor: gather every student's latest attempt, verified, "
                           "into the layout tutor batch reads."),
    "ui": LazyCommand("tutor.cli.ui:ui", "Open the full-screen guide through the course (the same as `tutor` alone)."),
    "compare": LazyCommand("tutor.cli.compare:compare",
                           "Compare recorded training runs: parameters, training time, accuracy, device."),
    "export": LazyCommand("tutor.cli.notebooks:export", "Write a notebook's code cells as one Python script (magics "
                          "and display() made plain Python), then run the task's script checks on it."),
    "data": LazyCommand("tutor.cli.data:data_app", "Staged datasets and pretrained weights (offline first)."),
    "autograder": LazyCommand("tutor.cli.autograder:autograder_app",
                              "Run tutor as the grader inside Gradescope or PrairieLearn."),
    "course": LazyCommand("tutor.cli.course_init:course_app",
                          "Instructor set-up of the course (hand-in area, deadlines)."),
    "author": LazyCommand("tutor.cli.author:author_app", "Tools for course authors."),
}


class TutorGroup(LazyGroup):
    table = COMMANDS


app = typer.Typer(
    name="tutor",
    cls=TutorGroup,
    help="A terminal tutor and autograder for deep-learning courses on HPC clusters.\n\n"
    "Run `tutor` with no arguments for the full-screen guide.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        from tutor.cli.ui import open_app

        open_app()


def _known_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause. Imported only once one is raised: every command, and
    `tutor --help`, shares this module, and these pull in the catalog and the config."""
    from exercises import CatalogError, UnknownTask
    from grader.data import DataError
    from tutor.config import ConfigError
    from tutor.errors import UserError
    from tutor.state.workspace import WorkspaceError

    return (UserError, CatalogError, UnknownTask, ConfigError, DataError, WorkspaceError)


def _interrupted(exc: SystemExit) -> bool:
    """Typer turns Ctrl-C into a silent `sys.exit(130)`; recognise it to say so in one line."""
    context = exc.__context__
    return exc.code == 130 and isinstance(getattr(context, "__cause__", None), KeyboardInterrupt)


def main() -> None:
    """Entry point: every error a user can cause ends in one line on stderr, exit 2."""

    def _show_warning(message, category, filename, lineno, file=None, line=None):
        warn(str(message))

    warnings.showwarning = _show_warning
    try:
        app()
    except SystemExit as exc:
        if _interrupted(exc):
            fail("interrupted", code=130)
        raise
    except _known_errors() as exc:
        fail(str(exc) if not hasattr(exc, "args") or exc.args else type(exc).__name__)
    except KeyboardInterrupt:
        fail("interrupted", code=130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
