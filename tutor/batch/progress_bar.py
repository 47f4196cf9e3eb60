"""The progress bar with ETA (rich), on stderr so stdout stays the summary."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def batch_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]grading[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}", markup=False),  # "student: status"; a student names the folder
        console=console,
        transient=False,
        refresh_per_second=4,
    )
