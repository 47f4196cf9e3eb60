"""The `exercise.toml` schema: one pydantic model per table an instructor writes.

Every check kind is its own model, selected by its `kind` field, so that a typo in a
parameter is reported against that check (file, field, reason) instead of being ignored.
"""

from __future__ import annotations

import re
import typing
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from exercises.target import TargetFramework

TASK_ID = re.compile(r"^[a-z][a-z0-9_-]*\d+(\.\d+)*[a-z]?$")
SLURM_TIME = re.compile(r"^(\d+-)?\d{1,2}:\d{2}:\d{2}$")


def doc(default: Any = ..., text: str = "", example: Any = None, **constraints: Any) -> Any:
    """A field with its meaning and an example, for `tutor author docs` (docs/authoring.md)."""
    return Field(default, description=text, examples=None if example is None else [example], **constraints)


class Strict(BaseModel):
    """Base for every spec table: unknown keys are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ExerciseKind(str, Enum):
    model = "model"  # model.py with build_model(); graded on the trained artifact
    script = "script"  # a standalone script (8.2), graded by reading it
    job = "job"  # something run on the cluster; graded from its job script and logs
    guide = "guide"  # no artifact; completes on the student's say-so


DatasetName = Literal["mnist", "fashion_mnist", "cifar10"]
AdapterName = Literal["flatten", "image", "rgb96", "cifar"]


class DatasetSpec(Strict):
    """Which dataset a task trains and is graded on, and how inputs are shaped for it."""

    name: DatasetName = doc("mnist", "The dataset (staged by `tutor data stage`); grading uses its test split.",
                            "fashion_mnist")
    adapter: AdapterName = doc(
        "image", "How images reach the model: flatten = (784,), image = (28, 28, 1), cifar = (32, 32, 3), "
        "rgb96 = MNIST resized to (96, 96, 3). A model taking another shape with the same pixel count "
        "(e.g. (28, 28) under flatten) gets the data reshaped to it.", "flatten")
    eval_subset: Optional[int] = doc(None, "Grade on the first N test images only (heavy models on a CPU); "
                                     "unset: the whole test set.", 2000, gt=0)
    train_subset: Optional[int] = doc(None, "Train on the first N training images only (e.g. a hands-on "
                                      "about overfitting); `tutor author check --train` also uses it.", 5000, gt=0)


class Recipe(Strict):
    """The training recipe `tutor train` and the SLURM runner apply, for a fair comparison."""

    epochs: int = doc(5, "Epochs of `tutor train`, the SLURM runner and `tutor author check --train`.", 3, gt=0)
    batch_size: int = doc(100, "Batch size of model.fit.", 128, gt=0)
    seed: int = doc(42, "Random seed set before the model is built and trained.", 1)
    validation_split: float = doc(0.0, "Share of the training images held out for validation (from the end).",
                                  0.1, ge=0.0, lt=1.0)
    labels: Literal["sparse", "categorical"] = doc(
        "categorical", "How labels reach model.fit: categorical = one-hot (loss categorical_crossentropy), "
        "sparse = class numbers (loss sparse_categorical_crossentropy).", "sparse")
    proof_subset: Optional[int] = doc(
        None, "`tutor author check --train` trains the reference solution on the first N training images "
        "only (to keep the proof cheap on a CPU; the bar must still be reached); students train on all.",
        10000, gt=0)


class Resources(Strict):
    """SLURM resources the task needs; the cluster profile adds account, QOS, launcher."""

    job_name: str = doc("tutor", "SLURM job name (letters, digits, . _ -).", "fashion")
    nodes: int = doc(1, "#SBATCH --nodes.", 1, gt=0)
    ntasks_per_node: int = doc(1, "#SBATCH --ntasks-per-node.", 1, gt=0)
    cpus_per_task: int = doc(20, "#SBATCH --cpus-per-task (a profile's cpus_per_task overrides it).", 8, gt=0)
    gpus: int = doc(1, "GPUs the job asks for (0: a CPU job; a profile's gpus_per_job overrides it for GPU tasks).",
                    1, ge=0)
    time: str = doc("00:15:00", "Default wall time ([D-]HH:MM:SS); `tutor submit --time` overrides it.", "00:30:00")
    max_time: str = doc("02:00:00", "The most a student may ask for with --time.", "01:00:00")
    script: str = doc("job.slurm", "File name of the job script written into the workspace.", "MNIST.slurm")
    command: Optional[str] = doc(None, "What the job runs (e.g. a student's script); unset: tutor's runner "
                                 "trains model.py with the recipe.", "python MNIST.py")

    @field_validator("time", "max_time")
    @classmethod
    def _slurm_time(cls, value: str) -> str:
        if not SLURM_TIME.match(value):
            raise ValueError(f"{value!r} is not a SLURM time such as 00:15:00 or 1-00:00:00")
        return value


class BaselineLayer(Strict):
    """One layer of the baseline model, as the model summary lists it."""

    class_name: str = doc(text="Keras layer class.", example="Dense")
    output_shape: list[Optional[int]] = doc(text="Output shape without the batch dimension.", example=[128])
    params: int = doc(text="Parameter count.", example=100480)
    trainable: bool = doc(True, "Whether the layer trains.", False)


class Baseline(Strict):
    """The published reference a task is compared with (figures from the course material)."""

    description: str = doc(text="The baseline model in one line.", example="Dense(128, relu) -> Dense(10, softmax), Adam")
    source: str = doc(text="Where its figures come from.", example="Lecture 2, slide 14")
    total_params: Optional[int] = doc(None, "Its parameter count.", 101770)
    trainable_params: Optional[int] = doc(None, "Its trainable parameter count.", 101770)
    accuracy: Optional[float] = doc(None, "Its published test accuracy.", 0.88, ge=0, le=1)
    epochs: Optional[int] = doc(None, "Epochs it was trained for.", 5)
    batch_size: Optional[int] = doc(None, "Batch size it was trained with.", 100)
    optimizer: Optional[str] = doc(None, "Its optimizer.", "adam")
    layers: list[BaselineLayer] = doc([], "Its layers (needed by differs_from_baseline), inline tables.",
                                      [{"class_name": "Dense", "output_shape": [10], "params": 1290}])


# ----------------------------------------------------------------------------- checks

# What a check reads to answer: each check model declares it once (`reads`), and everything
# else is derived from it (the `Check` union, STRUCTURAL_KINDS, ARTIFACT_KINDS, which further
# artifacts intake looks for, what `tutor author docs` says of each kind).
Input = Literal["model", "trained_model", "other_artifact", "source", "job_script", "logs", "documents",
                "run_record", "confirmation"]
INPUT_TEXT: dict[str, str] = {
    "model": "the model's summary: built from model.py by `tutor check`, read from model.keras by `tutor grade`",
    "trained_model": "the trained model's test predictions (`tutor grade`; skipped by `tutor check`)",
    "other_artifact": "a further trained model it names (`artifact`), opened in safe mode by `tutor grade`",
    "source": "Python source, as a syntax tree (never run)",
    "job_script": "a SLURM job script",
    "logs": "saved job logs",
    "documents": "handed-in files (Markdown, images, JSON)",
    "run_record": "the run record `tutor train` writes (train.json)",
    "confirmation": "the student's `tutor done`",
}
# Every check model, in the order defined here (filled by CheckBase as each one is defined).
CHECK_MODELS: list[type["CheckBase"]] = []


class CheckBase(Strict):
    """Fields every check takes, whatever its kind."""

    # Traits, declared by each check kind's model (class attributes, not spec keys):
    KIND: ClassVar[str] = ""  # its `kind` value, filled in from the Literal
    reads: ClassVar[frozenset[str]] = frozenset()  # the Inputs it answers from
    structural: ClassVar[bool] = False  # about the model's structure: a failure means "fix the model", not "train"

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Register a check kind (a subclass with a `kind` field) and vet its traits."""
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("kind")
        if field is None:
            return  # a shared base such as Bounds
        (cls.KIND,) = typing.get_args(field.annotation)
        unknown = sorted(cls.reads - set(typing.get_args(Input)))
        if unknown:
            raise TypeError(f"{cls.__name__}.reads names unknown inputs {unknown}; known: {typing.get_args(Input)}")
        if "other_artifact" in cls.reads and "artifact" not in cls.model_fields:
            raise TypeError(f"{cls.__name__} reads another artifact but has no `artifact` field naming it")
        if cls.structural and "model" not in cls.reads:
            raise TypeError(f"{cls.__name__} is structural but does not read the model")
        if any(m.KIND == cls.KIND for m in CHECK_MODELS):
            raise TypeError(f"two check models declare kind {cls.KIND!r}")
        CHECK_MODELS.append(cls)

    id: str = Field(description="A lower-case slug naming the check in reports and gradebooks.",
                    examples=["input-shape"])
    title: Optional[str] = Field(default=None, description="What students see instead of the id.",
                                 examples=["takes 28x28 images"])
    points: float = Field(default=1.0, ge=0, description="Points a passing check earns.", examples=[2])
    required: bool = Field(
        default=True,
        description="Whether the task passes only if this check passes. `required = false`: the check "
        "still earns or loses its points, but a failure does not fail the task (a bonus).",
        examples=[False])
    hidden: bool = Field(
        default=False,
        description="Run only when the instructor grades (`tutor batch`, including collected hand-ins); "
        "a student's `tutor check/grade` neither runs nor shows it, and its points are not in their total.",
        examples=[True])

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9_-]*$", value):
            raise ValueError("check ids are lower-case slugs such as 'input-shape'")
        return value


class Bounds(CheckBase):
    exact: Optional[int] = doc(None, "Exactly this many (give exact, or min and/or max).", 101770, ge=0)
    min: Optional[int] = doc(None, "At least this many.", 2, ge=0)
    max: Optional[int] = doc(None, "At most this many.", 500000, ge=0)

    @model_validator(mode="after")
    def _some_bound(self) -> "Bounds":
        if self.exact is None and self.min is None and self.max is None:
            raise ValueError("give at least one of exact, min, max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


# TOML has no null: a dimension of any size (a variable image side) is written "None" (also
# accepted: "?", "*", "null", "any", -1). Shapes are written without the batch dimension
# (`[784]`); written out (`["batch", 784]` or `["None", 784]`) it means the same.
ANY_SIZE = frozenset({"none", "null", "batch", "?", "*", "any"})


def _dimension(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ANY_SIZE:
        return None
    if value == -1:
        return None
    return value


def _shape(value: object) -> object:
    if isinstance(value, (list, tuple)):
        dims = [_dimension(d) for d in value]
        if len(value) > 1 and isinstance(value[0], str) and value[0].strip().lower() == "batch":
            dims = dims[1:]  # the batch dimension, written out
        return dims
    if isinstance(value, int):
        return [value]
    return value


Shape = Annotated[list[Optional[Annotated[int, Field(gt=0)]]], BeforeValidator(_shape)]


class InputShapeCheck(CheckBase):
    """The model's input shape, without the batch dimension: `shape = [784]`; several accepted
    shapes with `shapes = [[784], [28, 28], [28, 28, 1]]` (the data is reshaped to the one the
    model takes when the pixel count matches)."""

    kind: Literal["input_shape"]
    reads = frozenset({"model"})
    structural = True
    shape: Optional[Shape] = doc(None, 'The shape, without the batch dimension; "None" for any size.', [784])
    shapes: list[Shape] = doc([], "Several accepted shapes instead of one.", [[784], [28, 28], [28, 28, 1]])

    @model_validator(mode="after")
    def _one_form(self) -> "InputShapeCheck":
        if (self.shape is None) == (not self.shapes):
            raise ValueError("give either shape = [784] or shapes = [[784], [28, 28]] (one of them)")
        return self

    @property
    def accepted(self) -> list[list[Optional[int]]]:
        return [list(self.shape)] if self.shape is not None else [list(s) for s in self.shapes]


class OutputShapeCheck(CheckBase):
    """The model's output shape, without the batch dimension: `shape = [10]`."""

    kind: Literal["output_shape"]
    reads = frozenset({"model"})
    structural = True
    shape: Shape = doc(text="The shape, without the batch dimension (one unit per class).", example=[10])

    @property
    def accepted(self) -> list[list[Optional[int]]]:
        return [list(self.shape)]


class OutputActivationCheck(CheckBase):
    """The last layer's activation."""

    kind: Literal["output_activation"]
    reads = frozenset({"model"})
    structural = True
    activation: str = doc(text="Keras activation name.", example="softmax")


class TotalParamsCheck(Bounds):
    """The model's parameter count (exact, min, max)."""

    kind: Literal["total_params"]
    reads = frozenset({"model"})
    structural = True


class TrainableParamsCheck(Bounds):
    """The trainable parameter count."""

    kind: Literal["trainable_params"]
    reads = frozenset({"model"})
    structural = True


class NonTrainableParamsCheck(Bounds):
    """The non-trainable parameter count (frozen layers, BatchNormalization statistics)."""

    kind: Literal["non_trainable_params"]
    reads = frozenset({"model"})
    structural = True


class LayerCountCheck(Bounds):
    """At least/most/exactly N layers of a class (e.g. at least two Conv2D)."""

    kind: Literal["layer_count"]
    reads = frozenset({"model"})
    structural = True
    layer: str = doc(text="Keras layer class to count.", example="Conv2D")


class FrozenBackboneCheck(CheckBase):
    """Every layer of a pretrained sub-model is frozen, and the trainable part is small."""

    kind: Literal["frozen_backbone"]
    reads = frozenset({"model"})
    structural = True
    backbone: Optional[str] = doc(None, "Name prefix of the pretrained sub-model; unset: the first nested model.",
                                  "mobilenetv2")
    max_trainable_params: Optional[int] = doc(None, "At most this many trainable parameters in all.", 20000, ge=0)


class DiffersFromBaselineCheck(CheckBase):
    """The model must not be the task's baseline (compared layer by layer)."""

    kind: Literal["differs_from_baseline"]
    reads = frozenset({"model"})
    structural = True


class MinAccuracyCheck(CheckBase):
    """Accuracy on the held-out test set, computed by the trusted parent."""

    kind: Literal["min_accuracy"]
    reads = frozenset({"trained_model"})
    min: float = doc(text="The bar: accuracy on the held-out test set (0-1). `tutor author check --train` "
                     "proves the reference solution reaches it.", example=0.85, gt=0, le=1)
    artifact: str = doc("model.keras", "The trained model file graded (opened in safe mode, no student code).",
                        "model.keras")


ScriptRequirement = Literal[
    "loads_data_from_path",
    "defines_model",
    "compiles",
    "trains",
    "evaluates",
    "prints_accuracy",
    "no_notebook_leftovers",
]


PARTIAL = Field(default=False, description="Earn a share of the points for each part met (e.g. 5 of 6 "
                "requirements: 5/6 of the points); the check still fails until every part is met.",
                examples=[True])


class ScriptCheck(CheckBase):
    """Reads a script's syntax tree (never runs it) for the structure a task asks for."""

    kind: Literal["script"]
    reads = frozenset({"source"})
    file: str = doc(text="The script, in the submission.", example="train.py")
    requires: list[ScriptRequirement] = doc(
        text="What the script must do: loads_data_from_path (reads a staged file, no download), "
        "defines_model, compiles, trains (fit), evaluates, prints_accuracy, no_notebook_leftovers "
        "(!pip, %magic, display()).", example=["defines_model", "compiles", "trains", "evaluates"])
    partial_credit: bool = PARTIAL


LogRequirement = Literal["both_logs", "epoch_times", "test_accuracy", "gpu_used", "tf_version"]


class LogCheck(CheckBase):
    """Parses saved stdout/stderr logs (Keras progress bars and TensorFlow noise included)."""

    kind: Literal["log"]
    reads = frozenset({"logs"})
    stdout: str = doc(text="The job's standard output (a name or glob).", example="*.out")
    stderr: Optional[str] = doc(None, "Its standard error (a name or glob).", "*.err")
    requires: list[LogRequirement] = doc(text="What the logs must show: both_logs, epoch_times, test_accuracy, "
                                         "gpu_used, tf_version.", example=["both_logs", "test_accuracy"])
    min_accuracy: Optional[float] = doc(None, "The test accuracy the log must report, at least.", 0.9, gt=0, le=1)


class JobScriptCheck(CheckBase):
    """The job script's #SBATCH directives fit what the exercise asks for."""

    kind: Literal["job_script"]
    reads = frozenset({"job_script"})
    file: str = doc(text="The job script.", example="MNIST.slurm")
    nodes: Optional[int] = doc(None, "The --nodes it must ask for.", 1)
    gpus: Optional[int] = doc(None, "The GPUs it must ask for.", 1)
    max_time: Optional[str] = doc(None, "The most --time it may ask for.", "00:30:00")
    runs: Optional[str] = doc(None, "The script the job must run.", "MNIST.py")


class FilesExistCheck(CheckBase):
    """Each file (a name or a glob) is in the submission and not empty (a Markdown file needs
    more than headings)."""

    kind: Literal["files_exist"]
    reads = frozenset({"documents"})
    files: list[str] = doc(text="File names or globs.", example=["NOTES.md", "*.png"])
    partial_credit: bool = PARTIAL


class ManualCheck(CheckBase):
    """Marked by the instructor (a rubric item): never graded automatically. Students see the
    rubric with "marked by your instructor"; `tutor batch` leaves a column in `marks.csv` to fill
    in, and adds the marks to the gradebook on its next run."""

    kind: Literal["manual"]
    rubric: str = Field(description="What the instructor looks for, shown to students.",
                        examples=["The notes explain why dropout helped (or did not)."])


class ConfirmCheck(CheckBase):
    """A guide step the student confirms themselves (`tutor done TASK`)."""

    kind: Literal["confirm"]
    reads = frozenset({"confirmation"})


# --- course packs beyond chapter 8 (lectures, assignment): issue #7 -----------------------


class AugmentationCheck(CheckBase):
    """Data augmentation is in place: augmentation layers in the model (from the summary), or
    augmentation layers, a `tf.data` map or an image generator in `files` (read by AST)."""

    kind: Literal["augmentation"]
    reads = frozenset({"model", "source"})
    files: list[str] = doc(["model.py"], "Files read for augmentation code.", ["model.py", "data.py"])


class TrainableLayersCheck(CheckBase):
    """For one artifact, whether the pretrained backbone trains: all frozen ("none") or partly
    or fully unfrozen for fine-tuning ("some"). Under `tutor check`, an artifact other than
    model.keras is answered from `source` (it must set `.trainable = True`, read by AST)."""

    kind: Literal["trainable_layers"]
    reads = frozenset({"model", "other_artifact", "source"})
    structural = True
    artifact: str = doc("model.keras", "The trained model file looked at.", "finetuned.keras")
    backbone: Optional[str] = doc(None, "Name prefix of the sub-model; unset: the first nested model.", "mobilenetv2")
    backbone_trains: Literal["none", "some"] = doc(text="none: all frozen; some: partly or fully unfrozen.",
                                                   example="some")
    source: Optional[str] = doc(None, "Script answering for the artifact under `tutor check`.", "finetune.py")


class WeightedLayersCheck(Bounds):
    """Depth: layers that carry weights (Conv*, Dense...), normalisation layers not counted."""

    kind: Literal["weighted_layers"]
    reads = frozenset({"model"})
    structural = True


class NoPretrainedWeightsCheck(CheckBase):
    """Trained from scratch: no `weights=` other than None, no `load_weights()` (AST of files)."""

    kind: Literal["no_pretrained_weights"]
    reads = frozenset({"source"})
    files: list[str] = doc(["model.py"], "Files read.", ["model.py"])


class CompileSettingsCheck(CheckBase):
    """The optimizer and loss given to `compile()` (summary's optimizer config, else AST)."""

    kind: Literal["compile_settings"]
    reads = frozenset({"model", "source"})
    file: str = doc("model.py", "File read when the model summary does not say.", "model.py")
    optimizer: Optional[str] = doc(None, "Optimizer name (lower case).", "adam")
    loss: Optional[str] = doc(None, "Loss name.", "categorical_crossentropy")


class LrScheduleCheck(CheckBase):
    """A learning-rate schedule (Keras schedule or LR callback), or a Lookahead optimiser."""

    kind: Literal["lr_schedule"]
    reads = frozenset({"model", "source"})
    files: list[str] = doc(["model.py"], "Files read.", ["model.py"])
    allow_lookahead: bool = doc(True, "Whether a Lookahead optimiser counts.", False)


class FitCallbacksCheck(CheckBase):
    """The training script hands these Keras callbacks to `fit()` (read by AST, never run): e.g.
    ModelCheckpoint, so that a cluster job stopped at its time limit keeps its best epoch, or
    EarlyStopping, so that it stops spending the allocation once validation stops improving."""

    kind: Literal["fit_callbacks"]
    reads = frozenset({"source"})
    file: str = doc(text="The training script.", example="MNIST.py")
    callbacks: list[str] = doc(text="Callback classes fit() must be given (a subclass of one counts).",
                               example=["ModelCheckpoint", "EarlyStopping"], min_length=1)
    partial_credit: bool = PARTIAL


class MarkdownSectionsCheck(CheckBase):
    """A Markdown report has every required section (heading), each with some words in it."""

    kind: Literal["markdown_sections"]
    reads = frozenset({"documents"})
    file: str = doc(text="The Markdown file.", example="REPORT.md")
    sections: list[str] = doc(text="Heading texts (case-insensitive).", example=["Method", "Results"], min_length=1)
    min_words: int = doc(20, "Words each section needs.", 50, ge=0)
    partial_credit: bool = PARTIAL


class HardwareReportCheck(CheckBase):
    """The hardware report collected inside the job (GPU and CPU model, count, memory, clock)."""

    kind: Literal["hardware_report"]
    reads = frozenset({"documents"})
    file: str = doc("hardware.json", "The report the collector job wrote.", "hardware.json")
    require_gpu: bool = doc(True, "Whether a GPU must be recorded.", False)


class HistoryPlotCheck(CheckBase):
    """A PNG plot of the training history, and (optionally) a run record with validation history."""

    kind: Literal["history_plot"]
    reads = frozenset({"documents", "run_record"})
    file: str = doc("history.png", "The PNG plot.", "history.png")
    min_width: int = doc(200, "Minimum width in pixels.", 400, gt=0)
    min_height: int = doc(150, "Minimum height in pixels.", 300, gt=0)
    record: Optional[str] = doc("train.json", "Run record that must have validation history (unset: none).", "train.json")


class OverfittingCheck(CheckBase):
    """Training accuracy (run record) above test accuracy by at least `min_gap` (grade only)."""

    kind: Literal["overfitting"]
    reads = frozenset({"trained_model", "run_record"})
    record: str = doc("train.json", "The run record (written by tutor train).", "train.json")
    min_gap: float = doc(0.05, "Training minus test accuracy, at least.", 0.1, gt=0, lt=1)


class ComparisonTableCheck(CheckBase):
    """A comparison table written by `tutor compare` from the recorded runs of `runs`."""

    kind: Literal["comparison_table"]
    reads = frozenset({"documents"})
    file: str = doc("COMPARISON.md", "The table file.", "COMPARISON.md")
    runs: list[str] = doc(text="Task ids whose recorded runs the table must list.", example=["a1.1", "a1.2"],
                          min_length=1)
    min_rows: int = doc(2, "Rows the table needs.", 3, ge=1)


# A new check kind is its model above (fields, `kind`, traits); nothing here lists kinds.
Check = Annotated[Union[tuple(CHECK_MODELS)], Field(discriminator="kind")]  # type: ignore[valid-type]

# Check kinds that need the trained model (skipped by `tutor check`).
ARTIFACT_KINDS = frozenset(m.KIND for m in CHECK_MODELS if "trained_model" in m.reads)
# Check kinds about the model's structure (answered from its summary).
STRUCTURAL_KINDS = frozenset(m.KIND for m in CHECK_MODELS if m.structural)


class FrameworkHints(Strict):
    """Hints in the words of one framework: hint number (1 = the first of `hints`) -> its text.
    Where a course's target framework (the cluster profile's [framework]) matches, that text is
    shown in place of the common hint; every other hint, and every other framework, gets `hints`."""

    keras2: dict[int, str] = doc({}, "For courses whose jobs run Keras 2 (tf.keras, TensorFlow <= 2.15, e.g. the "
                                 "book's TF 2.11 image).", {2: "Keras 2 reads mnist.load_data(path=...) when ..."})
    keras3: dict[int, str] = doc({}, "For courses whose jobs run Keras 3 (TensorFlow >= 2.16, or Keras on torch/jax).",
                                 {2: "Keras 3 refuses a path: read the file with numpy.load(path)."})


class Exercise(Strict):
    """One task: the whole of an `exercise.toml`."""

    id: str = doc(text="The task id, the same as its folder's name: letters then a number (task8.1, fm1, a2.1.3).",
                  example="fm1")
    title: str = doc(text="One line, shown in `tutor list`.", example="A dense classifier for Fashion-MNIST")
    pack: str = doc("book", "The pack it belongs to: filled in from the pack folder it is in; set it only to "
                    "put the task in another pack.", "fashion")
    chapter: int = doc(text="Chapter (or week) it is listed under; the pack's [chapters] names it.", example=1, ge=0)
    order: int = doc(text="Its place within the chapter.", example=1, ge=0)
    kind: ExerciseKind = doc(
        text="model: model.py with build_model() returning a compiled Keras model, graded on the trained "
        "model.keras; script: a script graded by reading it (never run); job: graded from its job script and "
        "logs; guide: no grading, the student confirms with `tutor done`.", example="model")
    summary: str = doc(text="A sentence or two on what the task asks (shown by `tutor show`).",
                       example="Build a dense network that classifies Fashion-MNIST.")
    needs_gpu: bool = doc(False, "Train on a GPU node (`tutor submit`) rather than `tutor train` on a CPU.", True)
    dataset: Optional[DatasetSpec] = doc(None, "[dataset]: what a model task trains and is graded on.")
    files: list[str] = doc([], "What the student writes and hands in (a model task: model.py first).",
                           ["model.py", "NOTES.md"])
    artifacts: list[str] = doc([], "What training produces and is handed in.", ["model.keras", "train.json"])
    recipe: Optional[Recipe] = doc(None, "[recipe]: how a model task is trained (required for model tasks).")
    resources: Optional[Resources] = doc(None, "[resources]: the SLURM job (required when needs_gpu = true).")
    checks: list[Check] = doc([], "[[checks]]: one table per check, in the order reports show them.")
    hints: list[str] = doc([], "Hints `tutor hint` reveals one at a time (a gradable task needs three or more).",
                           ["Flatten the 28x28 images, or take shape (784,).", "Two Dense layers are enough.",
                            "Compile with the loss the recipe's labels need."])
    hints_for: Optional[FrameworkHints] = doc(
        None, "[hints_for.keras2] / [hints_for.keras3]: a hint's text for one framework, by its number; the "
        "course's target framework picks it, anything else falls back to the common hint.")
    baseline: Optional[Baseline] = doc(None, "[baseline]: the published reference the task is compared with.")
    weights: list[str] = doc([], "Pretrained weights the task needs staged offline (data-layer names).",
                             ["mobilenet_v2_96_no_top"])
    carry_over: dict[str, list[str]] = doc(
        {}, "Files the student wrote in an earlier task and this one reuses, with the tasks to take them from "
        "(first found wins): `tutor start` copies them from those workspaces or says where to get them, and a "
        "job_script check that runs a missing one names those tasks.", {"MNIST.py": ["task8.3", "task8.2"]})

    @field_validator("id")
    @classmethod
    def _task_id(cls, value: str) -> str:
        if not TASK_ID.match(value):
            raise ValueError("task ids look like 'task8.1'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Exercise":
        ids = [check.id for check in self.checks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate check ids: {', '.join(duplicates)}")
        if self.kind is ExerciseKind.model:
            if self.dataset is None or self.recipe is None:
                raise ValueError("a model task needs [dataset] and [recipe]")
            if "model.py" not in self.files:
                raise ValueError("a model task's files must include model.py")
        if self.kind is not ExerciseKind.guide and len(self.hints) < 3:
            raise ValueError("a gradable task needs at least three hints")
        if self.hints_for is not None:
            numbers = sorted({*self.hints_for.keras2, *self.hints_for.keras3})
            stray = [n for n in numbers if not 1 <= n <= len(self.hints)]
            if stray:
                raise ValueError(f"hints_for names hint {stray[0]}, but there are {len(self.hints)} hints "
                                 "(numbers count from 1 and replace a hint of `hints`)")
        strays = sorted(set(self.carry_over) - set(self.files))
        if strays:
            raise ValueError(f"carry_over names {', '.join(strays)}, which are not in files")
        if self.needs_gpu and self.resources is None:
            raise ValueError("a task that needs a GPU needs [resources] for its SLURM job")
        if any(c.kind == "differs_from_baseline" for c in self.checks) and not (
            self.baseline and self.baseline.layers
        ):
            raise ValueError("a differs_from_baseline check needs [baseline] with its layers")
        return self

    def reads(self, what: str) -> list[CheckBase]:
        """Its checks that read `what` (an Input), e.g. "confirmation" or "other_artifact"."""
        return [c for c in self.checks if what in c.reads]

    @property
    def gradable(self) -> bool:
        return self.kind is not ExerciseKind.guide

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)

    def hints_for_target(self, target: "TargetFramework") -> list[str]:
        """The hints as a course on `target` sees them: a hint written for its Keras (hints_for)
        replaces the common one; same count and order, so a hint's number never changes."""
        own = (self.hints_for.keras2 if target.keras_major == 2 else self.hints_for.keras3) if self.hints_for else {}
        return [own.get(number, hint) for number, hint in enumerate(self.hints, start=1)]
