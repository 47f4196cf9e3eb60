"""Helpers every check family shares: building a `CheckResult` and formatting bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from grader.report import CheckResult, CheckStatus


def result(
    check: Any,
    status: CheckStatus,
    message: str,
    expected: Any = None,
    actual: Any = None,
    share: Optional[float] = None,
) -> CheckResult:
    """A result for `check` (any spec check model); points are earned only when it passes,
    or `share` of them for a failed multi-part check with `partial_credit = true`."""
    earned = float(check.points) if status == "passed" else 0.0
    if status == "failed" and share and getattr(check, "partial_credit", False):
        earned = round(float(check.points) * min(max(share, 0.0), 1.0), 4)
    return CheckResult(
        id=check.id,
        kind=check.kind,
        status=status,
        message=message,
        expected=expected,
        actual=actual,
        points=earned,
        max_points=float(check.points),
        required=check.required,
    )


def passed(check: Any, message: str, expected: Any = None, actual: Any = None) -> CheckResult:
    return result(check, "passed", message, expected, actual)


def failed(check: Any, message: str, expected: Any = None, actual: Any = None,
           share: Optional[float] = None) -> CheckResult:
    return result(check, "failed", message, expected, actual, share)


def missing(check: Any, message: str, expected: Any = None, actual: Any = "not handed in") -> CheckResult:
    """What the check reads is not in the submission (status "missing", no points)."""
    return result(check, "missing", message, expected, actual)


def bounds_text(exact: Optional[float], low: Optional[float], high: Optional[float]) -> str:
    """'62,346', '>= 2', '<= 5,000,000' or '2 .. 5' for a want column."""
    if exact is not None:
        return f"{exact:,}"
    if low is not None and high is not None:
        return f"{low:,} .. {high:,}"
    if low is not None:
        return f">= {low:,}"
    return f"<= {high:,}"


def within(value: float, exact: Optional[float], low: Optional[float], high: Optional[float]) -> bool:
    if exact is not None and value != exact:
        return False
    if low is not None and value < low:
        return False
    if high is not None and value > high:
        return False
    return True


def shape_text(shape: Optional[list]) -> str:
    """(None, 28, 28, 1) as Keras prints it."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


class FileProblem(Exception):
    """A submission file that cannot be read as asked (missing, outside the folder, too big)."""


def submission_file(submission: Path, name: str, max_bytes: int = 4 * 1024 * 1024) -> Path:
    """`name` inside the submission folder, refusing paths (and symlinks) that leave it."""
    root = submission.resolve()
    path = submission / name
    if not path.exists() and not path.is_symlink():
        raise FileProblem(f"{name} not found in {submission}")
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise FileProblem(f"{name} points outside the submission folder: copy the file itself in")
    if not resolved.is_file():
        raise FileProblem(f"{name} is not a regular file")
    if resolved.stat().st_size > max_bytes:
        raise FileProblem(f"{name} is larger than {max_bytes // (1024 * 1024)} MB")
    return resolved


def matching_files(submission: Path, pattern: str) -> list[Path]:
    """Files matching a glob inside the submission folder (newest first), symlinks out refused."""
    root = submission.resolve()
    found = []
    for path in submission.glob(pattern):
        resolved = path.resolve()
        if resolved.is_file() and root in resolved.parents:
            found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
