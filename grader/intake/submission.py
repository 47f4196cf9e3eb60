"""`intake()`: the submission folder, read once, as a `Submission` the whole pipeline shares."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, ValidationError

from exercises import Task
from exercises.schema import ExerciseKind
from grader.intake.artifact import Artifact, ArtifactFormat
from grader.intake.notebook import NotebookCell, locate, read_cells
from grader.sandbox.staging import StagingError, _walk
from grader.save_advice import weights_only

MODEL_ARTIFACT = "model.keras"
MAX_SOURCES = 2000
MAX_RECORD_BYTES = 1 << 20


class SourceFile(BaseModel):
    """A regular file of the submission (not an artifact), by its path inside the folder."""

    model_config = ConfigDict(frozen=True)

    name: str
    size: int
    mtime: float


class TrainedWith(BaseModel):
    """What train.json says trained the artifact (informational: never trusted for a grade)."""

    seed: int
    epochs: int
    device: str
    tensorflow: str
    keras: str
    python: str = ""
    backend: str = ""
    total_s: float


class Submission(BaseModel):
    """One submission, resolved once at intake and passed down through the pipeline."""

    model_config = ConfigDict(frozen=True)

    task: str
    folder: Path
    sources: tuple[SourceFile, ...] = ()
    artifacts: dict[str, Artifact] = {}  # keyed by the name the task expects (model.keras, finetuned.keras)
    trained_with: Optional[TrainedWith] = None
    notebook: Optional[str] = None  # the notebook (in `folder`) whose cells are the model's source
    notebook_cells: Optional[tuple[NotebookCell, ...]] = None  # its code cells, read once at intake
    notebook_problem: Optional[str] = None  # why the notebook cannot be read (a failed build, one line)
    notes: tuple[str, ...] = ()  # what the student should know about what is graded (one line each)

    @property
    def source_label(self) -> str:
        """What the student's model comes from, for messages: model.py or lab.ipynb."""
        return self.notebook or "model.py"

    @property
    def model(self) -> Optional[Artifact]:
        """The trained model artifact (model.keras, or model.h5 / a SavedModel folder in its place)."""
        return self.artifacts.get(MODEL_ARTIFACT)

    def artifact(self, expected: str) -> Optional[Artifact]:
        return self.artifacts.get(expected)

    def has_source(self, name: str) -> bool:
        return any(s.name == name for s in self.sources)


def candidates(expected: str) -> list[str]:
    """Where an artifact the task calls `model.keras` may be: model.keras, model.h5, model/."""
    stem = expected.rsplit(".", 1)[0] if "." in expected else expected
    return [expected, f"{stem}.h5", stem]


def find_artifact(folder: Path, expected: str) -> Optional[Artifact]:
    """The first candidate present (a symlink counts: it is refused later, with its reason);
    a bare folder counts only when it is a SavedModel."""
    for name in candidates(expected):
        path = folder / name
        if not (path.exists() or path.is_symlink()):
            continue
        artifact = Artifact.at(path)
        if path.is_dir() and not path.is_symlink() and artifact.format is not ArtifactFormat.saved_model:
            continue  # a code folder that happens to be called `model`
        return artifact
    return None


def weights_file(folder: Path, expected: str) -> Optional[str]:
    """A weights-only file where the artifact should be (model.save_weights: `model.weights.h5`,
    or Keras 2's TF checkpoint `model.index` + `model.data-*`), by name only: nothing is opened."""
    stem = expected.rsplit(".", 1)[0] if "." in expected else expected
    for name in (f"{stem}.weights.h5", f"{stem}.index"):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            return name
    return None


def set_aside(folder: Path, expected: str, chosen: Artifact) -> Optional[str]:
    """One line when the folder holds more than one candidate for `expected` (model.keras beside
    model.h5, say): which one is graded and what to do, instead of ignoring the others silently."""
    others = [name for name in candidates(expected) if name != chosen.name
              if (folder / name).is_file() or (folder / name / "saved_model.pb").is_file()]
    if not others:
        return None
    also = " and ".join(others)
    return (f"found {also} beside {chosen.name}: tutor grades {chosen.name} only; delete {also}, or save the "
            f"model once, with model.save('{expected}')")


def read_artifact(path: Path) -> Artifact:
    """An artifact at a known path (what `tutor train` just wrote)."""
    return Artifact.at(path)


def expected_artifacts(task: Task) -> list[str]:
    if task.spec.kind is not ExerciseKind.model:
        return []
    others = {c.artifact for c in task.spec.reads("other_artifact")}  # such models have `artifact` (schema)
    return [MODEL_ARTIFACT, *sorted(others - {MODEL_ARTIFACT})]


def _sources(folder: Path, skip: set[str]) -> tuple[SourceFile, ...]:
    found: list[SourceFile] = []
    for path in _walk(folder):
        rel = str(path.relative_to(folder))
        if rel.split("/", 1)[0] in skip or path.is_symlink():
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if path.is_file():
            found.append(SourceFile(name=rel, size=info.st_size, mtime=info.st_mtime))
        if len(found) >= MAX_SOURCES:
            break
    return tuple(found)


def trained_with(folder: Path) -> Optional[TrainedWith]:
    """train.json as the folder holds it, or None when absent, odd or too big."""
    from grader.training import TrainRecord

    path = folder / "train.json"
    if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_RECORD_BYTES:
        return None
    try:
        record = TrainRecord.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None
    return TrainedWith.model_validate(record.model_dump())


def intake(task: Task, path: Path, mode: str = "check") -> Submission:
    """Resolve the folder (or a notebook in it: `--path lab.ipynb`) once; a submission that
    cannot be graded raises StagingError (one line)."""
    source = locate(task, Path(path))
    folder = source.folder
    artifacts = {name: found for name in expected_artifacts(task) if (found := find_artifact(folder, name))}
    graded_from_artifact = mode == "grade" and MODEL_ARTIFACT in artifacts
    if (task.spec.kind is ExerciseKind.model and not graded_from_artifact and source.notebook is None
            and not (folder / "model.py").exists()):
        if mode == "grade" and (weights := weights_file(folder, MODEL_ARTIFACT)):
            raise StagingError(weights_only(weights))
        raise StagingError(f"no model.py (nor a notebook) in {folder}: run `tutor start {task.id}` or pass --path "
                           "to your submission folder or notebook")
    notes = tuple(note for name, found in artifacts.items() if (note := set_aside(folder, name, found)))
    skip = {a.name for a in artifacts.values()}
    cells, problem = read_cells(source.notebook) if source.notebook is not None else (None, None)
    return Submission(task=task.id, folder=folder, sources=_sources(folder, skip), artifacts=artifacts,
                      trained_with=trained_with(folder), notebook=source.notebook.name if source.notebook else None,
                      notebook_cells=cells, notebook_problem=problem, notes=notes)
