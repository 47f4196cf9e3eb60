"""What travels to a platform: tutor's own source as an installable project (without the
instructor-only `solutions/`), and the staged data and weights the task is graded with."""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from exercises import Task

PACKAGES = ("tutor", "grader", "exercises", "hpc")  # the student wheel's packages (pyproject)
SKIP = {"__pycache__", "solutions", "solution", "tests", "bench"}


@dataclass
class Bundle:
    """name inside the archive/folder -> file on this machine; plus what is named, not shipped."""

    files: dict[str, Path]
    not_shipped: list[str]


def _version() -> str:
    try:
        return importlib.metadata.version("tutor")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def _requirements() -> list[str]:
    try:
        return [r for r in importlib.metadata.requires("tutor") or [] if "extra ==" not in r]
    except importlib.metadata.PackageNotFoundError:
        return ["typer", "rich", "pydantic", "platformdirs", "filelock",
                "psutil", "numpy", "tomlkit"]


def tensorflow_requirement() -> str:
    try:
        extras = importlib.metadata.requires("tutor") or []
    except importlib.metadata.PackageNotFoundError:
        extras = []
    for req in extras:
        if 'extra == "tf"' in req:
            return req.split(";")[0].strip()
    return "tensorflow-cpu"


def pyproject() -> str:
    """A pyproject for the vendored source: the same packages and requirements as this tutor."""
    deps = ",\n  ".join(f'"{r}"' for r in _requirements())
    return (
        '[build-system]\nrequires = ["hatchling>=1.25"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "tutor"\nversion = "{_version()}"\nrequires-python = ">=3.10"\n'
        f"dependencies = [\n  {deps}\n]\n\n"
        f'[project.optional-dependencies]\ntf = ["{tensorflow_requirement()}"]\n\n'
        '[project.scripts]\ntutor = "tutor.cli.app:main"\n\n'
        f"[tool.hatch.build.targets.wheel]\npackages = {list(PACKAGES)!r}\n".replace("'", '"')
    )


def source_files(prefix: str = "tutor-src") -> dict[str, Path]:
    """Every file of tutor's packages, as installed here, under `prefix/`."""
    files: dict[str, Path] = {}
    for package in PACKAGES:
        root = Path(importlib.import_module(package).__file__).parent
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not (SKIP & set(rel.parts)) and path.suffix not in (".pyc", ".pyo"):
                files[f"{prefix}/{package}/{rel.as_posix()}"] = path
    return files


def course_files(task: Task, prefix: str = "course") -> dict[str, str | Path]:
    """`prefix/tutor.toml`, and the task's pack when it is the course's own (from
    `exercise_dirs`, not shipped with tutor), so the harness finds the task."""
    builtin = Path(importlib.import_module("exercises").__file__).resolve().parent
    folder = task.folder.resolve()
    pack = folder.parent
    if builtin in folder.parents or not (pack / "pack.toml").is_file():
        return {f"{prefix}/tutor.toml": "# the task is one of tutor's own packs\n"}
    files: dict[str, str | Path] = {
        f"{prefix}/tutor.toml": f'# the course pack of {task.id}\nexercise_dirs = ["packs/{pack.name}"]\n'}
    for path in sorted(pack.rglob("*")):
        rel = path.relative_to(pack)
        if path.is_file() and not (SKIP & set(rel.parts)):
            files[f"{prefix}/packs/{pack.name}/{rel.as_posix()}"] = path
    return files


def data_files(task: Task, data_dir: Optional[Path], prefix: str = "data") -> tuple[dict[str, Path], list[str]]:
    """The task's staged dataset and weights (verified, as the grader resolves them)."""
    from grader.data.resolve import resolve_dataset, resolve_weights

    names = ([task.spec.dataset.name] if task.spec.dataset else []) + list(task.spec.weights)
    files, missing = {}, []
    for name in names:
        try:
            resolved = (resolve_dataset(name, data_dir) if task.spec.dataset and name == task.spec.dataset.name
                        else resolve_weights(name, data_dir))
        except Exception as exc:  # DataError: not staged here
            missing.append(f"{name}: {exc}")
            continue
        sub = "" if name == (task.spec.dataset.name if task.spec.dataset else None) else "models/"
        files[f"{prefix}/{sub}{resolved.path.name}"] = resolved.path
    return files, missing


def readme(task: Task, platform: str, shipped: list[str], not_shipped: list[str], steps: str) -> str:
    lines = [
        f"# tutor autograder for {task.id} ({task.spec.title}) on {platform}",
        "",
        f"Built by tutor {_version()}. Grading runs `tutor`'s own grader (every check of the task, "
        "accuracy on the held-out split) on the student's trained artifact.",
        "",
        steps.rstrip(),
        "",
        f"Students submit: {', '.join([*task.spec.files, *task.spec.artifacts]) or 'the task files'}.",
        f"Points: {sum(c.points for c in task.spec.checks):g} (one test per check).",
        "",
        "## Data and weights",
    ]
    lines += [f"- shipped: `{name}`" for name in shipped] or ["- the task needs no dataset or weights"]
    for item in not_shipped:
        lines.append(f"- NOT shipped (stage it with `tutor data stage` and rebuild, or put it in the data folder): {item}")
    return "\n".join(lines) + "\n"
