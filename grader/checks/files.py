"""files_exist and confirm: the simplest checks, on the submission folder and the progress."""

from __future__ import annotations

from pathlib import Path

from exercises import schema as s
from grader.checks.common import failed, matching_files, passed
from grader.checks.context import CheckContext
from grader.report import CheckResult


def has_content(path: Path) -> bool:
    """Non-empty; for Markdown, something besides headings (an untouched template is empty)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    lines = [line.strip() for line in text.splitlines()]
    if path.suffix.lower() == ".md":
        return any(line and not line.startswith("#") for line in lines)
    return any(lines)


def files_exist(check: s.FilesExistCheck, ctx: CheckContext) -> CheckResult:
    missing, empty = [], []
    for pattern in check.files:
        matches = matching_files(ctx.submission, pattern)
        if not matches:
            missing.append(pattern)
        elif not any(has_content(p) for p in matches):
            empty.append(pattern)
    want = ", ".join(check.files)
    if missing:
        return failed(check, f"missing in {ctx.submission}: {', '.join(missing)}", want, f"missing {', '.join(missing)}")
    if empty:
        return failed(check, f"still empty (only headings): {', '.join(empty)}: write your answers", want, f"empty {', '.join(empty)}")
    return passed(check, f"found {want}", want, "present")


def confirm(check: s.ConfirmCheck, ctx: CheckContext) -> CheckResult:
    if ctx.extra.get("confirmed"):
        return passed(check, "you confirmed this step", "confirmed", "confirmed")
    return failed(
        check,
        f"not confirmed yet: run `tutor done {ctx.spec.id}` once it works for you",
        "confirmed",
        "not yet",
    )
