"""Front ends: the Typer CLI, the Textual app, workspaces and progress, batch grading, hand-in."""

__version__ = "0.1.0"
