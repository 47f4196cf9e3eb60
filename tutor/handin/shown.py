"""Names from the hand-in area shown as data: a student chooses them, so they may hold rich
markup (`a[/b]`) or terminal control (ESC sequences that move the cursor or repaint a line).

`shown()` turns every control, format and separator character into a visible escape
(`\\x1b`, `\\u202e`); printed with markup off, nothing in a name can style or move the output.
"""

from __future__ import annotations

from tutor.console import visible

MAX_SHOWN = 300


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` with every invisible or controlling character escaped, cut to `limit` characters;
    a backslash is doubled, so an escape in the output always means a hidden character."""
    out = visible(text.replace("\\", "\\\\")).replace("\t", "\\x09")
    return out if len(out) <= limit else out[: limit - 1] + "…"
