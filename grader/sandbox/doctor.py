"""What `tutor doctor` says about the sandbox: can children run without network here?"""

from __future__ import annotations

import os


def sandbox_findings() -> list:
    from tutor.doctor import Finding

    from grader.sandbox.netns import network_can_be_dropped

    findings = []
    if network_can_be_dropped():
        findings.append(Finding("sandbox", "ok", "student code runs without network (user + network namespace)"))
    else:
        findings.append(
            Finding(
                "sandbox",
                "warn",
                "this machine forbids unprivileged user namespaces: student code keeps the network "
                "(time, memory and output limits still apply)",
                "ask the admins for user.max_user_namespaces > 0, or grade on a node that allows it",
            )
        )
    cuda = os.path.exists("/dev/nvidia0")
    limit = "RLIMIT_DATA (CUDA reserves large address ranges)" if cuda else "RLIMIT_AS"
    findings.append(Finding("sandbox", "ok", f"memory cap per submission via {limit}; own process group, temporary HOME"))
    return findings
