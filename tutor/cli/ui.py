"""Commands of this group are registered here (stub until its issue lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this group's commands to the app."""


def open_app() -> None:
    """Open the full-screen guide (`tutor` with no arguments)."""
    from tutor.cli.output import fail

    fail("the full-screen guide is not built yet; try: tutor list")
