"""The full-screen guide: `tutor` with no arguments, or `tutor ui`."""

from __future__ import annotations

import sys

from tutor.cli.output import fail
from tutor.context import load_context
from tutor.tui.app import TutorApp


def ui() -> None:
    """Open the full-screen guide through the course (the same as `tutor` alone)."""
    open_app()


def open_app() -> None:
    """Open the full-screen guide (`tutor` with no arguments)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        fail("the full-screen guide needs a terminal; try: tutor list")
    context = load_context()
    _ = context.catalog  # a bad exercise spec fails here, as one line, not inside the app
    TutorApp(context).run()
