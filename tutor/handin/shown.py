"""Names from the hand-in area shown as data: a student chooses them, so they may hold rich
markup (`a[/b]`) or terminal control (ESC sequences that move the cursor or repaint a line).

`shown()` turns every control, format and separator character into a visible escape
(`\\x1b`, `\\u202e`); printed with markup off, nothing in a name can style or move the output.
"""

from __future__ import annotations

import unicodedata

# Control (C0, C1, DEL), format (bidi overrides, zero-width), line/paragraph separators,
# and lone surrogates (undecodable bytes in a file name arrive as U+DC80..U+DCFF).
HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
MAX_SHOWN = 300


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` with every invisible or controlling character escaped, cut to `limit` characters."""
    parts = []
    for char in text:
        if unicodedata.category(char) in HIDDEN or char == "\\":
            code = ord(char)
            parts.append("\\\\" if char == "\\" else f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            parts.append(char)
    out = "".join(parts)
    return out if len(out) <= limit else out[: limit - 1] + "…"
