"""The terminal output every part of tutor shares: rich consoles for stdout and stderr, a
warning line, the one-line failure and plain JSON. The CLI re-exports these as
`tutor.cli.output`; library code (batch, context) imports them from here, not from the CLI."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator, NoReturn

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `tutor: <one line>` on stderr and exit (2 = could not do it)."""
    first = str(message).strip().splitlines()
    err.print(f"[bold red]tutor:[/] {first[0] if first else 'failed'}", markup=True, highlight=False)
    for extra in first[1:]:
        err.print(f"  {extra}", markup=False)
    raise SystemExit(code)


@contextmanager
def waiting(console: Console, what: str, quiet: bool = False) -> Iterator[None]:
    """A live spinner line saying what runs while something slow runs (terminals only),
    so a long check is never a blank screen."""
    if quiet or not console.is_terminal:
        yield
        return
    with console.status(what):
        yield


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {message}", markup=True, highlight=False)


def print_json(data: str) -> None:
    sys.stdout.write(data if data.endswith("\n") else data + "\n")
    sys.stdout.flush()
