"""The Textual app: screens for the course, a task, the jobs and help.

The app owns what every screen shares: the course context, the last reports per task and
the student's jobs, refreshed by one polite poller (one `tutor jobs --json` per refresh,
slower when nothing is running, backing off on errors).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Awaitable, Callable, Iterator, Optional

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from grader.report import Report
from hpc.jobrow import JobRow, read_job_list
from tutor.context import Context
from tutor.tui.runner import CliResult, run_cli

JobsFetcher = Callable[[], Awaitable[CliResult]]

# Seconds between job polls: a job is active and the jobs screen is open / a job is active /
# nothing is running. Errors double the wait up to the last value.
POLL_FAST, POLL_ACTIVE, POLL_IDLE, POLL_MAX = 5.0, 15.0, 60.0, 300.0


async def fetch_jobs_from_cli() -> CliResult:
    return await run_cli("jobs", "--json", timeout=60)


class TutorApp(App[None]):
    """`tutor` with no arguments."""

    CSS_PATH = ["app.tcss", "widgets/results.tcss", "widgets/jobs.tcss"]
    TITLE = "tutor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("j", "jobs", "Jobs"),
    ]

    def __init__(
        self,
        context: Optional[Context] = None,
        *,
        fetch_jobs: Optional[JobsFetcher] = fetch_jobs_from_cli,
        blink: bool = True,
    ) -> None:
        super().__init__()
        if context is None:
            from tutor.context import load_context

            context = load_context()
        self.context = context
        self.sub_title = context.config.course
        self.blink = blink
        self.fetch_jobs = fetch_jobs
        self.jobs: list[JobRow] = []
        self.jobs_error: Optional[str] = None
        self.reports: dict[str, Report] = {}
        self.notices: list[tuple[str, str]] = []
        self._jobs_warnings: set[str] = set()  # `tutor jobs` warnings already shown
        self._poll_timer: Optional[Timer] = None
        self._poll_wait = POLL_IDLE
        self._saved_showwarning = warnings.showwarning

    # ------------------------------------------------------------------ screens

    def on_mount(self) -> None:
        from tutor.tui.screens.course import CourseScreen

        # Warnings (e.g. a corrupt progress file moved aside) become notifications.
        warnings.showwarning = self._show_warning

        self.push_screen(CourseScreen())
        if self.fetch_jobs is not None:
            self._schedule_poll(1.0)

    def on_unmount(self) -> None:
        warnings.showwarning = self._saved_showwarning

    def open_task(self, task_id: str) -> None:
        from tutor.tui.screens.task import TaskScreen

        self.push_screen(TaskScreen(self.context.task(task_id)))

    def action_jobs(self, task_id: Optional[str] = None) -> None:
        from tutor.tui.screens.jobs import JobsScreen

        if isinstance(self.screen, JobsScreen):
            return
        self.push_screen(JobsScreen(task_id=task_id))
        self.poll_jobs_now()

    def action_help(self) -> None:
        from tutor.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @contextmanager
    def saving_state(self) -> Iterator[None]:
        """A progress write that fails (a full disk, an unwritable home) is a notification."""
        try:
            yield
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            self.notify(f"could not save your progress: {where}{exc.strerror or exc}",
                        severity="error")

    def worker_failed(self, event: Worker.StateChanged, what: str) -> bool:
        """A worker that raised: say so in one line (never a traceback); True if it did."""
        if event.state is not WorkerState.ERROR:
            return False
        error = event.worker.error
        if isinstance(error, OSError) and error.strerror:
            reason = f"{error.filename + ': ' if error.filename else ''}{error.strerror}"
        else:
            reason = str(error) or type(error).__name__
        self.notify(f"{what} failed: {reason}", severity="error")
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "jobs-poll" and self.worker_failed(event, "polling your jobs"):
            self._schedule_poll(POLL_MAX)

    def _show_warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        self.notify(str(message), severity="warning")

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: Optional[float] = None, markup: bool = False) -> None:
        """Every notification is also kept in `notices` (what the student was told)."""
        self.notices.append((severity, message))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # ------------------------------------------------------------------ jobs

    @property
    def running_tasks(self) -> set[str]:
        return {job.task for job in self.jobs if job.active and job.task}

    def poll_jobs_now(self) -> None:
        if self.fetch_jobs is not None:
            self._schedule_poll(0.0)

    def _schedule_poll(self, delay: float) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        if delay <= 0:
            self._poll_jobs()
        else:
            self._poll_timer = self.set_timer(delay, self._poll_jobs)

    def _tell_warnings(self, stderr: str) -> None:
        """`tutor jobs`'s warnings (a damaged job list repaired, SLURM not reachable), each once."""
        for line in stderr.splitlines():
            line = line.strip()
            if line.startswith("warning:") and line not in self._jobs_warnings:
                self._jobs_warnings.add(line)
                self.notify(line.removeprefix("warning:").strip(), title="tutor jobs", severity="warning")

    @work(exclusive=True, group="jobs-poll", exit_on_error=False)
    async def _poll_jobs(self) -> None:
        from tutor.tui.screens.jobs import JobsScreen

        assert self.fetch_jobs is not None
        result = await self.fetch_jobs()
        jobs, problem = None, result.reason
        if result.ok:
            try:
                jobs = read_job_list(result.stdout)
            except ValueError as exc:
                problem = str(exc)
            self._tell_warnings(result.stderr)
        if jobs is None:
            self.jobs_error = problem
            self._poll_wait = min(max(self._poll_wait, POLL_IDLE) * 2, POLL_MAX)
        else:
            self.jobs_error = None
            self.jobs = jobs
            watching = any(isinstance(s, JobsScreen) for s in self.screen_stack)
            active = any(job.active for job in jobs)
            self._poll_wait = (POLL_FAST if watching else POLL_ACTIVE) if active else POLL_IDLE
        for screen in self.screen_stack:
            handler = getattr(screen, "jobs_changed", None)
            if handler is not None and screen.is_mounted:
                handler()
        self._schedule_poll(self._poll_wait)
