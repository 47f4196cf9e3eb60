"""files_exist and confirm: the simplest checks, on the submission folder and the progress."""

from __future__ import annotations

from pathlib import Path

from exercises import schema as s
from grader.checks.common import failed, matching_files, missing, passed
from grader.checks.context import CheckContext
from grader.checks.registry import implements
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


@implements(s.FilesExistCheck)
def files_exist(check: s.FilesExistCheck, ctx: CheckContext) -> CheckResult:
    absent, empty = [], []
    for pattern in check.files:
        matches = matching_files(ctx.submission, pattern)
        if not matches:
            absent.append(pattern)
        elif not any(has_content(p) for p in matches):
            empty.append(pattern)
    want = ", ".join(check.files)
    share = 1 - (len(absent) + len(empty)) / len(check.files)
    if absent and len(absent) == len(check.files):
        return missing(check, f"not handed in: {', '.join(absent)}", want, f"missing {', '.join(absent)}")
    if absent:
        return failed(check, f"missing from your submission: {', '.join(absent)}", want,
                      f"missing {', '.join(absent)}", share)
    if empty:
        return failed(check, f"still empty (only headings): {', '.join(empty)}: write your answers", want,
                      f"empty {', '.join(empty)}", share)
    return passed(check, f"found {want}", want, "present")


@implements(s.ConfirmCheck)
def confirm(check: s.ConfirmCheck, ctx: CheckContext) -> CheckResult:
    if ctx.facts.confirmed:
        return passed(check, "you confirmed this step", "confirmed", "confirmed")
    return failed(
        check,
        f"not confirmed yet: run `tutor done {ctx.spec.id}` once it works for you",
        "confirmed",
        "not yet",
    )


@implements(s.ManualCheck)
def manual(check: s.ManualCheck, ctx: CheckContext) -> CheckResult:
    """A rubric item: the instructor marks it (`marks.csv` of `tutor batch`)."""
    from grader.checks.common import result

    return result(check, "manual", f"marked by your instructor: {check.rubric}", check.rubric, "to be marked")
