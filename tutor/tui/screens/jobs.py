"""The jobs screen: the student's SLURM jobs, refreshing on their own, with the highlighted
job's log (noise filter on or off), its loss/accuracy per epoch, and, once graded, the
confusion matrix."""

from __future__ import annotations

import asyncio
from typing import Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Log, Static, TabbedContent, TabPane
from textual.worker import Worker

from hpc.jobrow import JobRow
from tutor.services.joblogs import job_logs
from tutor.tui.grading import run_report
from tutor.tui.runner import run_cli
from tutor.tui.training_log import epoch_series, filter_noise
from tutor.tui.widgets.confusion import confusion_table, matrix_from
from tutor.tui.widgets.training_plot import TrainingPlot

LOG_LIMIT = 200_000  # bytes of a log shown (its tail)
STATE_STYLE = {
    "PENDING": "yellow",
    "RUNNING": "bold cyan",
    "COMPLETING": "cyan",
    "COMPLETED": "green",
    "FAILED": "bold red",
    "CANCELLED": "magenta",
    "TIMEOUT": "red",
    "OUT_OF_MEMORY": "red",
    "NODE_FAIL": "red",
}
STATUS_STYLE = {"active": "cyan", "finished": "green", "failed": "red"}  # states without their own
NO_JOBS = ("No jobs yet.\n\n"
           "Open a task that trains on the cluster (task8.4, task8.5)\n"
           "and press u to submit it, or run `tutor submit TASK`\n"
           "(add --dry-run to see its job script first).\n"
           "Its state, log and plot appear here; the list refreshes itself.")


class JobsScreen(Screen):
    """Your jobs. Esc goes back."""

    CSS_PATH = "jobs.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back"),
        Binding("r", "refresh", "Refresh", tooltip="Refresh the job list now (it also refreshes on its own)"),
        Binding("f", "toggle_filter", "Noise filter", tooltip="Noise filter on/off: hide TensorFlow's start-up lines"),
        Binding("l", "tab('log')", "Log", tooltip="Show the job's log"),
        Binding("p", "tab('plot')", "Plot", tooltip="Plot loss and accuracy per epoch"),
        Binding("m", "tab('matrix')", "Matrix", tooltip="Show the confusion matrix of the last grade"),
        Binding("g", "grade", "Grade", tooltip="Grade the finished job's task (tutor grade)"),
        Binding("x", "cancel", "Cancel job", tooltip="Cancel the highlighted job (tutor cancel)"),
    ]

    def __init__(self, task_id: Optional[str] = None) -> None:
        super().__init__()
        self.task_id = task_id
        self.filtered = True
        self.stdout = ""
        self.stderr = ""
        self.shown_job: Optional[str] = None
        self.shown_state: Optional[str] = None  # the job's state when its log was read

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield Static(id="jobs-status", classes="status-line", markup=False)
        yield DataTable(id="jobs", cursor_type="row")
        with TabbedContent(initial="log", id="job-tabs"):
            with TabPane("Log", id="log"):
                yield Log(id="job-log", highlight=False)
            with TabPane("Plot", id="plot"):
                yield TrainingPlot(id="job-plot")
            with TabPane("Matrix", id="matrix"):
                yield Static("Grade a finished job (g) to see its confusion matrix.",
                             id="job-matrix", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#jobs", DataTable)
        for label, width in (("job", 8), ("task", 9), ("state", 11), ("elapsed", 9),
                             ("node", 10), ("exit", 5), ("reason", None)):
            table.add_column(label, key=label, width=width)
        self.jobs_changed()
        table.focus()

    # ------------------------------------------------------------------ the list

    def jobs_changed(self) -> None:
        app = self.app
        table = self.query_one("#jobs", DataTable)
        keep = self.selected_job()
        jobs = list(reversed(app.jobs))  # newest first
        table.clear()
        for job in jobs:
            state = Text(job.state, style=STATE_STYLE.get(job.state) or STATUS_STYLE[job.status])
            table.add_row(job.job_id, job.task or "", state, job.elapsed or "", job.node or "",
                          job.exit_code or "", job.reason or "", key=job.job_id)
        status = self.query_one("#jobs-status", Static)
        if app.jobs_error:
            status.set_class(True, "-error")
            status.update(f"jobs: {app.jobs_error}")
        else:
            status.set_class(False, "-error")
            active = sum(job.active for job in jobs)
            status.update(f"{len(jobs)} jobs · {active} active · auto-refresh (r now) · "
                          "noise filter " + ("on" if self.filtered else "off"))
        if not jobs and self.shown_job is None:
            self._write_log(NO_JOBS if not app.jobs_error else f"Could not list your jobs: {app.jobs_error}")
        target = keep or self._preferred(jobs)
        if target is not None and table.row_count:
            try:
                table.move_cursor(row=table.get_row_index(target), animate=False)
            except Exception:  # noqa: BLE001 - the job left the list
                pass
        job = self.job(self.selected_job())
        # Re-read while the job runs, and once more when it has finished (the log's tail).
        if job is not None and (job.job_id != self.shown_job or job.active
                                or job.state != self.shown_state):
            self.load_log(job)

    def _preferred(self, jobs: list[JobRow]) -> Optional[str]:
        for job in jobs:
            if self.task_id is None or job.task == self.task_id:
                return job.job_id
        return None

    def selected_job(self) -> Optional[str]:
        table = self.query_one("#jobs", DataTable)
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001
            return None

    def job(self, job_id: Optional[str]) -> Optional[JobRow]:
        return next((j for j in self.app.jobs if j.job_id == job_id), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        job = self.job(event.row_key.value if event.row_key else None)
        if job is not None and job.job_id != self.shown_job:
            self.load_log(job)

    # ------------------------------------------------------------------ the log and plot

    @work(exclusive=True, group="job-log", exit_on_error=False)
    async def load_log(self, job: JobRow) -> None:
        logs = await asyncio.to_thread(job_logs, job, LOG_LIMIT)
        stdout, stderr = logs.stdout, logs.stderr
        if not logs.written:
            result = await run_cli("logs", job.job_id, "--raw", timeout=60)
            stdout, stderr = (result.stdout, "") if result.ok else ("", "")
            if not result.ok:
                self.stdout, self.stderr, self.shown_job = "", "", job.job_id
                self.shown_state = job.state
                self._write_log(f"(no log yet: {result.reason})")
                return
        self.stdout, self.stderr, self.shown_job = stdout or "", stderr or "", job.job_id
        self.shown_state = job.state
        self.render_log()
        self.query_one(TrainingPlot).show(epoch_series(self.stdout, self.stderr))
        report = self.app.reports.get(job.task or "")
        if report is not None:
            self.show_matrix(report)

    def render_log(self) -> None:
        text = self.stdout
        if self.stderr:
            text += ("\n" if text and not text.endswith("\n") else "") + "── stderr ──\n" + self.stderr
        self._write_log(filter_noise(text) if self.filtered else text)

    def _write_log(self, text: str) -> None:
        log = self.query_one("#job-log", Log)
        log.clear()
        log.write(text.replace("\r\n", "\n").replace("\r", "\n"))

    def show_matrix(self, report) -> None:
        matrix = matrix_from(report)
        target = self.query_one("#job-matrix", Static)
        if matrix is None:
            target.update(f"{report.task}: graded {report.status} "
                          f"({report.score:.0%}); the report has no confusion matrix.")
        else:
            target.update(confusion_table(matrix))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group in ("job-log", "job-action"):
            self.app.worker_failed(event, "the jobs screen")

    # ------------------------------------------------------------------ actions

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_refresh(self) -> None:
        self.app.poll_jobs_now()

    def action_tab(self, tab: str) -> None:
        self.query_one("#job-tabs", TabbedContent).active = tab

    def action_toggle_filter(self) -> None:
        self.filtered = not self.filtered
        self.render_log()
        self.jobs_changed()

    @work(exclusive=True, group="job-action", exit_on_error=False)
    async def action_cancel(self) -> None:
        job = self.job(self.selected_job())
        if job is None or not job.active:
            self.app.notify("Choose a queued or running job to cancel.", severity="warning")
            return
        result = await run_cli("cancel", job.job_id, timeout=60)
        if result.ok:
            self.app.notify(f"Job {job.job_id} cancelled.")
        else:
            self.app.notify(result.reason, title="tutor cancel", severity="error")
        self.app.poll_jobs_now()

    @work(exclusive=True, group="job-action", exit_on_error=False)
    async def action_grade(self) -> None:
        job = self.job(self.selected_job())
        if job is None or not job.task:
            self.app.notify("Choose a job to grade.", severity="warning")
            return
        if job.active:
            self.app.notify(f"Job {job.job_id} is still {job.state.lower()}; grade it when "
                            "it has finished.", severity="warning")
            return
        self.query_one("#job-matrix", Static).update(f"tutor grade {job.task}: running…")
        self.action_tab("matrix")
        result, report = await run_report("grade", job.task, job.workspace)
        if report is None:
            self.query_one("#job-matrix", Static).update(f"could not grade: {result.reason}")
            self.app.notify(result.reason, title=f"tutor grade {job.task}", severity="error")
            return
        self.app.reports[job.task] = report
        self.show_matrix(report)
        self.app.notify(f"{job.task}: {report.status}, {report.points:g}/{report.max_points:g} "
                        "points.", severity="information" if report.status == "passed" else "warning")
