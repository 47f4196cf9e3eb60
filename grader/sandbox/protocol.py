"""Messages between the trusted parent, the fork server and its children (JSON lines)."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from grader.sandbox.policy import Policy

JobKind = Literal["build", "evaluate", "train", "probe"]
Failure = Literal["timeout", "memory", "cpu", "output", "file", "disk", "crash", "exit", "refused", "server"]


class JobFailure(Exception):
    """Raised inside a child: the job could not be done; str() is the one-line reason."""


class Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    kind: JobKind
    workdir: str
    policy: Policy
    args: dict[str, Any] = {}


class Reply(BaseModel):
    """The server's answer for one job. `result` is untrusted: each caller validates it."""

    model_config = ConfigDict(extra="forbid")

    id: int
    ok: bool
    result: Optional[dict[str, Any]] = None
    reason: Optional[str] = None
    failure: Optional[Failure] = None
    network_dropped: bool = False
    read_only: bool = False
    isolation: Optional[str] = None  # the level the job ran at (grader.sandbox.isolation), said by C
    exit_code: Optional[int] = None
    output_tail: str = ""
    wall_s: float = 0.0


class Ready(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ready: bool = True
    tensorflow: str
    keras: str
    import_s: float = Field(ge=0)
    pid: int
    onednn: bool = False  # TensorFlow's oneDNN CPU kernels (TF_ENABLE_ONEDNN_OPTS=1 at import)
    isolation: str = "none"  # grader.sandbox.isolation level of this server's jobs
