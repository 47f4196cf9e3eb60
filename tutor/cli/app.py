"""The `tutor` console script: a Typer app assembled from one module per command group.

Each module exposes `register(app)`. Nothing here imports TensorFlow: `tutor --help` and
`tutor list` must stay fast (bench/bench_cli.py).
"""

from __future__ import annotations

import sys
import warnings

import typer

from tutor.cli import (
    author,
    autograder,
    batch,
    compare,
    course,
    course_init,
    data,
    doctor,
    grading,
    handin,
    jobs,
    notebooks,
    ui,
)

app = typer.Typer(
    name="tutor",
    help="A terminal tutor and autograder for deep-learning courses on HPC clusters.\n\n"
    "Run `tutor` with no arguments for the full-screen guide.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

for module in (course, grading, jobs, data, doctor, batch, autograder, course_init, handin, ui, author, compare,
               notebooks):
    module.register(app)


@app.callback()
def _root(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        ui.open_app()


def _known_errors() -> tuple[type[BaseException], ...]:
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
    from tutor.cli.output import fail, warn

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
