"""The task screen: instructions, hints one at a time, and the actions on the workspace.

Check, grade, train and submit run the real CLI in a worker (`tutor check TASK --json --path
WS` ...), so the screen never freezes and TensorFlow never enters this process.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown, Static, TabbedContent, TabPane
from textual.worker import Worker

from exercises import ExerciseKind, Task
from grader.report import Report
from tutor.report_view import ReportView
from tutor.state.student_progress import load_progress, record_done, record_hint, record_start
from tutor.state.workspace import WorkspaceError, start_workspace, workspace_path
from tutor.tui.course_data import STATUS_ICON, STATUS_STYLE, task_status
from tutor.tui.grading import run_report
from tutor.tui.runner import CliResult, run_cli
from tutor.tui.widgets.results import ResultsView


def home_relative(path: Path) -> str:
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


class TaskScreen(Screen):
    """One task. Esc goes back to the course."""

    CSS_PATH = "task.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the course (a running check or training stops)"),
        Binding("s", "start", "Start", tooltip="Start the workspace: copy the starter files (never overwrites yours)"),
        Binding("c", "check", "Check", tooltip="Check: fast structural feedback on your model (tutor check)"),
        Binding("g", "grade", "Grade", tooltip="Grade: every check, accuracy included, on model.keras (tutor grade)"),
        Binding("t", "train", "Train", tooltip="Train here with the task's recipe (not for GPU tasks: submit those)"),
        Binding("u", "submit", "Submit", tooltip="Submit the task to SLURM as a batch job (tutor submit)"),
        Binding("o", "open_job", "Job", tooltip="Open this task's jobs"),
        Binding("h", "hint", "Hint", tooltip="Reveal the next hint (tutor remembers)"),
        Binding("d", "done", "Done", tooltip="Mark a guide task as done"),
        Binding("i", "tab('instructions')", "Show the instructions", show=False),
        Binding("r", "tab('results')", "Show the results", show=False),
    ]

    def __init__(self, task: Task) -> None:
        super().__init__()
        self.exercise = task
        self.busy: Optional[str] = None
        self._since = time.monotonic()

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        spec = self.exercise.spec
        yield Header(icon="")
        yield Static(id="task-head")
        yield Static(id="workspace", classes="status-line")
        yield Static(id="submission", classes="status-line")
        with TabbedContent(initial="instructions", id="tabs"):
            with TabPane("Instructions", id="instructions"):
                with VerticalScroll(id="instructions-scroll"):
                    yield Markdown(self.exercise.instructions(), id="instructions-md")
            with TabPane(f"Hints (0/{len(spec.hints)})", id="hints"):
                with VerticalScroll(id="hints-scroll"):
                    yield Static(id="hints-text")
            with TabPane("Results", id="results"):
                yield ResultsView(id="results-view")
        yield Static(id="busy", classes="status-line", markup=False)  # reasons quote student text
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.refresh_head()
        self.refresh_hints()
        report = self.app.reports.get(self.exercise.id)
        if report is not None:
            self.query_one(ResultsView).show(report, self.exercise)
        self.query_one("#instructions-scroll").focus()

    def on_screen_resume(self) -> None:
        self.refresh_head()

    def jobs_changed(self) -> None:
        self.refresh_head()

    @property
    def workspace(self) -> Path:
        stored = load_progress().task(self.exercise.id).workspace
        if stored:
            return Path(stored)
        return workspace_path(self.exercise, self.app.context.workspace_root)

    def refresh_head(self) -> None:
        spec = self.exercise.spec
        entry = load_progress().task(spec.id)
        status = task_status(spec.id, load_progress(), self.app.running_tasks)
        head = Text()
        head.append(spec.id, style="bold")
        head.append(f"  {spec.title}", style="bold")
        head.append(f"  {STATUS_ICON[status]} {status}", style=STATUS_STYLE[status])
        if entry.best_score:
            head.append(f"  best {entry.best_score:.0%}", style="dim")
        facts = [spec.kind.value, f"chapter {spec.chapter}"]
        if spec.needs_gpu:
            facts.append("needs a GPU: submit it to SLURM (u)")
        head.append("\n" + spec.summary + "\n", style="")
        head.append(" · ".join(facts), style="dim")
        self.query_one("#task-head", Static).update(head)
        ws = self.workspace
        line = (f"workspace: {home_relative(ws)}" if ws.is_dir()
                else "workspace: not started yet (press s)")
        self.query_one("#workspace", Static).update(line)
        submission = self.query_one("#submission", Static)
        notebook = self._notebook_line(ws)
        submission.update(notebook)
        submission.display = bool(notebook)

    def _notebook_line(self, ws: Path) -> str:
        """'submission: lab.ipynb (notebook) · last check ran 3 of 5 code cells, stopped before ...'."""
        if self.exercise.spec.kind.value != "model" or not ws.is_dir():
            return ""
        from grader.intake.notebook import locate
        from grader.sandbox.staging import StagingError

        try:
            notebook = locate(self.exercise, ws).notebook
        except StagingError as exc:
            return f"submission: {exc}"
        if notebook is None:
            return ""
        line = f"submission: {notebook.name} (notebook)"
        report = self.app.reports.get(self.exercise.id)
        info = (report.meta or {}).get("notebook") if report is not None else None
        if isinstance(info, dict) and info.get("file") == notebook.name:
            stop = info.get("stopped_at")
            ran = f"ran {len(info.get('ran_cells') or [])} of {info.get('code_cells')} code cells"
            where = (f"stopped before cell {stop['cell']} line {stop['line']} (`{stop['code']}`), which {stop['why']}"
                     if isinstance(stop, dict) else "no cell trains")
            line += f" · last check {ran}, {where}"
        return line

    def refresh_hints(self) -> None:
        hints = self.exercise.spec.hints_for_target(self.app.context.target)
        shown = min(load_progress().task(self.exercise.id).hints_shown, len(hints))
        text = Text()
        for i in range(shown):
            text.append(f"Hint {i + 1}/{len(hints)}  ", style="bold cyan")
            text.append(hints[i] + "\n\n")
        if shown < len(hints):
            text.append(f"{len(hints) - shown} more: press h to reveal the next one.", style="dim")
        elif not hints:
            text.append("This task has no hints.", style="dim")
        self.query_one("#hints-text", Static).update(text)
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.get_tab("hints").label = f"Hints ({shown}/{len(hints)})"

    def set_busy(self, message: Optional[str], error: bool = False, done: bool = False) -> None:
        """Show `message` in the status line; the actions wait while busy (not error/done)."""
        self.busy = None if (error or done) else message
        self._since = time.monotonic()
        line = self.query_one("#busy", Static)
        line.set_class(error, "-error")
        line.update(message or "")
        self.refresh_bindings()

    def _tick(self) -> None:
        """While busy, the status line counts the seconds (the work runs in a subprocess)."""
        if self.busy:
            elapsed = int(time.monotonic() - self._since)
            self.query_one("#busy", Static).update(f"{self.busy}  {elapsed} s")

    # ------------------------------------------------------------------ which keys apply

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        spec = self.exercise.spec
        guide = spec.kind is ExerciseKind.guide
        if action in ("check", "grade"):
            return False if guide else (None if self.busy else True)
        if action == "train":
            if spec.kind is not ExerciseKind.model:
                return False
            return None if spec.needs_gpu or self.busy else True
        if action in ("submit", "open_job"):
            if spec.resources is None and spec.kind is not ExerciseKind.model:
                return False
            return None if action == "submit" and self.busy else True
        if action == "done":
            return guide
        if action == "hint":
            return bool(spec.hints)
        return True

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        self.focus_pane(tab)

    def focus_pane(self, tab: str) -> None:
        """The shown pane takes the focus, so the arrow keys and PgUp/PgDn scroll it at once."""
        pane = {"instructions": "#instructions-scroll", "hints": "#hints-scroll",
                "results": "#results-view"}.get(tab)
        if pane is not None:
            self.query_one(pane).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.focus_pane(event.pane.id)

    def action_hint(self) -> None:
        hints = self.exercise.spec.hints
        before = load_progress().task(self.exercise.id).hints_shown
        if before >= len(hints):
            self.app.notify(f"All {len(hints)} hints are shown.")
        else:
            with self.app.saving_state():
                record_hint(self.exercise.id, len(hints))
        self.refresh_hints()
        self.refresh_head()
        self.action_tab("hints")

    def action_start(self) -> None:
        try:
            result = start_workspace(self.exercise, self.app.context.workspace_root)
        except WorkspaceError as exc:
            self.app.notify(str(exc), severity="error")
            return
        with self.app.saving_state():
            record_start(self.exercise.id, result.path)
        self.refresh_head()
        added = f"{len(result.created)} starter files copied" if result.created else "nothing copied"
        kept = f", {len(result.kept)} of yours kept" if result.kept else ""
        self.app.notify(f"Workspace {home_relative(result.path)}: {added}{kept}.")

    def action_done(self) -> None:
        with self.app.saving_state():
            record_done(self.exercise.id)
            self.app.notify(f"{self.exercise.id} marked as done.")
        self.refresh_head()

    def action_check(self) -> None:
        self.run_mode("check")

    def action_grade(self) -> None:
        self.run_mode("grade")

    def action_open_job(self) -> None:
        self.app.action_jobs(task_id=self.exercise.id)

    def _workspace_or_warn(self) -> Optional[Path]:
        ws = self.workspace
        if not ws.is_dir():
            self.app.notify(f"{self.exercise.id} has no workspace yet: press s to start it.",
                            severity="warning")
            return None
        return ws

    # ------------------------------------------------------------------ workers

    @work(exclusive=True, group="task-action", exit_on_error=False)
    async def run_mode(self, mode: str) -> None:
        """`tutor check|grade TASK --json --path WS`, its report shown in the Results tab."""
        ws = self._workspace_or_warn()
        if ws is None:
            return
        self.set_busy(f"tutor {mode} {self.exercise.id}: running…")
        self.query_one(ResultsView).running(f"tutor {mode} {self.exercise.id}")
        result, report = await run_report(mode, self.exercise.id, ws)
        if report is None:
            self._failed(mode, result)
            return
        view = self.show_report(report, mode)
        self.set_busy(None)
        self.refresh_head()
        self._announce(mode, report, view)

    @work(exclusive=True, group="task-action", exit_on_error=False)
    async def action_train(self) -> None:
        """`tutor train TASK --json --path WS`: progress in the status line, then, as the CLI
        does, the grade of the model it trained in the Results tab."""
        ws = self._workspace_or_warn()
        if ws is None:
            return
        self.set_busy(f"tutor train {self.exercise.id}: starting…")
        self.query_one(ResultsView).running(f"tutor train {self.exercise.id}")

        def progress(line: str) -> None:
            if line.strip().startswith(("epoch", "training")):
                self.busy = f"training: {line.strip()[:200]}"
                self.query_one("#busy", Static).update(self.busy)

        result = await run_cli("train", self.exercise.id, "--json", "--path", str(ws), on_line=progress)
        report = result.report()
        if report is None or report.status == "error":
            if report is not None:
                self.show_report(report)
            self._failed("train", result)
            return
        view = self.show_report(report)
        self.set_busy(None)
        self.refresh_head()
        self._announce("train", report, view)

    @work(exclusive=True, group="task-action", exit_on_error=False)
    async def action_submit(self) -> None:
        """`tutor submit TASK --path WS`: a SLURM job; the jobs screen follows it."""
        ws = self._workspace_or_warn()
        if ws is None:
            return
        self.set_busy(f"tutor submit {self.exercise.id}: submitting…")
        result = await run_cli("submit", self.exercise.id, "--path", str(ws), timeout=120)
        if not result.ok:
            self._failed("submit", result)
            return
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        self.set_busy(None)
        self.app.notify(lines[-1] if lines else f"{self.exercise.id} submitted. Press o to follow it.")
        self.app.poll_jobs_now()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "task-action" and self.app.worker_failed(event, self.exercise.id):
            self.set_busy(f"{self.exercise.id}: stopped, see the notification", error=True)

    # ------------------------------------------------------------------ results

    def show_report(self, report: Report, mode: str = "grade") -> ReportView:
        self.app.reports[self.exercise.id] = report
        view = self.query_one(ResultsView).show(report, self.exercise, mode)
        self.refresh_head()
        self.action_tab("results")
        return view

    def _failed(self, mode: str, result: CliResult) -> None:
        reason = result.reason
        self.query_one(ResultsView).stopped(f"tutor {mode} {self.exercise.id}", reason)
        self.set_busy(f"tutor {mode} failed: {reason}", error=True)
        self.app.notify(reason, title=f"tutor {mode} {self.exercise.id}", severity="error")

    def _announce(self, mode: str, report: Report, view: ReportView) -> None:
        """The report's verdict as a notification: the headline, the first problem's own
        reason, the next step (the words the Results pane shows)."""
        from tutor.next_step import first_problem

        title = f"tutor {mode} {self.exercise.id}"
        problem = first_problem(report)
        cause = f" {problem.message.rstrip('.')}." if problem is not None and problem.message else ""
        text = f"{view.headline[:1].upper()}{view.headline[1:]}.{cause} Next: {view.next_step}".replace("`", "")
        severity = {"passed": "information", "failed": "warning"}.get(report.status, "error")
        self.app.notify(report.error or text if report.status == "error" else text, title=title,
                        severity=severity)
