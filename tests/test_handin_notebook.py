"""A student's work as the grader sees it is what gets handed in and collected: a notebook that
holds the model (the notebook flow, #14) and Keras 2's model.h5 in place of model.keras (#12),
through the real `tutor check`, `tutor handin` and `tutor collect`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests import notebook_support as nb
from tests.conftest import run_tutor
from tests.handin_env import folder_of

HDF5_HEAD = b"\x89HDF\r\n\x1a\n" + b"\0" * 600


def handed_in(area: Path, number: int) -> list[str]:
    manifest = folder_of(area, "root") / "task8.1" / f"attempt-{number:03d}" / "manifest.json"
    return sorted(f["path"] for f in json.loads(manifest.read_text())["files"])


@pytest.mark.tf
def test_a_notebook_and_a_keras2_model_are_handed_in_and_collected(isolated_home, tmp_path):
    area = tmp_path / "handin"
    assert run_tutor("course", "init", str(area), "--group", "root").returncode == 0
    assert run_tutor("start", "task8.1").returncode == 0
    work = Path(os.environ["TUTOR_WORKSPACE_ROOT"]) / "task8.1"
    nb.chapter8(work / "lab.ipynb", improved=True)  # model.py stays the starter: the notebook is graded
    (work / "model.keras").write_bytes(b"PK\x03\x04 weights stand here")  # check does not open it
    (work / "model.h5").write_bytes(HDF5_HEAD)
    (work / "train.json").write_text("{}\n")

    checked = run_tutor("check", "task8.1", cwd=work)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ("note: found model.h5 beside model.keras: tutor grades model.keras only; delete model.h5, or save "
            "the model once, with model.save('model.keras')") in checked.stderr

    first = run_tutor("handin", "task8.1", cwd=work)
    assert first.returncode == 0, first.stderr
    assert handed_in(area, 1) == ["NOTES.md", "lab.ipynb", "model.keras", "model.py", "train.json"]

    # Keras 2 only: model.h5 is what the grader grades, and model.py is not needed beside the notebook
    (work / "model.keras").unlink()
    (work / "model.py").unlink()
    second = run_tutor("handin", "task8.1", cwd=work)
    assert second.returncode == 0, second.stderr
    assert "without:" not in second.stdout
    assert "model.h5 in place of model.keras (Keras 2's format; the grader grades it the same way)" in second.stdout
    assert "in place of" not in first.stdout
    assert handed_in(area, 2) == ["NOTES.md", "lab.ipynb", "model.h5", "train.json"]

    out = tmp_path / "collected"
    collected = run_tutor("collect", "task8.1", "--out", str(out), cwd=tmp_path)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    row = json.loads((out / ".collect.json").read_text())["rows"][0]
    assert row["complete"] is True and row["missing"] == [] and row["problems"] == [], row
    assert sorted(p.name for p in (out / "root").iterdir()) == ["NOTES.md", "lab.ipynb", "model.h5", "train.json"]
