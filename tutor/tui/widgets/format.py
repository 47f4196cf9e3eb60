"""Small text formatters shared by the result widgets."""

from __future__ import annotations

from typing import Any, Optional

CHECK_STYLE = {"passed": "green", "failed": "bold red", "error": "bold red", "skipped": "dim",
               "missing": "bold red", "manual": "cyan"}
CHECK_ICON = {"passed": "✔", "failed": "✘", "error": "!", "skipped": "–", "missing": "∅", "manual": "✎"}


def shape(value: Optional[list]) -> str:
    if value is None:
        return "?"
    return "(" + ", ".join("None" if v is None else str(v) for v in value) + ")"


def value(item: Any, width: int = 28) -> str:
    """A check's expected/actual value, short enough for a table cell."""
    if item is None:
        text = "—"
    elif isinstance(item, bool):
        text = "yes" if item else "no"
    elif isinstance(item, int):
        text = f"{item:,}"
    elif isinstance(item, float):
        text = f"{item:.4g}"
    elif isinstance(item, (list, tuple)):
        if all(v is None or isinstance(v, int) for v in item):
            text = shape(list(item))
        else:
            text = ", ".join(value(v, width) for v in item)
    elif isinstance(item, dict):
        text = ", ".join(f"{k} {value(v, width)}" for k, v in item.items())
    else:
        text = str(item)
    return text if len(text) <= width else text[: width - 1] + "…"


def points(got: float, of: float) -> str:
    return f"{got:g}/{of:g}" if of else f"{got:g}"


def signed_change(yours: float, theirs: float) -> str:
    if not theirs:
        return ""
    change = (yours - theirs) / theirs * 100
    return f"{change:+.0f}%"
