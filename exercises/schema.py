"""The `exercise.toml` schema: one pydantic model per table an instructor writes.

Every check kind is its own model, selected by its `kind` field, so that a typo in a
parameter is reported against that check (file, field, reason) instead of being ignored.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

TASK_ID = re.compile(r"^[a-z][a-z0-9_-]*\d+(\.\d+)*[a-z]?$")
SLURM_TIME = re.compile(r"^(\d+-)?\d{1,2}:\d{2}:\d{2}$")


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

    name: DatasetName = "mnist"
    adapter: AdapterName = "image"
    # Held-out subset used for grading heavy models on a CPU (None: the whole test set).
    eval_subset: Optional[int] = Field(default=None, gt=0)
    # Train on the first N training images only (lecture hands-ons on overfitting).
    train_subset: Optional[int] = Field(default=None, gt=0)


class Recipe(Strict):
    """The training recipe `tutor train` and the SLURM runner apply, for a fair comparison."""

    epochs: int = Field(default=5, gt=0)
    batch_size: int = Field(default=100, gt=0)
    seed: int = 42
    validation_split: float = Field(default=0.0, ge=0.0, lt=1.0)
    labels: Literal["sparse", "categorical"] = "categorical"


class Resources(Strict):
    """SLURM resources the task needs; the cluster profile adds account, QOS, launcher."""

    job_name: str = "tutor"
    nodes: int = Field(default=1, gt=0)
    ntasks_per_node: int = Field(default=1, gt=0)
    cpus_per_task: int = Field(default=20, gt=0)
    gpus: int = Field(default=1, ge=0)
    time: str = "00:15:00"
    max_time: str = "02:00:00"
    script: str = "job.slurm"  # file name written into the workspace
    command: Optional[str] = None  # script the job runs (e.g. "MNIST.py"); default: our runner

    @field_validator("time", "max_time")
    @classmethod
    def _slurm_time(cls, value: str) -> str:
        if not SLURM_TIME.match(value):
            raise ValueError(f"{value!r} is not a SLURM time such as 00:15:00 or 1-00:00:00")
        return value


class BaselineLayer(Strict):
    class_name: str
    output_shape: list[Optional[int]]
    params: int
    trainable: bool = True


class Baseline(Strict):
    """The published reference a task is compared with (figures from the course material)."""

    description: str
    source: str
    total_params: Optional[int] = None
    trainable_params: Optional[int] = None
    accuracy: Optional[float] = Field(default=None, ge=0, le=1)
    epochs: Optional[int] = None
    batch_size: Optional[int] = None
    optimizer: Optional[str] = None
    layers: list[BaselineLayer] = []


# ----------------------------------------------------------------------------- checks


class CheckBase(Strict):
    """Fields every check takes, whatever its kind."""

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
    exact: Optional[int] = Field(default=None, ge=0)
    min: Optional[int] = Field(default=None, ge=0)
    max: Optional[int] = Field(default=None, ge=0)

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
    shape: Optional[Shape] = None
    shapes: list[Shape] = []

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
    shape: Shape

    @property
    def accepted(self) -> list[list[Optional[int]]]:
        return [list(self.shape)]


class OutputActivationCheck(CheckBase):
    kind: Literal["output_activation"]
    activation: str


class TotalParamsCheck(Bounds):
    kind: Literal["total_params"]


class TrainableParamsCheck(Bounds):
    kind: Literal["trainable_params"]


class NonTrainableParamsCheck(Bounds):
    kind: Literal["non_trainable_params"]


class LayerCountCheck(Bounds):
    """At least/most/exactly N layers of a class (e.g. at least two Conv2D)."""

    kind: Literal["layer_count"]
    layer: str


class FrozenBackboneCheck(CheckBase):
    """Every layer of a pretrained sub-model is frozen, and the trainable part is small."""

    kind: Literal["frozen_backbone"]
    backbone: Optional[str] = None  # name prefix of the sub-model; None: the first nested model
    max_trainable_params: Optional[int] = Field(default=None, ge=0)


class DiffersFromBaselineCheck(CheckBase):
    """The model must not be the task's baseline (compared layer by layer)."""

    kind: Literal["differs_from_baseline"]


class MinAccuracyCheck(CheckBase):
    """Accuracy on the held-out test set, computed by the trusted parent."""

    kind: Literal["min_accuracy"]
    min: float = Field(gt=0, le=1)
    artifact: str = "model.keras"


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
    file: str
    requires: list[ScriptRequirement]
    partial_credit: bool = PARTIAL


LogRequirement = Literal["both_logs", "epoch_times", "test_accuracy", "gpu_used", "tf_version"]


class LogCheck(CheckBase):
    """Parses saved stdout/stderr logs (Keras progress bars and TensorFlow noise included)."""

    kind: Literal["log"]
    stdout: str  # glob, e.g. "*.out" or "run.out"
    stderr: Optional[str] = None
    requires: list[LogRequirement]
    min_accuracy: Optional[float] = Field(default=None, gt=0, le=1)


class JobScriptCheck(CheckBase):
    """The job script's #SBATCH directives fit what the exercise asks for."""

    kind: Literal["job_script"]
    file: str
    nodes: Optional[int] = None
    gpus: Optional[int] = None
    max_time: Optional[str] = None
    runs: Optional[str] = None  # the script the job must run, e.g. "MNIST.py"


class FilesExistCheck(CheckBase):
    """Each file (a name or a glob) is in the submission and not empty (a Markdown file needs
    more than headings)."""

    kind: Literal["files_exist"]
    files: list[str]
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


# --- course packs beyond chapter 8 (lectures, assignment): issue #7 -----------------------


class AugmentationCheck(CheckBase):
    """Data augmentation is in place: augmentation layers in the model (from the summary), or
    augmentation layers, a `tf.data` map or an image generator in `files` (read by AST)."""

    kind: Literal["augmentation"]
    files: list[str] = ["model.py"]


class TrainableLayersCheck(CheckBase):
    """For one artifact, whether the pretrained backbone trains: all frozen ("none") or partly
    or fully unfrozen for fine-tuning ("some"). Under `tutor check`, an artifact other than
    model.keras is answered from `source` (it must set `.trainable = True`, read by AST)."""

    kind: Literal["trainable_layers"]
    artifact: str = "model.keras"
    backbone: Optional[str] = None  # name prefix of the sub-model; None: the first nested model
    backbone_trains: Literal["none", "some"]
    source: Optional[str] = None


class WeightedLayersCheck(Bounds):
    """Depth: layers that carry weights (Conv*, Dense...), normalisation layers not counted."""

    kind: Literal["weighted_layers"]


class NoPretrainedWeightsCheck(CheckBase):
    """Trained from scratch: no `weights=` other than None, no `load_weights()` (AST of files)."""

    kind: Literal["no_pretrained_weights"]
    files: list[str] = ["model.py"]


class CompileSettingsCheck(CheckBase):
    """The optimizer and loss given to `compile()` (summary's optimizer config, else AST)."""

    kind: Literal["compile_settings"]
    file: str = "model.py"
    optimizer: Optional[str] = None  # e.g. "adam"
    loss: Optional[str] = None  # e.g. "categorical_crossentropy"


class LrScheduleCheck(CheckBase):
    """A learning-rate schedule (Keras schedule or LR callback), or a Lookahead optimiser."""

    kind: Literal["lr_schedule"]
    files: list[str] = ["model.py"]
    allow_lookahead: bool = True


class MarkdownSectionsCheck(CheckBase):
    """A Markdown report has every required section (heading), each with some words in it."""

    kind: Literal["markdown_sections"]
    file: str
    sections: list[str] = Field(min_length=1)  # heading texts, matched case-insensitively
    min_words: int = Field(default=20, ge=0)
    partial_credit: bool = PARTIAL


class HardwareReportCheck(CheckBase):
    """The hardware report collected inside the job (GPU and CPU model, count, memory, clock)."""

    kind: Literal["hardware_report"]
    file: str = "hardware.json"
    require_gpu: bool = True


class HistoryPlotCheck(CheckBase):
    """A PNG plot of the training history, and (optionally) a run record with validation history."""

    kind: Literal["history_plot"]
    file: str = "history.png"
    min_width: int = Field(default=200, gt=0)
    min_height: int = Field(default=150, gt=0)
    record: Optional[str] = "train.json"


class OverfittingCheck(CheckBase):
    """Training accuracy (run record) above test accuracy by at least `min_gap` (grade only)."""

    kind: Literal["overfitting"]
    record: str = "train.json"
    min_gap: float = Field(default=0.05, gt=0, lt=1)


class ComparisonTableCheck(CheckBase):
    """A comparison table written by `tutor compare` from the recorded runs of `runs`."""

    kind: Literal["comparison_table"]
    file: str = "COMPARISON.md"
    runs: list[str] = Field(min_length=1)  # task ids whose recorded runs the table must list
    min_rows: int = Field(default=2, ge=1)


Check = Annotated[
    Union[
        InputShapeCheck,
        OutputShapeCheck,
        OutputActivationCheck,
        TotalParamsCheck,
        TrainableParamsCheck,
        NonTrainableParamsCheck,
        LayerCountCheck,
        FrozenBackboneCheck,
        DiffersFromBaselineCheck,
        MinAccuracyCheck,
        ScriptCheck,
        LogCheck,
        JobScriptCheck,
        FilesExistCheck,
        ManualCheck,
        ConfirmCheck,
        AugmentationCheck,
        TrainableLayersCheck,
        WeightedLayersCheck,
        NoPretrainedWeightsCheck,
        CompileSettingsCheck,
        LrScheduleCheck,
        MarkdownSectionsCheck,
        HardwareReportCheck,
        HistoryPlotCheck,
        OverfittingCheck,
        ComparisonTableCheck,
    ],
    Field(discriminator="kind"),
]

# Check kinds that need a trained artifact (the rest work on a freshly built model or files).
ARTIFACT_KINDS = frozenset({"min_accuracy", "overfitting"})
# Check kinds answered from the model summary.
STRUCTURAL_KINDS = frozenset(
    {
        "input_shape",
        "output_shape",
        "output_activation",
        "total_params",
        "trainable_params",
        "non_trainable_params",
        "layer_count",
        "frozen_backbone",
        "differs_from_baseline",
        "weighted_layers",
        "trainable_layers",
    }
)


class Exercise(Strict):
    """One task: the whole of an `exercise.toml`."""

    id: str
    title: str
    pack: str = "book"
    chapter: int = Field(ge=0)
    order: int = Field(ge=0)
    kind: ExerciseKind
    summary: str
    needs_gpu: bool = False
    dataset: Optional[DatasetSpec] = None
    files: list[str] = []  # what the student writes (and hands in)
    artifacts: list[str] = []  # what training produces (and is handed in)
    recipe: Optional[Recipe] = None
    resources: Optional[Resources] = None
    checks: list[Check] = []
    hints: list[str] = []
    baseline: Optional[Baseline] = None
    # Weights the task needs staged offline, by data-layer name (e.g. "mobilenet_v2_96_no_top").
    weights: list[str] = []

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
        if self.needs_gpu and self.resources is None:
            raise ValueError("a task that needs a GPU needs [resources] for its SLURM job")
        if any(c.kind == "differs_from_baseline" for c in self.checks) and not (
            self.baseline and self.baseline.layers
        ):
            raise ValueError("a differs_from_baseline check needs [baseline] with its layers")
        return self

    @property
    def gradable(self) -> bool:
        return self.kind is not ExerciseKind.guide

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)
