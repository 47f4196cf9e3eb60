"""The sandbox: a fork server with TensorFlow preloaded, one limited child per job."""

from grader.sandbox.client import ForkServer, SandboxError
from grader.sandbox.policy import GiB, MiB, Policy
from grader.sandbox.protocol import JobFailure, Reply
from grader.sandbox.staging import StagingError, copy_submission

__all__ = [
    "ForkServer",
    "GiB",
    "JobFailure",
    "MiB",
    "Policy",
    "Reply",
    "SandboxError",
    "StagingError",
    "copy_submission",
]
