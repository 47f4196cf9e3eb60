"""The help screen: every key of every screen, gathered from their bindings."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter"}


def _key(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(","))


def key_table(app_bindings: list) -> Table:
    """One section per screen, in the order a student meets them; `app_bindings` are the app's
    own keys (passed in: this screen does not import the app that opens it)."""
    from tutor.tui.screens.course import CourseScreen, CourseTable
    from tutor.tui.screens.jobs import JobsScreen
    from tutor.tui.screens.task import TaskScreen

    table = Table(show_header=False, box=None, pad_edge=False, expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True, width=12)
    table.add_column("does")
    sections = [
        ("Everywhere", list(app_bindings) + HelpScreen.EXTRA),
        ("Course", CourseTable.BINDINGS + CourseScreen.BINDINGS
         + [Binding("up,down", "", "Move between tasks")]),
        ("Task", TaskScreen.BINDINGS),
        ("Jobs", JobsScreen.BINDINGS + [Binding("up,down", "", "Choose a job")]),
    ]
    for title, bindings in sections:
        table.add_row(f"[bold]{title}[/]", "")
        for binding in bindings:
            if isinstance(binding, tuple):
                binding = Binding(*binding)
            table.add_row(_key(binding), binding.tooltip or binding.description)
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """Every key; Esc, q or ? closes it."""

    CSS_PATH = "help.tcss"
    EXTRA = [Binding("tab", "", "Next widget (the mouse works too); the one with the keys has a bar on its left"),
             Binding("up,down", "", "Scroll the pane that has the keys (instructions, hints, results) by a line",
                     key_display="↑ ↓"),
             Binding("pageup,pagedown", "", "Scroll it by a page", key_display="PgUp PgDn"),
             Binding("home,end", "", "Its top / its end", key_display="Home End"),
             Binding("ctrl+q", "", "Quit at once")]
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", key_display="Esc"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static("[bold]Keys[/]  (Esc closes this)", id="help-title")
            yield Static(key_table(type(self.app).BINDINGS), id="help-keys")

    def on_click(self) -> None:
        self.dismiss()
