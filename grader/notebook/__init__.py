"""Notebooks as submissions: read (nbformat), turn IPython syntax into plain Python, find on
the syntax tree where training starts, and plan what the sandbox runs.

Everything here runs in the trusted parent and never executes a cell: cells run only in a
sandboxed child (`grader.notebook.execute`) or in the student's own job (`standalone`).
"""

from grader.notebook.plan import NotebookPlan, PlannedCell, Stop, plan_notebook
from grader.notebook.reader import CodeCell, Notebook, NotebookError, read_notebook

__all__ = [
    "CodeCell",
    "Notebook",
    "NotebookError",
    "NotebookPlan",
    "PlannedCell",
    "Stop",
    "plan_notebook",
    "read_notebook",
]
