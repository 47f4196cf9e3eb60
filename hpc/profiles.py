"""Cluster profiles: where and how a job runs (account, QOS, GPU request, modules, container).

Shipped profiles live in `hpc/profiles/*.toml` (`mn5`, the book's MareNostrum 5 setup, and
`local`, the test cluster). A site adds or overrides profiles with its own `*.toml` files in
the course config's `profiles_dir`; a site file may say `extends = "mn5"` and give only the
fields it changes (typically `account`). The file name is the profile name.

Fields: `account`, `partition`, `qos` (sbatch's), `gpu_request` (how N GPUs are asked for,
e.g. "--gres gpu:{gpus}"), `cpus_per_task`/`time`/`mem` (site values that override the
exercise's), `max_cpus_per_task`/`max_gpus`/`max_time` (limits checked before sbatch),
`modules` + `purge_modules`, `container` and `launcher` (the command that runs Python, e.g.
"singularity exec --nv {container} python"), `setup` (shell lines before it) and
`extra_directives` (more #SBATCH options). A `<placeholder>` left in any of them is refused
at submit time (`--dry-run` still renders).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from exercises.schema import SLURM_TIME
from hpc.errors import ProfileError

SHIPPED = Path(__file__).resolve().parent / "profiles"
PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_ -]*>")


class ClusterProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    account: Optional[str] = None
    partition: Optional[str] = None
    qos: Optional[str] = None
    gpu_request: str = "--gres gpu:{gpus}"  # how this site asks for N GPUs
    cpus_per_task: Optional[int] = Field(default=None, gt=0)  # site override of the exercise's
    max_cpus_per_task: Optional[int] = Field(default=None, gt=0)  # known limits, checked before sbatch
    max_gpus: Optional[int] = Field(default=None, ge=0)
    mem: Optional[str] = None  # e.g. "16G"
    time: Optional[str] = None  # site override of the exercise's default time
    max_time: Optional[str] = None  # the QOS wall-time limit, if known
    modules: list[str] = []
    purge_modules: bool = False
    container: Optional[str] = None
    launcher: str = "python"  # may use {container}
    setup: list[str] = []  # shell lines run before the launcher (e.g. exports)
    extra_directives: list[str] = []  # e.g. ["--constraint=highmem"], rendered as #SBATCH lines
    source: Optional[Path] = None  # the file it was read from (filled by the loader)

    @field_validator("time", "max_time")
    @classmethod
    def _slurm_time(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not SLURM_TIME.match(value):
            raise ValueError(f"{value!r} is not a SLURM time such as 00:15:00")
        return value

    @field_validator("gpu_request")
    @classmethod
    def _gpu_request(cls, value: str) -> str:
        if "{gpus}" not in value:
            raise ValueError("must contain {gpus}, e.g. '--gres gpu:{gpus}' or '--gpus={gpus}'")
        return value

    @field_validator("extra_directives")
    @classmethod
    def _directives(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.startswith("-") or "\n" in item:
                raise ValueError(f"{item!r}: write a directive as sbatch takes it, e.g. '--constraint=highmem'")
        return value

    @property
    def run_prefix(self) -> str:
        """The command the job script puts in front of the Python script."""
        return self.launcher.replace("{container}", self.container or "")

    def placeholders(self) -> list[tuple[str, str]]:
        """(field, value) pairs still holding a `<placeholder>` such as `<group>`."""
        found = []
        for name in ("account", "partition", "qos", "container", "mem"):
            value = getattr(self, name)
            if value and PLACEHOLDER.search(value):
                found.append((name, value))
        for line in [self.launcher, *self.setup, *self.extra_directives]:
            if PLACEHOLDER.search(line) and "{container}" not in line:
                found.append(("launcher/setup", line))
        return found

    def require_filled(self) -> None:
        """Refuse to submit with a placeholder left in (mn5 ships with `<group>`)."""
        found = self.placeholders()
        if found:
            name, value = found[0]
            where = self.source or f"profile {self.name}"
            raise ProfileError(
                f"profile '{self.name}' still has the placeholder {PLACEHOLDER.search(value).group(0)} in {name}",
                f"put your group in a site copy of it (e.g. `extends = \"{self.name}\"` and `account = \"...\"` "
                f"in your profiles_dir) or edit {where}; `--dry-run` shows the script meanwhile",
            )


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})", "fix the file") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read ({exc.strerror})", "check the path") from None


def profile_files(profiles_dir: Optional[Path] = None) -> dict[str, Path]:
    """Every profile by name; a site's file wins over a shipped one of the same name."""
    files = {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}
    if profiles_dir is not None and Path(profiles_dir).is_dir():
        files.update({p.stem: p for p in sorted(Path(profiles_dir).glob("*.toml"))})
    return files


def _raw(name: str, files: dict[str, Path], seen: tuple[Path, ...] = ()) -> tuple[dict, Path]:
    if name not in files:
        known = ", ".join(sorted(files))
        raise ProfileError(f"unknown cluster profile '{name}'", f"choose one of: {known} (or add {name}.toml to profiles_dir)")
    path = files[name]
    if path in seen:
        raise ProfileError(f"{path}: its 'extends' chain loops", "extend a different profile")
    raw = _read(path)
    base = raw.pop("extends", None)
    if base is not None:
        # `extends` with the file's own name refines the shipped profile of that name.
        parents = {**files, name: SHIPPED / f"{name}.toml"} if base == name else files
        parent, _ = _raw(str(base), parents, seen + (path,))
        raw = {**parent, **raw}
    raw["name"] = name
    return raw, path


def load_profile(name: str, profiles_dir: Optional[Path] = None) -> ClusterProfile:
    """The named profile, validated; errors name the file and the field."""
    raw, path = _raw(name, profile_files(profiles_dir))
    try:
        return ClusterProfile(**raw, source=path)
    except ValidationError as exc:
        item = exc.errors()[0]
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        raise ProfileError(f"{path}: {where}: {item['msg']}", "fix that field of the profile") from None


def list_profiles(profiles_dir: Optional[Path] = None) -> list[str]:
    return sorted(profile_files(profiles_dir))
