"""The course screen: chapters and their tasks with status, overall progress, a filter."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static

from tutor.state.student_progress import load_progress
from tutor.tui.course_data import STATUS_ICON, STATUS_STYLE, chapters, completed

TASK_KEY = "task:"
KIND_WIDTH, STATUS_WIDTH = 11, 14


def fit(text: str, width: int, style: str = "") -> Text:
    """The text cut to `width` cells with an ellipsis (a DataTable cell just clips)."""
    cell = Text(text, style=style)
    cell.truncate(width, overflow="ellipsis")
    return cell


class CourseTable(DataTable):
    """The task list; Enter opens the highlighted task."""

    BINDINGS = [Binding("enter", "select_cursor", "Open task")]


class CourseScreen(Screen):
    """Browse the course; Enter opens the highlighted task."""

    CSS_PATH = "course.tcss"
    BINDINGS = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        with Horizontal(id="overall"):
            yield Static(id="overall-label")
            yield ProgressBar(id="overall-bar", show_eta=False, show_percentage=True)
        search = Input(placeholder="/ filter tasks by id, title or kind", id="filter", compact=True)
        search.cursor_blink = self.app.blink
        yield search
        yield CourseTable(id="tasks", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_rows()
        self.query_one("#tasks", DataTable).focus()

    def on_resize(self) -> None:
        self.refresh_rows()

    def on_screen_resume(self) -> None:
        self.refresh_rows()

    def jobs_changed(self) -> None:
        self.refresh_rows()

    # ------------------------------------------------------------------ rows

    def refresh_rows(self) -> None:
        catalog = self.app.context.catalog
        progress = load_progress()
        query = self.query_one("#filter", Input).value
        table = self.query_one("#tasks", DataTable)
        keep = self._highlighted_key()
        table.clear(columns=True)
        id_width = min(14, max([4] + [len(t.id) for t in catalog]))
        widths = {"task": id_width, "kind": KIND_WIDTH, "status": STATUS_WIDTH}
        # The title takes what the others leave (2 cells of padding per column, a scrollbar).
        title_width = max(16, self.size.width - 2 - sum(w + 2 for w in widths.values()) - 5)
        for key in ("task", "title", "kind", "status"):
            table.add_column(key, key=key, width=widths.get(key, title_width))
        for number, group in enumerate(chapters(catalog, progress, self.app.running_tasks, query)):
            table.add_row("", fit(group.title, title_width, "bold cyan"), "", "",
                          key=f"chapter:{number}")
            for row in group.rows:
                status = Text(f"{STATUS_ICON[row.status]} {row.status}",
                              style=STATUS_STYLE[row.status])
                table.add_row(Text(row.task.id, style="bold"),
                              fit(row.task.spec.title, title_width), row.kind,
                              status, key=TASK_KEY + row.task.id)
        self._restore_cursor(keep)
        done, total = completed(catalog, progress), len(catalog)
        self.query_one("#overall-label", Static).update(f"{done}/{total} tasks complete")
        self.query_one("#overall-bar", ProgressBar).update(total=total or 1, progress=done)

    def _highlighted_key(self) -> str | None:
        table = self.query_one("#tasks", DataTable)
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no highlighted row
            return None

    def _restore_cursor(self, key: str | None) -> None:
        table = self.query_one("#tasks", DataTable)
        target = None
        if key is not None:
            try:
                target = table.get_row_index(key)
            except Exception:  # noqa: BLE001 - the row was filtered out
                target = None
        if target is None:
            target = next((i for i in range(table.row_count)
                           if self._row_key(i).startswith(TASK_KEY)), 0)
        if table.row_count:
            table.move_cursor(row=target, animate=False)

    def _row_key(self, index: int) -> str:
        table = self.query_one("#tasks", DataTable)
        return table.coordinate_to_cell_key((index, 0)).row_key.value or ""

    def highlighted_task(self) -> str | None:
        key = self._highlighted_key()
        if key and key.startswith(TASK_KEY):
            return key.removeprefix(TASK_KEY)
        return None

    # ------------------------------------------------------------------ actions

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        task_id = self.highlighted_task()
        if task_id is not None:
            self.app.open_task(task_id)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        search = self.query_one("#filter", Input)
        search.value = ""
        self.query_one("#tasks", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_rows()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#tasks", DataTable).focus()
