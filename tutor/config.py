"""The course config (`tutor.toml`): where data and workspaces live, which cluster profile,
which packs, whether downloads are allowed.

Looked up from `$TUTOR_CONFIG`, `./tutor.toml`, the user config dir, then
`/etc/tutor/config.toml`; the first file found wins. A bad value is reported with its file
and field. A file (or exercise/profile folder) that another user could have planted or
changed, e.g. one in a folder students write to, is refused with the reason (tutor.trust). Environment: `TUTOR_PROFILE` and `TUTOR_WORKSPACE_ROOT` override the file;
`TUTOR_DATA_DIR` is not a config value but the first place the data layer looks.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tutor.config_files import APP as APP  # noqa: F401 (re-exported)
from tutor.config_files import (
    ConfigError,
    beside,
    config_candidates,  # noqa: F401 (re-exported)
    env_overrides,
    find_config_file,  # noqa: F401 (re-exported)
    folders_trust_problem,
    user_data_dir,  # noqa: F401 (re-exported)
)
from tutor.trust import untrusted_reason


class CourseConfig(BaseModel):
    """`tutor.toml`, with TUTOR_PROFILE and TUTOR_WORKSPACE_ROOT over the file's values."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    course: str = Field("Deep learning on HPC", description="The course's name.", examples=["DL on HPC 2026"])
    data_dir: Optional[Path] = Field(None, description="Where datasets and weights are staged (`tutor data stage`).",
                                     examples=["/gpfs/scratch/dl01/tutor-data"])
    workspace_root: Path = Field(default_factory=lambda: Path.home() / "tutor-work",
                                 description="Where `tutor start` makes each student's task folders (default ~/tutor-work).",
                                 examples=["~/tutor-work"])
    profile: str = Field("local", description="The cluster profile jobs use (a shipped one or NAME.toml in profiles_dir).",
                         examples=["site"])
    allow_downloads: bool = Field(False, description="Whether missing datasets may be downloaded (compute nodes "
                                  "usually have no internet).", examples=[True])
    exercise_dirs: list[Path] = Field([], description="Folders with your own packs: a pack folder (with pack.toml), "
                                      "or a folder of pack folders. Relative to this file.", examples=[["packs"]])
    packs: Optional[list[str]] = Field(None, description="The packs the course shows, by pack id (pack.toml `id`); "
                                       "unset: every pack found.", examples=[["book", "fashion"]])
    profiles_dir: Optional[Path] = Field(None, description="A folder of the site's cluster profiles (NAME.toml).",
                                         examples=["profiles"])
    handin_dir: Optional[Path] = Field(None, description="The hand-in area (set by `tutor course init`).",
                                       examples=["/gpfs/projects/dl01/handin"])
    deadlines: dict[str, datetime] = Field({}, description="[deadlines]: task id = a TOML date-time with its offset; "
                                           "shown in `tutor list`/`tutor show`, used by `tutor collect` and the "
                                           "late penalty.", examples=[{"fm1": "2026-12-01T23:59:00+01:00"}])
    late_penalty_per_day: float = Field(0.0, ge=0, le=1, description="Share of the score a hand-in loses per "
                                        "started day late (gradebook `final_score`, from `tutor collect`'s times).",
                                        examples=[0.1])
    late_penalty_max: float = Field(1.0, ge=0, le=1, description="The most a late hand-in can lose.", examples=[0.5])
    solutions_dir: Optional[Path] = Field(None, description="The reference solutions (`solutions/<task>/`) "
                                          "`tutor author check` uses; never give it to students.",
                                          examples=["solutions"])
    max_handin_mb: int = Field(default=200, gt=0, description="The largest file `tutor handin` accepts "
                               "and `tutor collect` copies (MB).", examples=[500])
    max_attempt_mb: int = Field(default=500, gt=0, description="All files of one attempt together (MB); "
                                "`tutor collect` copies at most twice this per student.", examples=[1000])
    max_files_per_pattern: int = Field(default=20, gt=0, description="Most files one declared pattern "
                                       "(e.g. run.*.out) may bring into an attempt.", examples=[50])
    max_attempts: int = Field(default=30, gt=0, description="Attempts per student and task; `tutor collect` "
                              "looks at no more than this many (the newest).", examples=[50])
    collect_max_gb: float = Field(default=20.0, gt=0, description="The most one `tutor collect` copies in "
                                  "all (GB; also at most 90% of the free space).", examples=[100])
    handin_group: Optional[str] = Field(None, description="The instructors' Unix group (tutor course init).",
                                        examples=["dl01-staff"])
    handin_students: Optional[str] = Field(None, description="The students' Unix group, if the course has one.",
                                           examples=["dl01"])

    @field_validator("data_dir", "workspace_root", "profiles_dir", "handin_dir", "solutions_dir")
    @classmethod
    def _expand(cls, value: Optional[Path]) -> Optional[Path]:
        return value.expanduser() if value is not None else None

    @field_validator("exercise_dirs")
    @classmethod
    def _expand_all(cls, value: list[Path]) -> list[Path]:
        return [p.expanduser() for p in value]


def load_config_file(path: Optional[Path]) -> CourseConfig:
    raw: dict = {}
    if path is not None:
        reason = untrusted_reason(path)
        if reason:
            raise ConfigError(reason)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        config = CourseConfig(**{**raw, **env_overrides()})
    except ValidationError as exc:
        where = path or "environment"
        lines = [
            f"{where}: {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from None
    # Relative paths in a file are relative to that file.
    if path is not None:
        updates = {}
        for name in ("data_dir", "workspace_root", "profiles_dir", "handin_dir", "solutions_dir"):
            value = getattr(config, name)
            if value is not None and name in raw:
                updates[name] = beside(path, value)
        if config.exercise_dirs:
            updates["exercise_dirs"] = [beside(path, p) for p in config.exercise_dirs]
        config = config.model_copy(update=updates)
    reason = folders_trust_problem(path, trusted_folders(config))
    if reason:
        raise ConfigError(reason)
    return config


def trusted_folders(config: CourseConfig) -> list[Path]:
    """The folders the config makes tutor read from, which must be safe from other users."""
    return [*config.exercise_dirs, *filter(None, [config.profiles_dir, config.solutions_dir])]


@lru_cache(maxsize=1)
def _cached(path: Optional[Path], env_key: tuple) -> CourseConfig:
    return load_config_file(path)


def load_config() -> CourseConfig:
    """The config in force for this process (raises ConfigError with file and field)."""
    env_key = tuple(sorted(env_overrides().items()))
    return _cached(find_config_file(), env_key)
