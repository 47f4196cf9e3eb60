"""Where tutor's files are: the config file in force (and whether it may be read), the user's
data and cache folders. Light on purpose (no pydantic): `tutor list`'s cached path uses it
without building the config model (`tutor.config`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Optional

import platformdirs

from tutor.trust import foreign_cwd_config, untrusted_reason

APP = "tutor"
# The config values the environment overrides (TUTOR_DATA_DIR is the data layer's, not one).
ENV_OVERRIDES = {"profile": "TUTOR_PROFILE", "workspace_root": "TUTOR_WORKSPACE_ROOT"}


class ConfigError(Exception):
    """A config file that cannot be used: the message names the file, field and reason."""


def env_overrides() -> dict[str, str]:
    """The config values set in the environment (an empty variable sets nothing)."""
    return {field: os.environ[name] for field, name in ENV_OVERRIDES.items() if os.environ.get(name)}


def config_candidates() -> list[Path]:
    """Where a config file is looked for, in order."""
    explicit = os.environ.get("TUTOR_CONFIG")
    if explicit:
        return [Path(explicit).expanduser()]
    return [
        Path.cwd() / "tutor.toml",
        Path(platformdirs.user_config_dir(APP)) / "config.toml",
        Path("/etc/tutor/config.toml"),
    ]


def find_config_file() -> Optional[Path]:
    candidates = config_candidates()
    if os.environ.get("TUTOR_CONFIG") and not candidates[0].is_file():
        raise ConfigError(f"{candidates[0]}: TUTOR_CONFIG names a file that does not exist")
    found = next((p for p in candidates if p.is_file()), None)
    if found is not None and not os.environ.get("TUTOR_CONFIG") and found == candidates[0]:
        # Found only because of where you stand: it must be yours (or root's), not a file
        # someone left in a folder you happened to cd into.
        reason = untrusted_reason(found) or foreign_cwd_config(found)
        if reason:
            raise ConfigError(reason)
    return found


def beside(config_file: Path, value: Path) -> Path:
    """A path as a config file means it: relative ones are relative to the file's folder."""
    return value if value.is_absolute() else (config_file.parent / value).resolve()


def folders_trust_problem(config_file: Optional[Path], folders: Iterable[Path]) -> Optional[str]:
    """Why one of the folders a config makes tutor read (packs, profiles, solutions) could
    come from another user, prefixed with the config file; None when all are safe."""
    for folder in folders:
        reason = untrusted_reason(folder)
        if reason:
            return f"{config_file}: {reason}"
    return None


def user_data_dir() -> Path:
    """Progress, hints and the job store. `TUTOR_HOME` overrides (tests, shared accounts)."""
    override = os.environ.get("TUTOR_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP))


def progress_file() -> Path:
    """The student's progress file (tutor.state.student_progress reads and writes it)."""
    return user_data_dir() / "progress.json"


def user_cache_dir() -> Path:
    """What tutor can rebuild at any time (verified data, probes, the task listing).
    `TUTOR_CACHE_DIR` overrides."""
    override = os.environ.get("TUTOR_CACHE_DIR")
    return Path(override).expanduser() if override else Path(platformdirs.user_cache_dir(APP))
