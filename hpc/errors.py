"""The one error type of the cluster side: a reason and the fix, shown as one line."""

from __future__ import annotations


class HpcError(Exception):
    """Something the user can fix. `str(error)` is the one line: `reason: fix`."""

    def __init__(self, reason: str, fix: str = "") -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}: {fix}" if fix else reason)


class ProfileError(HpcError):
    """A cluster profile that cannot be used (unknown, invalid, placeholder left in)."""


class NotOnCluster(HpcError):
    """No SLURM commands on this machine."""


class Rejected(HpcError):
    """sbatch refused the job; `slurm_message` is what SLURM said."""

    def __init__(self, reason: str, fix: str, slurm_message: str) -> None:
        self.slurm_message = slurm_message
        super().__init__(reason, fix)


class UnknownJob(HpcError):
    """A job id tutor has no record of."""
