"""`tutor doctor` findings for the cluster: the profile in force, and SLURM's verdict on it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hpc.errors import HpcError
from hpc.profiles import load_profile
from hpc.slurm import Slurm
from hpc.submit import probe_profile
from tutor.config import ConfigError, load_config
from tutor.finding import Finding


def cluster_findings() -> list[Finding]:
    """The cluster profile in force, and SLURM's verdict on a job of it (`sbatch --test-only`)."""
    try:
        config = load_config()
        profile = load_profile(config.profile, config.profiles_dir)
    except (ConfigError, HpcError) as exc:
        return [Finding("cluster", "error", str(exc).splitlines()[0], "fix the profile named above")]
    findings = [Finding("cluster", "ok", f"cluster profile '{profile.name}': {profile.source}")]
    holes = profile.placeholders()
    if holes:
        field, value = holes[0]
        findings.append(Finding("cluster", "warn", f"profile '{profile.name}' still has a placeholder in {field} ({value})",
                                f"set it in a site profile: extends = \"{profile.name}\" in your profiles_dir"))
        return findings
    slurm = Slurm()
    if not slurm.available("sbatch"):
        return findings
    try:
        with tempfile.TemporaryDirectory(prefix="tutor-probe-") as folder:
            verdict = probe_profile(profile, slurm, Path(folder))
        findings.append(Finding("cluster", "ok", f"SLURM would take a job of profile '{profile.name}': {verdict}"))
    except HpcError as exc:
        findings.append(Finding("cluster", "error", exc.reason, exc.fix))
    return findings
