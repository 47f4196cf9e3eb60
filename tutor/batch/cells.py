"""Spreadsheet-safe cells: nothing tutor writes into a CSV/TSV runs as a formula when opened.

The rule is OWASP's "CSV Injection" one (owasp.org/www-community/attacks/CSV_Injection; ASVS
4 requirement 1.2.10 / 5.0 1.2.10): a cell whose first character is `=`, `+`, `-`, `@`, tab or
carriage return is prefixed with a single quote, and every cell is quoted by the CSV writer as
RFC 4180 needs. We also look past leading spaces (Canvas' own exporter does, `STARTS_WITH_EQUAL =
/^\\s*=/` in lib/gradebook_exporter.rb) and catch a NUL, as ASVS asks. A plain number (`-2`,
`+1.5`) cannot be a formula and is left alone, so grades stay numbers.

The quote is added one-to-one: a text that already starts with quotes before a formula (a
folder named `'=1+1`) gets one more, so two students never share a cell (`=1+1` and `'=1+1`
stay apart), and `plain_cell` gives back exactly what was written (marks.csv is read back).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Sequence

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def risky(text: str) -> bool:
    """True when a spreadsheet would read `text` as a formula."""
    if not text or NUMBER.match(text) or text.strip() == "-":
        return False
    return text[0] in TRIGGERS or text.lstrip(" ")[:1] in TRIGGERS


def _needs_quote(text: str) -> bool:
    return risky(text.lstrip("'"))


def safe_cell(value: Any) -> str:
    """The cell as text, neutralised when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if _needs_quote(text) else text


def plain_cell(cell: str) -> str:
    """What `safe_cell` was given, from the cell it wrote (the inverse, for files read back)."""
    return cell[1:] if cell.startswith("'") and _needs_quote(cell[1:]) else cell


def csv_text(rows: Iterable[Sequence[Any]], delimiter: str = ",") -> str:
    """Rows as CSV (or TSV) text, every cell passed through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
