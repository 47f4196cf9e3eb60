"""Turn what a program wrote to a terminal (or a file) into the lines a terminal would show.

Keras' `verbose=1` progress bar redraws itself with backspaces and carriage returns and colours
itself with ANSI escapes, even when stdout is a file. Replaying those control characters keeps
only each line's final state: the epoch's last progress frame.
"""

from __future__ import annotations

import re

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Za-z0-9]")


def _replay(physical_line: str) -> str:
    """The final content of one newline-terminated line after \\r and \\b are applied."""
    if "\r" not in physical_line and "\b" not in physical_line:
        return physical_line
    buffer: list[str] = []
    cursor = 0
    for char in physical_line:
        if char == "\r":
            cursor = 0
        elif char == "\b":
            cursor = max(0, cursor - 1)
        else:
            if cursor < len(buffer):
                buffer[cursor] = char
            else:
                buffer.append(char)
            cursor += 1
    return "".join(buffer)


def terminal_lines(text: str) -> list[str]:
    """Lines as a terminal would finally show them: ANSI stripped, redraws replayed."""
    text = ANSI.sub("", text.replace("\r\n", "\n"))
    return [_replay(line).rstrip() for line in text.split("\n")]


def clean_text(text: str) -> str:
    lines = terminal_lines(text)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + ("\n" if lines else "")


MAX_LOG_BYTES = 16 * 1024 * 1024


def read_log(path, limit: int = MAX_LOG_BYTES) -> str:
    """A log file's text with its carriage returns intact (Python's text mode would turn each
    `\\r` into a new line); undecodable bytes replaced; only the last `limit` bytes if larger."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - limit))
        data = handle.read()
    return data.decode("utf-8", errors="replace")
