"""The artifact zoo: what real TensorFlow/Keras versions (TF 2.8 ... 2.21, Keras 2 and 3, Keras 3
on torch) write when a student saves a model in any of the usual shapes, pushed through tutor's
real intake and evaluator (one fork server for all of them).

The artifacts are committed (tests/fixtures/zoo/, made by tests/zoo/make_zoo.py, which says how
to regenerate them): nothing is installed here. Each must be graded with its 1,490 parameters, or
refused with ONE line that says what to save instead; never a traceback, and a refusal never
needs the student's code to run in the trusted process.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from exercises import load_catalog
from grader.intake import intake
from grader.pipeline import Pipeline
from tests.conftest import run_tutor
from tests.zoo.manifest import Manifest, ZooArtifact

MANIFEST = Manifest.load()
WRITTEN = MANIFEST.written
TASK = "task8.1"  # MNIST, 28x28x1 images, ten classes: the zoo's model fits it


def _fully_graded() -> set[str]:
    """One loadable artifact per framework gets the whole grade (predictions on the 10,000 test
    images and every check); the others are opened by the same evaluator for their summary only,
    which is what can differ between shapes and costs a third of the time."""
    chosen: dict[str, str] = {}
    for artifact in WRITTEN:
        if artifact.expect and artifact.expect.outcome == "graded" and (
                artifact.framework not in chosen or artifact.shape == "save-keras"):
            chosen[artifact.framework] = artifact.label
    return set(chosen.values())


FULLY_GRADED = _fully_graded()


@pytest.fixture(scope="module")
def pipeline():
    """The grader's pipeline with one fork server (TensorFlow imported once) for the whole zoo."""
    shared = Pipeline()
    yield shared
    shared.close()


def submission(artifact: ZooArtifact, tmp_path: Path) -> Path:
    """The shape's files as a student's folder holds them (no model.py: the artifact is graded)."""
    folder = tmp_path / "submission"
    shutil.copytree(artifact.folder, folder)
    return folder


def reason(report) -> str:
    """The one line a refused artifact gets: the report's error, or the model-loads check's."""
    if report.error:
        return report.error
    first = report.checks[0]
    assert first.id == "model-loads" and first.status != "passed", report.model_dump_json()[:2000]
    return first.message


def test_the_zoo_covers_the_versions_and_shapes_the_issue_names():
    frameworks = {a.framework for a in MANIFEST.artifacts}
    keras = {a.keras.rsplit(".", 1)[0] for a in WRITTEN}
    assert {"tf2.11", "tf2.15", "tf2.21", "torch"} <= frameworks, frameworks
    assert any(k.startswith("2.") for k in keras) and any(k.startswith("3.") for k in keras), keras
    formats = {a.format for a in WRITTEN}
    assert {"keras-zip", "hdf5", "savedmodel", "weights"} <= formats, formats
    for artifact in WRITTEN:
        assert artifact.folder.is_dir(), f"{artifact.label}: {artifact.folder} missing (run tests/zoo/make_zoo.py)"
        on_disk = sorted(str(p.relative_to(artifact.folder)) for p in artifact.folder.rglob("*") if p.is_file())
        assert on_disk == sorted(artifact.files), artifact.label
        assert sum((artifact.folder / f).stat().st_size for f in artifact.files) < 200_000, artifact.label


@pytest.mark.parametrize("artifact", WRITTEN, ids=[a.label for a in WRITTEN])
def test_every_zoo_artifact_is_graded_or_refused_in_one_line(artifact, pipeline, tmp_path):
    task = load_catalog().get(TASK)
    folder = submission(artifact, tmp_path)
    expect = artifact.expect
    assert expect is not None
    if expect.outcome == "graded" and artifact.label not in FULLY_GRADED:
        found = intake(task, folder, "grade").model
        assert found is not None and found.name == artifact.artifact and found.format.value == artifact.format
        summary, problem = pipeline.summary_of(task, found, folder)
        assert problem is None and summary is not None, (artifact.how, problem)
        assert summary.total_params == expect.params, summary
        return
    report = pipeline.run(task, folder, "grade")
    dumped = report.model_dump_json()
    assert "Traceback" not in dumped, dumped[:3000]
    if expect.outcome == "graded":
        first = report.checks[0]
        assert first.id == "model-loads" and first.status == "passed", (artifact.how, first)
        assert report.model is not None and report.model.total_params == expect.params, report.model
        assert report.accuracy is not None and 0.0 <= report.accuracy <= 1.0
        assert report.meta["artifact"]["format"] == artifact.format
        return
    line = reason(report)
    assert "\n" not in line.strip(), line
    missing = [word for word in expect.says if word.lower() not in line.lower()]
    assert not missing, f"{artifact.label} ({artifact.how}): {line!r} does not say {missing}"


END_TO_END = ("tf2.15/mixed-precision", "tf2.10/save-dir", "tf2.21/weights-dot-h5")


@pytest.mark.parametrize("name", END_TO_END)
def test_tutor_grade_on_zoo_artifacts_prints_a_grade_or_one_line(name, tmp_path):
    """The real CLI on a few of them: a grade, or exit 2/1 with one line on stderr."""
    matches = [a for a in WRITTEN if f"{a.framework}/{a.shape}" == name]
    if not matches:
        pytest.fail(f"{name} is not in the zoo: regenerate it with tests/zoo/make_zoo.py")
    artifact = matches[0]
    result = run_tutor("grade", TASK, "--path", str(submission(artifact, tmp_path)), "--json")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    report = json.loads(result.stdout)
    if artifact.expect.outcome == "graded":
        assert report["model"]["total_params"] == artifact.expect.params
        return
    assert result.returncode in (1, 2)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert all(word.lower() in lines[0].lower() for word in artifact.expect.says), lines[0]
