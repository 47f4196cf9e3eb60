"""tutor as the grader inside Gradescope and PrairieLearn, run for real in a simulated root (the
platforms' own tree under a temporary folder), on real trained task-8.1 models and real MNIST:
a passing, a failing and a hostile submission each leave a valid results file, never a traceback.

Where each asserted rule comes from:
- [GS] Gradescope "Autograder Specifications" (gradescope-autograders.readthedocs.io/en/latest/specs/):
  `setup.sh` and `run_autograder` at the zip's root; the zip extracted to /autograder/source;
  run_autograder copied to /autograder/run_autograder and run from /autograder; the submission in
  /autograder/submission; results in /autograder/results/results.json with `score` (or a score on
  every test), `execution_time`, `output`, `visibility`, `stdout_visibility`, `tests` (each
  `score`, `max_score`, `status` passed/failed, `name`, `output`, `visibility`).
- [PL] PrairieLearn docs/externalGrading.md: student files in /grade/student, the question data in
  /grade/data/data.json, results written to /grade/results/results.json (a folder the grader must
  create), under 1 MB, `score` in [0, 1] when gradable, `gradable: false` with `format_errors`
  otherwise, `tests` with `name`/`points`/`max_points`; `externalGradingOptions` with `image`,
  `entrypoint` (absolute path, arguments allowed) and `timeout` (at most 600 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests import batch_support
from tests.batch_support import trained  # noqa: F401  (session fixture)
from tests.conftest import run_tutor
from tutor.batch.schemas import PRAIRIELEARN_MAX_BYTES, GradescopeResults, PrairieLearnResults

pytestmark = pytest.mark.tf
TUTOR = Path(sys.executable).with_name("tutor")
DATA = batch_support.DATA


@pytest.fixture(scope="module")
def submissions(tmp_path_factory, trained) -> dict[str, Path]:
    """passing: the reference solution trained on all of MNIST for one epoch (above 0.975);
    failing: a one-convolution variant; hostile: forges results and points at another model."""
    base = tmp_path_factory.mktemp("autograder-subs")
    passing = batch_support.train_variants(base / "full", ["solution"], train_images=60000)["solution"]
    hostile = base / "hostile"
    hostile.mkdir()
    forged = json.dumps({"score": 1000, "output": "FORGED", "gradable": True})
    (hostile / "model.py").write_text(
        "import os\n\ndef build_model():\n"
        "    for path in ['../results', '../../results', '/autograder/results', '/grade/results']:\n"
        f"        try:\n            open(os.path.join(path, 'results.json'), 'w').write({forged!r})\n"
        "        except OSError:\n            pass\n"
        f"    print({forged!r})\n    os._exit(0)\n")
    (hostile / "model.keras").symlink_to(passing / "model.keras")  # someone else's model
    (hostile / "NOTES.md").write_text("=HYPERLINK(\"http://evil.example\")\n")
    return {"passing": passing, "failing": trained["one-conv"], "hostile": hostile}


def _clean_env(tmp: Path) -> dict:
    """The harness' environment: no staged data but what the autograder ships."""
    env = {k: v for k, v in os.environ.items() if k not in ("TUTOR_DATA_DIR", "KERAS_HOME")}
    env.update(HOME=str(tmp / "home"), KERAS_HOME=str(tmp / "home" / ".keras"))
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _place(submission: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(submission, dest, symlinks=True)


def test_gradescope_autograder_zip_runs_in_a_simulated_root(tmp_path, submissions):
    built = run_tutor("autograder", "gradescope", "task8.1", "-o", str(tmp_path / "autograder.zip"),
                      env={"TUTOR_DATA_DIR": str(DATA)})
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder"} <= set(names)  # at the zip's root [GS]
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) & 0o111
        assert not [n for n in names if "solutions" in n.split("/")], "reference solutions shipped"
        assert "tutor-src/pyproject.toml" in names and "tutor-src/tutor/cli/app.py" in names
        shipped = hashlib.sha256(archive.read("data/mnist.npz")).hexdigest()
        assert shipped == hashlib.sha256((DATA / "mnist.npz").read_bytes()).hexdigest()
        setup = archive.read("setup.sh").decode()
        assert "tutor-src[tf]" in setup  # installs tutor and TensorFlow
        root = tmp_path / "autograder"
        archive.extractall(root / "source")  # Gradescope extracts the zip here [GS]
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    env = {**_clean_env(tmp_path), "AUTOGRADER_ROOT": str(root), "TUTOR_BIN": str(TUTOR)}
    scores = {}
    for kind, submission in submissions.items():
        _place(submission, root / "submission")
        results = root / "results"
        shutil.rmtree(results, ignore_errors=True)
        results.mkdir()
        victim = tmp_path / f"victim-{kind}.txt"
        victim.write_text("untouched")
        (results / "results.json").symlink_to(victim)  # a planted link is replaced, not followed
        run = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env,
                             capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, (kind, run.stderr[-3000:])
        assert "Traceback" not in run.stderr + run.stdout, kind
        assert victim.read_text() == "untouched" and not (results / "results.json").is_symlink()
        doc = GradescopeResults.model_validate_json((results / "results.json").read_text())
        assert all(t.max_score is not None and t.status in ("passed", "failed") for t in doc.tests or [])
        assert doc.score == pytest.approx(sum(t.score for t in doc.tests or []))
        assert doc.stdout_visibility == "hidden" and doc.visibility == "visible"
        assert "FORGED" not in (doc.output or "")
        scores[kind] = doc
    assert all(t.status == "passed" for t in scores["passing"].tests), scores["passing"].output
    assert scores["passing"].score == 10
    assert any(t.status == "failed" for t in scores["failing"].tests)
    assert scores["failing"].score < 10
    hostile = scores["hostile"]
    assert hostile.score == 0 and "link" in hostile.output.lower()  # someone else's model refused


def test_prairielearn_entrypoint_runs_in_a_simulated_root(tmp_path, submissions):
    image = tmp_path / "image"
    built = run_tutor("autograder", "prairielearn", "task8.1", "--image", str(image),
                      env={"TUTOR_DATA_DIR": str(DATA)})
    assert built.returncode == 0, built.stderr
    dockerfile = (image / "Dockerfile").read_text()
    assert "COPY tutor-src" in dockerfile and "[tf]" in dockerfile and "TUTOR_DATA_DIR" in dockerfile
    options = json.loads((image / "info.json").read_text())["externalGradingOptions"]
    assert options["entrypoint"].startswith("/") and options["entrypoint"].endswith("prairielearn task8.1")
    assert options["timeout"] <= 600 and options["enabled"] is True  # [PL]
    assert (image / "data" / "mnist.npz").read_bytes() == (DATA / "mnist.npz").read_bytes()
    assert not list(image.rglob("solutions"))
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "wheel"), str(image / "tutor-src")],
                           capture_output=True, text=True, timeout=600)
    assert wheel.returncode == 0, wheel.stderr[-2000:]  # what the Dockerfile installs is installable
    with zipfile.ZipFile(next((tmp_path / "wheel").glob("tutor-*.whl"))) as whl:
        assert "tutor/autograder/prairielearn.py" in whl.namelist()

    root = tmp_path / "grade"
    env = {**_clean_env(tmp_path), "TUTOR_DATA_DIR": str(image / "data")}  # as the image sets it
    docs = {}
    for kind, submission in submissions.items():
        _place(submission, root / "student")
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "data" / "data.json").write_text(json.dumps({"params": {"tutor_task": "task8.1"},
                                                             "submitted_answers": {}}))
        shutil.rmtree(root / "results", ignore_errors=True)  # the grader must create it [PL]
        run = subprocess.run([str(TUTOR), "autograder", "prairielearn", "task8.1", "--root", str(root)],
                             env=env, capture_output=True, text=True, timeout=900)
        assert run.returncode == 0, (kind, run.stderr[-3000:])
        assert "Traceback" not in run.stderr + run.stdout, kind
        path = root / "results" / "results.json"
        assert path.stat().st_size < PRAIRIELEARN_MAX_BYTES
        docs[kind] = PrairieLearnResults.model_validate_json(path.read_text())
        assert "FORGED" not in (docs[kind].output or "") and "FORGED" not in (docs[kind].message or "")
    assert docs["passing"].gradable and docs["passing"].score == 1.0
    assert all(t.points == t.max_points for t in docs["passing"].tests)
    assert docs["failing"].gradable and 0 <= docs["failing"].score < 1
    hostile = docs["hostile"]
    assert (not hostile.gradable and hostile.format_errors) or hostile.score < 1

    # The question's data says another task, or is not JSON: reported, not graded as this task.
    for text, said in ((json.dumps({"params": {"tutor_task": "task7.3"}}), "task7.3"), ("{not json", "data.json")):
        (root / "data" / "data.json").write_text(text)
        run = subprocess.run([str(TUTOR), "autograder", "prairielearn", "task8.1", "--root", str(root)],
                             env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and "Traceback" not in run.stderr
        doc = PrairieLearnResults.model_validate_json((root / "results" / "results.json").read_text())
        assert doc.gradable is False and said in doc.format_errors[0]


def test_a_course_pack_travels_with_the_autograder(tmp_path):
    """A task from the course's own exercise_dirs (not one tutor ships) is in the zip with a
    tutor.toml that finds it, and its reference solution is not."""
    course = tmp_path / "course"
    course.mkdir()
    (course / "tutor.toml").write_text('exercise_dirs = ["packs"]\nsolutions_dir = "solutions"\n')
    env = {"TUTOR_CONFIG": str(course / "tutor.toml"), "TUTOR_DATA_DIR": str(DATA)}
    made = run_tutor("author", "new", "fm9", "--pack", "mycourse", cwd=course, env=env)
    assert made.returncode == 0, made.stderr
    built = run_tutor("autograder", "gradescope", "fm9", "-o", str(tmp_path / "a.zip"), env=env)
    assert built.returncode == 0, built.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        names = archive.namelist()
        assert "course/packs/mycourse/fm9/exercise.toml" in names and "data/fashion-mnist.npz" in names
        assert not [n for n in names if "solution" in n], "reference solution shipped"
        archive.extractall(root / "source")
    home = tmp_path / "home"
    home.mkdir()
    listed = run_tutor("show", "fm9", env={"TUTOR_CONFIG": str(root / "source" / "course" / "tutor.toml"),
                                           "HOME": str(home)})
    assert listed.returncode == 0 and "fm9" in listed.stdout, listed.stderr
