"""Cluster profiles: where and how a job runs (account, QOS, GPU request, modules, container).

Shipped profiles live in `hpc/profiles/*.toml` (`mn5`, the book's MareNostrum 5 setup, and
`local`, the test cluster). A site adds or overrides profiles with its own `*.toml` files in
the course config's `profiles_dir`; a site file may say `extends = "mn5"` and give only the
fields it changes (typically `account`). The file name is the profile name.

Fields: `account`, `partition`, `qos` (sbatch's), `gpu_request` (how N GPUs are asked for,
e.g. "--gres gpu:{gpus}"), `cpus_per_task`/`time`/`mem` (site values that override the
exercise's), `max_cpus_per_task`/`max_gpus`/`max_time` (limits checked before sbatch),
`modules` + `purge_modules`, `container` and `launcher` (the command that runs Python, e.g.
"singularity exec --nv {container} python"; it must end in a Python and use {container} when a
container is set), `gpus_per_job` (GPUs a GPU task asks for), `setup` (shell lines before it),
`extra_directives` (more #SBATCH options) and `[framework]`, what the jobs train with
(`tensorflow`, `keras`, `python`, `backend`, `image`; `own = true`: tutor's own environment),
which checks, hints and reports follow. A `<placeholder>` left in any of them is refused
at submit time (`--dry-run` still renders).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from exercises.schema import SLURM_TIME
from exercises.spec_errors import describe, did_you_mean, read_text, toml_line
from exercises.target import OWN, TargetFramework
from hpc.errors import ProfileError

SHIPPED = Path(__file__).resolve().parent / "profiles"
PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_ -]*>")


class ClusterProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The profile's name: its file name (NAME.toml); filled in by tutor.", examples=["site"])
    description: str = Field("", description="A line about the cluster.", examples=["Our A100 nodes, Apptainer"])
    account: Optional[str] = Field(None, description="#SBATCH --account (your project's group).", examples=["dl01"])
    partition: Optional[str] = Field(None, description="#SBATCH --partition.", examples=["gpu"])
    qos: Optional[str] = Field(None, description="#SBATCH --qos.", examples=["acc_debug"])
    gpu_request: str = Field("--gres gpu:{gpus}", description="How this site asks for N GPUs; must contain {gpus}.",
                             examples=["--gpus={gpus}"])
    gpus_per_job: Optional[int] = Field(None, ge=1, description="GPUs a GPU task's job asks for (unset: the "
                                        "task's [resources] gpus).", examples=[1])
    cpus_per_task: Optional[int] = Field(None, gt=0, description="#SBATCH --cpus-per-task, overriding the task's.",
                                         examples=[16])
    max_cpus_per_task: Optional[int] = Field(None, gt=0, description="A node's CPUs: more is refused before sbatch.",
                                             examples=[64])
    max_gpus: Optional[int] = Field(None, ge=0, description="A node's GPUs: more is refused before sbatch.", examples=[4])
    mem: Optional[str] = Field(None, description="#SBATCH --mem.", examples=["32G"])
    time: Optional[str] = Field(None, description="Wall time overriding the task's default ([D-]HH:MM:SS).",
                                examples=["00:30:00"])
    max_time: Optional[str] = Field(None, description="The QOS wall-time limit, checked before sbatch.",
                                    examples=["02:00:00"])
    modules: list[str] = Field([], description="`module load` lines, in order.", examples=[["apptainer"]])
    purge_modules: bool = Field(False, description="`module purge` first.", examples=[True])
    container: Optional[str] = Field(None, description="The image the job runs in; the launcher names it as {container}.",
                                     examples=["/apps/containers/tensorflow-2.16.sif"])
    launcher: str = Field("python", description="The command that runs Python; the job line is `<launcher> "
                          "tutor_runner.py ...`. It must end in python/python3 and, with a container, be "
                          "`apptainer exec --nv {container} python` (or singularity).",
                          examples=["apptainer exec --nv {container} python"])
    setup: list[str] = Field([], description="Shell lines run before the launcher.", examples=[["export TF_CPP_MIN_LOG_LEVEL=2"]])
    extra_directives: list[str] = Field([], description="More #SBATCH options, as sbatch takes them.",
                                        examples=[["--constraint=a100"]])
    framework: TargetFramework = Field(OWN, description="What the jobs train with: the container's TensorFlow, "
                                       "Keras, Python and Keras backend ([framework] table; own = true: tutor's own).",
                                       examples=[{"image": "NGC TensorFlow 23.03", "tensorflow": "2.11.0",
                                                  "keras": "2.11.0", "python": "3.8"}])
    source: Optional[Path] = Field(None, description="The file it was read from (filled by the loader).")

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

    @model_validator(mode="after")
    def _launcher_runs_python(self) -> "ClusterProfile":
        problem = launcher_problem(self.launcher, self.container)
        if problem:
            raise ValueError(problem)
        return self

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

    @property
    def runtime(self) -> Optional[str]:
        """The container runtime the launcher runs (`singularity`, `apptainer`), or None."""
        word = next((w for w in self.launcher.split() if w.rsplit("/", 1)[-1] in RUNTIMES), None)
        return word.rsplit("/", 1)[-1] if word else None

    def runtime_setup(self) -> str:
        """How to get this profile's container runtime on PATH, in the profile's own terms: its
        own `module load` line when it loads modules, else the runtime its launcher names."""
        if self.runtime is None:
            return "only profiles whose launcher runs a container (singularity/apptainer) need one"
        if self.modules:
            return f"module load {' '.join(self.modules)} (as profile {self.name}'s jobs do), then tutor doctor again"
        return f"put {self.runtime} on PATH (e.g. module load {self.runtime}, if your site has that module), then tutor doctor again"

    def warnings(self) -> list[str]:
        """What renders but will likely fail on the cluster: placeholders, a runtime module
        that does not match the launcher's runtime."""
        found = [f"profile '{self.name}' ({self.source or 'shipped'}) still has {PLACEHOLDER.search(value).group(0)} "
                 f"in {field}: `tutor submit` refuses it until you set it (extends = \"{self.name}\" and "
                 f"{field} = \"...\" in a site profile)" for field, value in self.placeholders()]
        runtime = next((w for w in self.launcher.split() if w.rsplit("/", 1)[-1] in RUNTIMES), None)
        loaded = [m for m in self.modules if m.split("/")[0] in RUNTIMES]
        if runtime and loaded and not any(m.split("/")[0] == runtime.rsplit("/", 1)[-1] for m in loaded):
            found.append(f"profile '{self.name}' runs {runtime} but loads the module {loaded[0]} "
                         f"(inherited?): set modules = [\"{runtime.rsplit('/', 1)[-1]}\"] if the site has that module")
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


PYTHON = re.compile(r"^(.*/)?python(\d+(\.\d+)?)?$")
RUNTIMES = ("apptainer", "singularity")


def launcher_problem(launcher: str, container: Optional[str]) -> Optional[str]:
    """Why a launcher would render a job that cannot run the runner, or None.

    The job line is `<launcher> tutor_runner.py --task ...`: the launcher must end in a Python
    interpreter, and run it inside the container when the profile names one."""
    words = launcher.split()
    example = 'launcher = "apptainer exec --nv {container} python" (with container = "/path/to/image.sif")'
    if not words:
        return f"launcher is empty: write the command that runs Python, e.g. launcher = \"python3\" or {example}"
    runtime = next((w for w in words if w.rsplit("/", 1)[-1] in RUNTIMES), None)
    if not PYTHON.match(words[-1]):
        if runtime and len(words) == 1:
            return (f"launcher = \"{launcher}\" would run `{launcher} tutor_runner.py` (no exec, no image, "
                    f"no python): write {example.replace('apptainer', runtime)}; add modules = [\"{runtime}\"] "
                    "if the site loads it as a module")
        return (f"launcher = \"{launcher}\" does not end in a Python interpreter, so the job line "
                f"`{launcher} tutor_runner.py ...` runs no Python: end it with python or python3, e.g. {example}")
    if runtime and "exec" not in words:
        return f"launcher = \"{launcher}\": {runtime} runs a command in an image with `{runtime} exec IMAGE python`; e.g. {example}"
    if container and "{container}" not in launcher:
        return (f"container = \"{container}\" is set but the launcher \"{launcher}\" never uses it: put {{container}} "
                f"where the image goes, e.g. {example}")
    if "{container}" in launcher and not container:
        return "launcher uses {container} but the profile sets no container: add container = \"/path/to/image.sif\""
    return None


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
        raise ProfileError(f"unknown cluster profile '{name}'{did_you_mean(name, files)}",
                           f"choose one of: {known} (or add {name}.toml to profiles_dir)")
    path = files[name]
    if path in seen:
        raise ProfileError(f"{path}: its 'extends' chain loops", "extend a different profile")
    raw = _read(path)
    base = raw.pop("extends", None)
    if base is not None and str(base) not in files and str(base) != name:
        line = toml_line(read_text(path), ("extends",))
        raise ProfileError(
            f"{path}:{line}: extends = \"{base}\" names no profile{did_you_mean(str(base), files)}",
            f"extend one of: {', '.join(sorted(files))}")
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
    launcher, container = raw.get("launcher", "python"), raw.get("container")
    if isinstance(launcher, str) and (container is None or isinstance(container, str)):
        problem = launcher_problem(launcher, container)
        if problem:
            text = read_text(path)
            line = toml_line(text, ("launcher",)) or toml_line(text, ("container",))
            raise ProfileError(f"{path}:{line}: {problem}" if line else f"{path}: {problem}",
                               "a profile must render a job script that runs tutor's runner with Python")
    try:
        return ClusterProfile(**raw, source=path)
    except ValidationError as exc:
        text = describe(exc, path, read_text(path), ClusterProfile, raw)
        raise ProfileError(text.splitlines()[0].replace(f"{path}: (top level): ", f"{path}: "),
                           "fix that field of the profile (`tutor author docs` lists every profile key)") from None
