"""`tutor doctor` findings for the sandbox: the isolation student code gets here, and the memory cap."""

from __future__ import annotations

from grader.sandbox.isolation import WEAK_HINT, available, describe, why_weaker
from grader.sandbox.policy import cuda_present
from tutor.finding import Finding


def sandbox_findings() -> list[Finding]:
    """The isolation level student code gets on this machine, and how memory is capped."""
    level = available()
    if level == "namespaces":
        findings = [Finding("sandbox", "ok", f"isolation {describe(level)}")]
    else:
        findings = [Finding("sandbox", "warn", f"isolation {describe(level)} ({why_weaker()})", WEAK_HINT)]
    limit = "RLIMIT_DATA (CUDA reserves large address ranges)" if cuda_present() else "RLIMIT_AS"
    findings.append(Finding("sandbox", "ok", f"memory cap per submission via {limit}; per-job disk budget, "
                            "time and output limits; temporary HOME"))
    return findings
