"""The confusion matrix of a finished grade as a coloured table (rows: true class)."""

from __future__ import annotations

from typing import Optional, Sequence

from rich.table import Table
from rich.text import Text

from grader.report import Report


def matrix_from(report: Report) -> Optional[list[list[int]]]:
    """The grader's confusion matrix (`meta["confusion_matrix"]`), if it sent one."""
    raw = report.meta.get("confusion_matrix")
    if not isinstance(raw, list) or not raw or not all(isinstance(r, list) for r in raw):
        return None
    try:
        return [[int(v) for v in row] for row in raw]
    except (TypeError, ValueError):
        return None


def _cell(count: int, row_total: int, diagonal: bool) -> Text:
    share = count / row_total if row_total else 0.0
    if diagonal:
        style = "bold green" if share >= 0.97 else ("green" if share >= 0.9 else "yellow")
    elif count == 0:
        style = "dim"
    else:
        style = "bold red" if share >= 0.02 else ("red" if share >= 0.005 else "yellow")
    return Text(str(count), style=style)


def confusion_table(matrix: Sequence[Sequence[int]], labels: Optional[Sequence[str]] = None) -> Table:
    n = len(matrix)
    labels = list(labels or [str(i) for i in range(n)])
    table = Table(title="confusion matrix (rows: true class, columns: predicted)",
                  title_justify="left", box=None, pad_edge=False, padding=(0, 1))
    table.add_column("", style="bold")
    for label in labels:
        table.add_column(label, justify="right")
    table.add_column("recall", justify="right")
    for i, row in enumerate(matrix):
        total = sum(row)
        cells = [_cell(v, total, i == j) for j, v in enumerate(row)]
        recall = row[i] / total if total else 0.0
        table.add_row(labels[i], *cells, Text(f"{recall:.1%}", style="dim"))
    return table
