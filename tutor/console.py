"""The terminal output every part of tutor shares: rich consoles for stdout and stderr, a
warning line, the one-line failure and plain JSON. The CLI re-exports these as
`tutor.cli.output`; library code (batch, context) imports them from here, not from the CLI.

Much of what tutor prints was chosen by someone else: a student's file, folder or hand-in name,
a notebook's cell, a job's reason. So both consoles print with rich markup OFF: `a[/b]` or
`[link=...]` in a name is shown as it is, never styled, and cannot crash rich. A line that wants
styling says so (`markup=True`) and passes every value it interpolates through `escape()`;
`plain()` makes a whole value safe as a `Text`, with terminal control characters made visible.
"""

from __future__ import annotations

import sys
import unicodedata
from contextlib import contextmanager
from typing import Iterator, NoReturn

from rich.console import Console
from rich.markup import escape as _escape_markup
from rich.text import Text

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

# Control (C0 but tab, C1, DEL), format (bidi overrides, zero-width), line/paragraph separators and
# lone surrogates: what could move the cursor, repaint a line or reorder what a reader sees.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def visible(text: object) -> str:
    """`text` with every invisible or controlling character written as an escape (`\\x1b`)."""
    chars = []
    for char in str(text):
        if char != "\t" and unicodedata.category(char) in _HIDDEN:
            code = ord(char)
            chars.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            chars.append(char)
    return "".join(chars)


def escape(text: object) -> str:
    """An untrusted value for a line printed with markup on: no tag in it is read as markup."""
    return _escape_markup(visible(text))


def plain(text: object, style: str = "") -> Text:
    """An untrusted value as a rich `Text` (never parsed as markup), control characters visible."""
    return Text(visible(text), style=style)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `tutor: <one line>` on stderr and exit (2 = could not do it)."""
    first = str(message).strip().splitlines()
    err.print(Text.assemble(("tutor:", "bold red"), " ", plain(first[0] if first else "failed")))
    for extra in first[1:]:
        err.print(Text.assemble("  ", plain(extra)))
    raise SystemExit(code)


@contextmanager
def waiting(console: Console, what: str, quiet: bool = False) -> Iterator[None]:
    """A live spinner line saying what runs while something slow runs (terminals only),
    so a long check is never a blank screen."""
    if quiet or not console.is_terminal:
        yield
        return
    with console.status(plain(what)):
        yield


def warn(message: str) -> None:
    err.print(Text.assemble(("warning:", "yellow"), " ", plain(message)))


def print_json(data: str) -> None:
    sys.stdout.write(data if data.endswith("\n") else data + "\n")
    sys.stdout.flush()
