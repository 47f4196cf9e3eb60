"""Gradescope: an autograder zip in Gradescope's layout, and the grading step it runs.

Layout (Gradescope "Autograder Specifications", gradescope-autograders.readthedocs.io/en/latest/specs/):
`setup.sh` and `run_autograder` at the root of the zip; the zip is extracted to
`/autograder/source`, `setup.sh` runs once as root while the image is built, `run_autograder` is
copied to `/autograder/run_autograder` and run with the working directory `/autograder` for each
submission, which Gradescope puts in `/autograder/submission`; the result goes to
`/autograder/results/results.json` (fields: see `results.gradescope`). Anything printed goes to
`/autograder/results/stdout`, shown to instructors only.

`run_autograder` honours AUTOGRADER_ROOT and TUTOR_BIN so the same script runs in a simulated
root (tests, or an instructor trying it locally).
"""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path
from typing import Optional

from exercises import Task
from tutor.autograder import bundle, harness, results
from tutor.batch.feedback import feedback_text

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
set -euo pipefail
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv /opt/tutor
/opt/tutor/bin/pip install --upgrade pip
/opt/tutor/bin/pip install "/autograder/source/tutor-src[tf]"
/opt/tutor/bin/tutor --help > /dev/null
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission (working directory /autograder).
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export TUTOR_DATA_DIR="${{TUTOR_DATA_DIR:-$ROOT/source/data}}"
export TUTOR_CONFIG="${{TUTOR_CONFIG:-$ROOT/source/course/tutor.toml}}"
exec "${{TUTOR_BIN:-/opt/tutor/bin/tutor}}" autograder gradescope {task} --grade --root "$ROOT"
"""

STEPS = """## On Gradescope

1. Create a Programming Assignment, set its points to the total below.
2. Configure Autograder > Upload this zip (Ubuntu base image); Gradescope runs `setup.sh` once.
3. Students upload their files (or one folder/zip of them); `run_autograder` grades each
   submission with tutor and writes `/autograder/results/results.json`.

Try it here first: unzip into `ROOT/source`, copy `run_autograder` to `ROOT/`, put a submission in
`ROOT/submission`, then `AUTOGRADER_ROOT=ROOT TUTOR_BIN=$(which tutor) bash ROOT/run_autograder`.
"""


def build(task: Task, out: Path, data_dir: Optional[Path], with_data: bool = True) -> bundle.Bundle:
    """Write the autograder zip; returns what went in and what is only named in the README."""
    files = bundle.source_files()
    shipped, missing = bundle.data_files(task, data_dir) if with_data else ({}, [])
    if not with_data:
        missing = [n for n in ([task.spec.dataset.name] if task.spec.dataset else []) + task.spec.weights]
    files.update(shipped)
    readme = bundle.readme(task, "Gradescope", sorted(shipped), missing, STEPS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(task=task.id))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        archive.writestr("README.md", readme)
        archive.writestr("tutor-src/pyproject.toml", bundle.pyproject())
        for name, item in bundle.course_files(task).items():
            if isinstance(item, str):
                archive.writestr(name, item)
            else:
                archive.write(item, name)
        for name, path in sorted(files.items()):
            archive.write(path, name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(out)
    return bundle.Bundle(files=files, not_shipped=missing)


def grade(task_id: str, root: Path, data_dir: Optional[Path] = None) -> Path:
    """Grade `root/submission`, write `root/results/results.json`; returns its path."""
    report, spec = harness.grade(task_id, root / "submission", data_dir)
    if spec is None:
        from tutor.batch.schemas import GradescopeResults

        doc = GradescopeResults(score=0.0, output=report.error or "could not grade", stdout_visibility="hidden")
    else:
        doc = results.gradescope(report, spec, feedback_text(report, spec))
    path = root / "results" / "results.json"
    harness.write_results(path, doc)
    return path
