"""One job of the student's, as every part of tutor sees it: the row the job store keeps, the
object `tutor jobs --json` prints and the row the TUI's jobs screen shows. One model for all
three, so a field added here shows everywhere and nobody guesses at names.

`tutor jobs --json` prints `JOB_LIST.dump_json(rows)`: a JSON list of these objects, every field
below plus the computed `status`, `stdout` and `stderr` (README, "tutor jobs --json").
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, computed_field, field_validator

from hpc.slurm import JobInfo, JobStatus, job_status, normalise_state


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def expand_pattern(pattern: str, job_name: str, job_id: str) -> str:
    """SLURM's file-name pattern for one job or array task (%x %j %A %a %%)."""
    parent, _, index = job_id.partition("_")
    out = pattern.replace("%%", "\0")
    out = out.replace("%x", job_name).replace("%A", parent).replace("%a", index or "0")
    out = out.replace("%j", parent if not index else job_id)
    return out.replace("\0", "%")


class JobRow(BaseModel):
    """A job `tutor submit` sent, with what SLURM last said about it."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    job_id: str = Field(min_length=1, description='SLURM\'s job id ("123", or "123_4" for an array task)')
    task: str = Field(description="the task the job trains, e.g. task8.4")
    state: str = Field("PENDING", description="SLURM's state as last seen: PENDING, RUNNING, COMPLETED, FAILED...")
    elapsed: Optional[str] = Field(None, description="run time so far, SLURM's [D-]HH:MM:SS")
    node: Optional[str] = Field(None, description="the node(s) it runs or ran on")
    exit_code: Optional[str] = Field(None, description='SLURM\'s "code:signal", once it has ended')
    reason: Optional[str] = Field(None, description="why it is still pending (SLURM's reason); null once it ends")
    profile: str = Field(description="the cluster profile it was submitted with")
    workspace: Path = Field(description="the folder it was submitted from (its logs are written there)")
    script: str = Field(description="the job script's file name in the workspace")
    job_name: str = Field(description="SLURM's --job-name")
    stdout_pattern: str = Field("%x.%j.out", description="SLURM's --output pattern (%x %j %A %a)")
    stderr_pattern: str = Field("%x.%j.err", description="SLURM's --error pattern")
    submitted_at: datetime = Field(description="when tutor submitted it (ISO 8601, UTC)")
    updated_at: Optional[datetime] = Field(None, description="when SLURM was last asked about it")

    @field_validator("state", mode="before")
    @classmethod
    def _slurm_spelling(cls, value: Any) -> Any:
        """`running` or `CANCELLED by 0` (a hand-edited or sacct-style state) as SLURM's word."""
        return normalise_state(value) if isinstance(value, str) else value

    @computed_field(description="active, finished (COMPLETED) or failed (any other final state)")
    @property
    def status(self) -> JobStatus:
        return job_status(self.state)

    @computed_field(description="the job's stdout log (the pattern expanded)")
    @property
    def stdout(self) -> Path:
        return self.workspace / expand_pattern(self.stdout_pattern, self.job_name, self.job_id)

    @computed_field(description="the job's stderr log (the same file as stdout when SLURM merges them)")
    @property
    def stderr(self) -> Path:
        return self.workspace / expand_pattern(self.stderr_pattern, self.job_name, self.job_id)

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def final(self) -> bool:
        return not self.active

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def apply(self, info: JobInfo) -> "JobRow":
        """This row with SLURM's fresh facts."""
        return self.model_copy(
            update={
                "state": info.state,
                "exit_code": info.exit_code or self.exit_code,
                "elapsed": info.elapsed or self.elapsed,
                "node": info.node or self.node,
                "reason": info.reason if not info.final else None,
                "updated_at": now(),
            }
        )


COMPUTED = frozenset(JobRow.model_computed_fields)  # printed by `tutor jobs --json`, never stored
JOB_LIST = TypeAdapter(list[JobRow])  # `tutor jobs --json`: dump_json to print, validate_json to read


def first_error(error: ValidationError) -> str:
    """Pydantic's first complaint as one short line: `field: what is wrong`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the row"
    return f"{where}: {' '.join(str(first['msg']).split())[:80]}"


def read_job_list(text: str) -> list[JobRow]:
    """`tutor jobs --json` output as rows; ValueError with a one-line reason if it is not a job list."""
    try:
        return JOB_LIST.validate_json(text)
    except ValidationError as exc:
        raise ValueError(f"`tutor jobs --json` gave no job list ({first_error(exc)})") from None
