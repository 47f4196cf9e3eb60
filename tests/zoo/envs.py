"""The framework environments the zoo is made with: one throwaway virtualenv per version.

Each lives in ``$TUTOR_ZOO_DIR`` (default ``~/.cache/tutor-zoo``)/NAME, never in the repo, with a
``.ready`` stamp holding its recipe; a changed recipe rebuilds it. Standard library only: this
runs before any framework exists. The same tf2.11/tf2.15/torch environments of the
compatibility matrix (``tests/frameworks/build.sh``) are reused when present.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def _pyenv(version: str) -> str:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    return f"{root}/versions/{version}/bin/python"


PY310 = "3.10.13"
PY311 = "3.11.7"


@dataclass(frozen=True)
class Recipe:
    """One environment: which Python, what pip installs, and what it is (for the manifest)."""

    name: str
    python: str
    packages: str
    backend: str = "tensorflow"

    @property
    def stamp(self) -> str:
        return f"{_pyenv(self.python)}|{self.packages}"


# Oldest first. Keras 3 releases are pinned to what each TensorFlow shipped with (or close),
# because the .keras format details changed between 3.0 and 3.12.
RECIPES: tuple[Recipe, ...] = (
    Recipe("tf2.8", PY310, "tensorflow-cpu==2.8.4 numpy==1.23.5 protobuf==3.19.6 h5py"),
    Recipe("tf2.10", PY310, "tensorflow-cpu==2.10.1 numpy==1.23.5 protobuf==3.19.6 h5py"),
    Recipe("tf2.11", PY310, "tensorflow-cpu==2.11.0 numpy==1.23.5 h5py"),
    Recipe("tf2.12", PY311, "tensorflow-cpu==2.12.1 h5py"),
    Recipe("tf2.13", PY311, "tensorflow-cpu==2.13.1 h5py"),
    Recipe("tf2.14", PY311, "tensorflow-cpu==2.14.1 h5py"),
    Recipe("tf2.15", PY311, "tensorflow-cpu==2.15.1 h5py"),
    Recipe("tf2.16", PY311, "tensorflow-cpu==2.16.2 keras==3.0.5 h5py"),
    Recipe("tf2.17", PY311, "tensorflow-cpu==2.17.1 keras==3.4.1 h5py"),
    Recipe("tf2.18", PY311, "tensorflow-cpu==2.18.1 keras==3.6.0 h5py"),
    Recipe("tf2.19", PY311, "tensorflow-cpu==2.19.1 keras==3.9.2 h5py"),
    Recipe("tf2.20", PY311, "tensorflow-cpu==2.20.0 keras==3.11.3 h5py"),
    Recipe("torch", PY311, "torch==2.13.0 keras==3.* h5py numpy", backend="torch"),
)
BY_NAME = {recipe.name: recipe for recipe in RECIPES}


def zoo_dir() -> Path:
    return Path(os.environ.get("TUTOR_ZOO_DIR") or Path.home() / ".cache" / "tutor-zoo")


def frameworks_dir() -> Path:
    return Path(os.environ.get("TUTOR_FRAMEWORKS_DIR") or Path.home() / ".cache" / "tutor-frameworks")


def ready(recipe: Recipe) -> Path | None:
    """The environment's folder when it is built from this recipe (the zoo's or the matrix's)."""
    for root in (zoo_dir(), frameworks_dir()):
        stamp = root / recipe.name / ".ready"
        if stamp.is_file() and stamp.read_text().strip() == recipe.stamp:
            return root / recipe.name
    return None


def build(recipe: Recipe) -> Path:
    """Build (once) the environment; raises RuntimeError saying why it could not."""
    found = ready(recipe)
    if found:
        return found
    python = _pyenv(recipe.python)
    if not Path(python).exists():
        raise RuntimeError(f"{recipe.name} needs {python}, which this machine does not have")
    target = zoo_dir() / recipe.name
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"zoo: building {recipe.name} ({recipe.packages}) in {target}", flush=True)
    subprocess.run([python, "-m", "venv", str(target)], check=True)
    pip = [str(target / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", *recipe.packages.split()]
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode:
        shutil.rmtree(target, ignore_errors=True)
        tail = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("WARNING: Location"))
        raise RuntimeError(f"installing {recipe.name} failed:\n{tail[-2000:]}")
    (target / ".ready").write_text(recipe.stamp + "\n")
    return target


if __name__ == "__main__":
    names = sys.argv[1:] or [recipe.name for recipe in RECIPES]
    failed = 0
    for name in names:
        try:
            print(f"zoo: {name} ready in {build(BY_NAME[name])}", flush=True)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            print(f"zoo: {error}", file=sys.stderr, flush=True)
            failed += 1
    sys.exit(1 if failed else 0)
