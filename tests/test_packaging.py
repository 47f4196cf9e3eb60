"""The student wheel: our packages and the exercise catalog as package data, no solutions."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("tutor-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_has_no_solutions(wheel):
    names = wheel.namelist()
    assert not [n for n in names if n.startswith("solutions/") or "/solutions/" in n]
    assert not [n for n in names if n.startswith("tests/")]


def test_the_wheel_ships_our_packages_and_the_catalog(wheel):
    names = set(wheel.namelist())
    for package in ("tutor", "exercises", "grader", "hpc"):
        assert f"{package}/__init__.py" in names
    assert "exercises/packs/book/pack.toml" in names
    assert "exercises/packs/book/task8.1/exercise.toml" in names
    assert "exercises/packs/book/task8.1/README.md" in names
    assert "exercises/packs/book/task8.1/starter/model.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tutor = tutor.cli.app:main" in wheel.read(entry_points).decode()
