"""Shared fixtures: every test runs with its own TUTOR_HOME, workspace root and caches, and
the real datasets from ../shared/data."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("TUTOR_DATA_DIR") or REPO.parent / "shared" / "data").resolve()
IN_CI = bool(os.environ.get("CI"))

# A suite started in the background (`make test &`, nohup) inherits SIGINT as ignored, and so would
# every tutor it starts: Python then never raises KeyboardInterrupt and the Ctrl-C tests fail. A
# handler, unlike SIG_IGN, is reset at exec, so the children get Ctrl-C's default back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def require_tool(*names: str) -> None:
    """Skip locally when a tool is missing; in CI a missing tool is a failure, never a skip."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        message = f"needs {', '.join(missing)} (make deb installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("tutor-home")
    monkeypatch.setenv("TUTOR_HOME", str(home / "state"))
    monkeypatch.setenv("TUTOR_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("TUTOR_WORKSPACE_ROOT", str(home / "work"))
    monkeypatch.setenv("TUTOR_CONFIG", str(home / "tutor.toml"))
    (home / "tutor.toml").write_text("# empty course config for tests\n")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("KERAS_HOME", str(home / "keras"))
    return home


@pytest.fixture
def shared_data() -> Path:
    assert (SHARED_DATA / "mnist.npz").is_file(), f"real data missing in {SHARED_DATA}"
    return SHARED_DATA


def run_tutor(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600,
              input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `tutor` console script in a subprocess (exit codes, stderr and all)."""
    exe = Path(sys.executable).with_name("tutor")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "tutor.cli.app"]
    return subprocess.run(
        command + list(args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


@pytest.fixture
def tutor():
    return run_tutor


# A real single-node SLURM (munge, MariaDB, slurmdbd, slurmctld, slurmd), session-scoped.
from tests.slurm_cluster import slurm_cluster  # noqa: E402,F401
