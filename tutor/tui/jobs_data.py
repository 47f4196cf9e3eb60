"""The student's jobs as the TUI reads them from `tutor jobs --json` (the HPC issue's CLI).

Tolerant on purpose: unknown keys are ignored and a few spellings of the id are accepted,
so the screen keeps working while the job store grows fields.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

ACTIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING",
     "SUBMITTED"}
)


class JobView(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    job_id: str = Field(validation_alias=AliasChoices("job_id", "id", "jobid"))
    task: Optional[str] = None
    state: str = "UNKNOWN"
    elapsed: Optional[str] = None
    node: Optional[str] = None
    exit_code: Optional[str] = None
    reason: Optional[str] = None
    workspace: Optional[str] = None
    stdout: Optional[str] = Field(default=None, validation_alias=AliasChoices(
        "stdout", "stdout_path", "out", "output"))
    stderr: Optional[str] = Field(default=None, validation_alias=AliasChoices(
        "stderr", "stderr_path", "err", "error_log"))
    submitted_at: Optional[str] = None

    @field_validator("job_id", "exit_code", "elapsed", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> str:
        return str(value or "UNKNOWN").split()[0].upper()

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


def parse_jobs(data: Any) -> Optional[list[JobView]]:
    """`tutor jobs --json` output (a list, or {"jobs": [...]}) as JobViews; None if unusable."""
    if isinstance(data, dict):
        data = data.get("jobs")
    if not isinstance(data, list):
        return None
    jobs = []
    for item in data:
        try:
            jobs.append(JobView.model_validate(item))
        except ValidationError:
            continue
    return jobs


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
