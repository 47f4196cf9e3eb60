"""PrairieLearn: tutor as an external grader, and the grader image it runs in.

Contract (PrairieLearn docs/externalGrading.md, "The Grading Process" and "Grading results"):
the student's files are in `/grade/student`, the question's `data` object is serialised to
`/grade/data/data.json`, and the entrypoint must write `/grade/results/results.json` (a folder it
must create itself), at most 1 MB, with `score` in [0, 1] when gradable, or `gradable: false` and
`format_errors` for a submission that cannot be graded (no attempt is counted). The question's
`info.json` names the image and the entrypoint in `externalGradingOptions` (`timeout` at most
600 s; networking off by default, so the data travels in the image).

A question may pass `"params": {"tutor_task": "task8.1"}` in its data; it must then agree with
the entrypoint's TASK (a mismatch is reported, not graded as the other task).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from exercises import Task
from grader.report import Report
from tutor.autograder import bundle, harness, results
from tutor.batch.feedback import feedback_text
from tutor.batch.schemas import PRAIRIELEARN_MAX_BYTES, PrairieLearnResults

DOCKERFILE = """# The PrairieLearn external-grader image for {task}: tutor, TensorFlow and the staged data.
FROM python:3.12-slim
COPY tutor-src /opt/tutor-src
COPY data /opt/tutor-data
COPY course /opt/tutor-course
RUN pip install --no-cache-dir "/opt/tutor-src[tf]" && tutor --help > /dev/null
ENV TUTOR_DATA_DIR=/opt/tutor-data TUTOR_CONFIG=/opt/tutor-course/tutor.toml
"""

STEPS = """## On PrairieLearn

1. Build and push the image: `docker build -t ORG/tutor-{task} .` then `docker push ORG/tutor-{task}`.
2. In the question's `info.json`, use `info.json` from this folder (image name replaced):
   the entrypoint is `/usr/local/bin/tutor autograder prairielearn {task}`.
3. Give the question a `pl-file-upload` for the files below; PrairieLearn copies them to
   `/grade/student`, tutor writes `/grade/results/results.json`.

Try it here first: make `ROOT/student` and `ROOT/data/data.json`, then
`tutor autograder prairielearn {task} --root ROOT`.
"""


class QuestionData(BaseModel):
    """The part of PrairieLearn's `data.json` tutor reads (the rest is the question's own)."""

    model_config = ConfigDict(extra="allow")

    params: dict = {}


def _task_asked(root: Path, task_id: str) -> Optional[str]:
    """None when data.json agrees with TASK, else why it does not (or cannot be read)."""
    path = root / "data" / "data.json"
    try:
        data = QuestionData.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None  # the docs promise it; a local try may leave it out
    except (OSError, ValidationError, ValueError) as exc:
        return f"{path}: not PrairieLearn question data ({str(exc).splitlines()[0]})"
    asked = data.params.get("tutor_task")
    if asked not in (None, task_id):
        return f"the question asks for {asked!r} but the grader grades {task_id}; fix info.json's entrypoint"
    return None


def grade(task_id: str, root: Path, data_dir: Optional[Path] = None) -> Path:
    """Grade `root/student`, write `root/results/results.json`; returns its path."""
    problem = _task_asked(root, task_id)
    if problem:
        report, spec = Report.could_not_grade(task_id, problem), None
    else:
        report, spec = harness.grade(task_id, root / "student", data_dir)
    if spec is None:
        doc = PrairieLearnResults(gradable=False, format_errors=[report.error or "could not grade"],
                                  message=report.error or "could not grade")
    else:
        doc = results.prairielearn(report, spec, feedback_text(report, spec))
    if len(doc.model_dump_json(exclude_none=True).encode()) >= PRAIRIELEARN_MAX_BYTES:
        doc = doc.model_copy(update={"output": results.cap(doc.output or "", 10_000), "tests": None})
    path = root / "results" / "results.json"
    harness.write_results(path, doc)
    return path


def build_image(task: Task, out: Path, data_dir: Optional[Path], with_data: bool = True) -> bundle.Bundle:
    """Write the grader image folder: Dockerfile, tutor's source, the data, info.json, README."""
    files = bundle.source_files()
    shipped, missing = bundle.data_files(task, data_dir) if with_data else ({}, [])
    files.update(shipped)
    if out.exists():
        for name in ("tutor-src", "data", "course"):
            shutil.rmtree(out / name, ignore_errors=True)
    (out / "data").mkdir(parents=True, exist_ok=True)
    for name, item in {**files, **bundle.course_files(task)}.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, str):
            target.write_text(item)
        else:
            shutil.copyfile(item, target)
    (out / "tutor-src" / "pyproject.toml").write_text(bundle.pyproject())
    (out / "Dockerfile").write_text(DOCKERFILE.format(task=task.id))
    info = {"externalGradingOptions": {
        "enabled": True,
        "image": f"ORG/tutor-{task.id}",
        "entrypoint": f"/usr/local/bin/tutor autograder prairielearn {task.id}",
        "timeout": 600,
    }}
    (out / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "README.md").write_text(bundle.readme(task, "PrairieLearn", sorted(shipped), missing,
                                                 STEPS.format(task=task.id)))
    return bundle.Bundle(files=files, not_shipped=missing)
