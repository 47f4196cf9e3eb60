"""The trusted parent's grading pipeline: stage, sandbox, validate, check, assemble a Report.

Never imports TensorFlow and never opens an untrusted artifact itself: student code runs in
`build`/`train` children, artifacts open only in `evaluate` children (no student code,
no labels). Here the results are validated strictly, predictions are paired with the labels,
`grader.checks.run_checks` judges, and the Report is assembled.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from exercises import Task
from exercises.schema import ExerciseKind
from exercises.target import OWN, TargetFramework
from grader.checks import run_checks
from grader.checks.context import CheckContext, Evaluation, FrontEndFacts, Mode
from grader.data import DATASETS, WEIGHTS, DataError, resolve_dataset, resolve_weights
from grader.data.adapters import input_shape
from grader.data.resolve import load_split
from grader.data.shim import DatasetCopies, named_datasets, python_sources
from grader.data.verify import file_sha256
from grader.intake import Artifact, Submission, intake, read_artifact
from grader.intake.submission import MODEL_ARTIFACT as ARTIFACT
from grader.limits import policy_for
from grader.notebook import NotebookError, NotebookPlan
from grader.report import CheckResult, ModelSummary, Report
from grader.sandbox import ForkServer, Policy, Reply, SandboxError, StagingError, copy_submission
from grader.sandbox.staging import copy_regular, read_regular
from grader.shift_probe import make_probe


class BuildResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: ModelSummary
    compiled: bool
    loss: Optional[str] = None
    device: str = "CPU"


class EvalResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: ModelSummary
    predicted: Optional[list[int]] = None
    predict_error: Optional[str] = None
    device: str


@dataclass
class ModelInspection:
    """What one sandboxed look at the model produced, for the CheckContext and the Report."""

    summary: Optional[ModelSummary] = None
    model_error: Optional[str] = None
    evaluation: Optional[Evaluation] = None
    artifact_error: Optional[str] = None
    row: Optional[CheckResult] = None
    meta: dict[str, Any] = field(default_factory=dict)


def _row(row_id: str, kind: str, ok: bool, message: str) -> CheckResult:
    """The pipeline's own first row: did the model build / load at all (worth no points)."""
    return CheckResult(id=row_id, kind=kind, status="passed" if ok else "failed", message=message, required=True)


def _job_reason(reply: Reply, who: str) -> str:
    """One line for a failed job, naming the part that failed."""
    reason = reply.reason or "failed"
    if reply.failure in ("refused", "server"):
        return reason
    if reply.failure == "exit":
        return (f"{who} ended the process (exit code {reply.exit_code}) before handing back a model; "
                "remove the exit() / os._exit() call")
    return f"{who} {reason}"


def assemble(task: Task, mode: Mode, results: list[CheckResult], outcome: ModelInspection, started: float) -> Report:
    """score = points / max_points; passed iff every required check passed (skips excused in check mode)."""
    from grader.checks.accuracy import accuracy_of, confusion_of, probe_figures

    # Manual (rubric) items wait for the instructor's marks: not in the automatic score.
    counted = [r for r in results if not (mode == "check" and r.status == "skipped") and r.status != "manual"]
    points = sum(r.points for r in counted)
    max_points = sum(r.max_points for r in counted)
    ok = all(
        r.status == "passed" or (mode == "check" and r.status == "skipped")
        for r in counted
        if r.required
    )
    score = points / max_points if max_points else (1.0 if ok else 0.0)
    accuracy = None
    if outcome.evaluation is not None:
        accuracy = accuracy_of(outcome.evaluation)
        classes = DATASETS[task.spec.dataset.name].num_classes if task.spec.dataset else 10
        matrix = confusion_of(outcome.evaluation, classes)
        if matrix is not None:
            outcome.meta["confusion_matrix"] = matrix
        figures = probe_figures(outcome.evaluation)
        if figures is not None:
            outcome.meta["shift_probe"] = {"images": figures[2], "accuracy": round(figures[0], 4),
                                           "shifted_accuracy": round(figures[1], 4)}
    return Report(
        task=task.id,
        status="passed" if ok else "failed",
        score=round(min(max(score, 0.0), 1.0), 6),
        points=points,
        max_points=max_points,
        checks=results,
        model=outcome.summary,
        accuracy=accuracy,
        duration_s=round(time.monotonic() - started, 3),
        meta=outcome.meta,
    )


class Pipeline:
    """Grades many submissions with one fork server (see grader.api.Grader)."""

    def __init__(self, data_dir: Optional[Path] = None, allow_downloads: bool = False,
                 target: TargetFramework = OWN, verify_source: bool = False) -> None:
        self.data_dir = Path(data_dir) if data_dir else None
        self.allow_downloads = allow_downloads
        self.target = target
        # The student's own grade: also build model.py, so a stale model.keras is caught
        # (grader.freshness). Off for batch grading, where grading an artifact runs no student code.
        self.verify_source = verify_source
        self._server: Optional[ForkServer] = None
        self._tests: dict[tuple[str, Optional[int]], tuple[np.ndarray, np.ndarray, dict]] = {}
        self._datasets = DatasetCopies(self.data_dir, allow_downloads)

    # -- machinery -----------------------------------------------------------------
    @property
    def server(self) -> ForkServer:
        if self._server is None:
            from grader.limits import grade_threads

            self._server = ForkServer(threads=grade_threads())
        return self._server

    def warm_up(self) -> None:
        """Start importing TensorFlow in the fork server now, in the background."""
        try:
            self.server.spawn()
        except (SandboxError, OSError):
            pass  # the first job starts it again and reports why it cannot

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _stage_weights(self, task: Task) -> dict[str, str]:
        """The task's staged weights for the sandbox: every job gets a fresh copy of the
        course's file in its own KERAS_HOME (nothing a child does reaches the next job, and
        the trusted side never restores anything through a path a child could have changed)."""
        sources = {name: resolve_weights(name, self.data_dir).path for name in task.spec.weights}
        self.server.weights = {WEIGHTS[name].file_name: Path(path) for name, path in sources.items()}
        return {name: str(path) for name, path in sources.items()}

    def _test_split(self, task: Task) -> tuple[np.ndarray, np.ndarray, dict]:
        spec = task.spec.dataset
        assert spec is not None
        key = (spec.name, spec.eval_subset)
        if key not in self._tests:
            resolved = resolve_dataset(spec.name, self.data_dir, allow_download=self.allow_downloads)
            x, y = load_split(resolved, "test")
            if spec.eval_subset:
                x, y = x[: spec.eval_subset], y[: spec.eval_subset]
            info = {"name": spec.name, "path": str(resolved.path),
                    "variant": resolved.variant.label if resolved.variant else None,
                    "test_images": int(len(y)), "eval_subset": spec.eval_subset}
            self._tests[key] = (np.ascontiguousarray(x), np.asarray(y).reshape(-1).astype(np.int64), info)
        return self._tests[key]

    def _meta(self, task: Task, reply: Optional[Reply], policy: Optional[Policy] = None) -> dict[str, Any]:
        ready = self.server.ready
        meta: dict[str, Any] = {
            "seed": task.spec.recipe.seed if task.spec.recipe else None,
            "tensorflow": ready.tensorflow if ready else None,
            "keras": ready.keras if ready else None,
            "onednn": ready.onednn if ready else None,
        }
        if reply is not None:
            meta.update(isolation_meta(reply))
            meta["sandbox_s"] = reply.wall_s
        if policy is not None:
            meta["threads"] = policy.threads
        return meta

    # -- the three looks at a model ---------------------------------------------------
    def _stage(self, submission: Submission, label: str, exclude: tuple[str, ...]) -> Path:
        workdir = self.server.new_workdir(label, with_sub=False)
        copy_submission(submission.folder, workdir / "sub", exclude=exclude)
        return workdir

    def _source_args(self, submission: Submission, workdir: Path) -> tuple[dict[str, Any], Optional[NotebookPlan]]:
        """Job args for the student's code: a notebook's run plan, and the datasets the code
        loads (copied into the job for the sandbox's Keras loaders)."""
        if submission.notebook is None:
            names = named_datasets(python_sources(submission.folder))
            return {"datasets": self._datasets.stage(names, workdir)}, None
        plan = notebook_plan(submission)
        staged = self._datasets.stage(named_datasets(c.source for c in plan.cells), workdir)
        return {"notebook": plan.model_dump(mode="json"), "datasets": staged}, plan

    def build(self, task: Task, submission: Submission, verify: bool = True) -> ModelInspection:
        """Run the student's build_model() (or notebook cells) in a sandboxed child and
        summarise the model.

        `verify` (check and grade): what the child reports could be forged by the student's
        code in that same process, so the child also saves the model and the summary (and
        whether it is compiled) is read back from that file by the evaluator (our code only)."""
        spec = task.spec
        who = submission.source_label
        policy = policy_for(spec, "build")
        workdir = self._stage(submission, "build", exclude=tuple(a.name for a in submission.artifacts.values()))
        built = workdir / "out" / "built.keras"
        plan: Optional[NotebookPlan] = None
        try:
            try:
                extra, plan = self._source_args(submission, workdir)
            except NotebookError as exc:
                outcome = ModelInspection(meta=self._meta(task, None), model_error=str(exc))
                outcome.row = _row("model-builds", "build", False, str(exc))
                return outcome
            args = {"seed": spec.recipe.seed if spec.recipe else 42, "cap_text": policy.memory_text(),
                    "input_shape": list(input_shape(spec.dataset.adapter)) if spec.dataset else None,
                    "save_to": "out/built.keras" if verify else None, **extra}
            reply = self.server.run("build", workdir, policy, args)
            verified = None
            if verify and reply.ok:
                verified = (self.summary_of(task, read_artifact(built), workdir / "out") if built.is_file() else
                            (None, f"{who} ended before its model could be saved and checked; "
                                   "return the model from build_model()"))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        outcome = ModelInspection(meta=self._meta(task, reply, policy))
        if plan is not None:
            outcome.meta["notebook"] = notebook_meta(plan)
        if not reply.ok:
            outcome.model_error = _job_reason(reply, who)
            outcome.row = _row("model-builds", "build", False, outcome.model_error)
            return outcome
        try:
            result = BuildResult.model_validate(reply.result)
        except ValidationError:
            outcome.model_error = "the sandbox returned an invalid model summary"
            outcome.row = _row("model-builds", "build", False, outcome.model_error)
            return outcome
        outcome.summary = result.summary
        outcome.meta["device"] = result.device
        if verified is not None:
            outcome.summary, problem = verified
            if problem:
                problem = problem.replace("built.keras", "the model build_model() returns")
                outcome.model_error = problem
                outcome.row = _row("model-builds", "build", False, problem)
                return outcome
            assert outcome.summary is not None
            result.compiled = bool(outcome.summary.optimizer or outcome.summary.loss)
            result.loss = outcome.summary.loss
        made = "build_model() returns" if plan is None else f"{plan.summary()}; the model it leaves is"
        if result.compiled:
            outcome.row = _row("model-builds", "build", True, f"{made} a compiled model (loss {result.loss})")
        else:
            outcome.row = _row(
                "model-builds", "build", False,
                f"{made} a model that is not compiled: call model.compile(optimizer=..., "
                "loss=..., metrics=['accuracy']) before " + ("returning it" if plan is None else "the training cells"),
            )
        return outcome

    def summary_of(self, task: Task, artifact: Artifact, root: Path) -> tuple[Optional[ModelSummary], Optional[str]]:
        """The evaluator's summary of one artifact (no predictions), or (None, one-line reason)."""
        name = artifact.name
        workdir = self.server.new_workdir("summary")
        try:
            try:
                staged = artifact.copy_to(workdir / "in", root)
            except StagingError as exc:
                return None, str(exc)
            policy = policy_for(task.spec, "evaluate")
            reply = self.server.run("evaluate", workdir, policy, {"predict": False, "cap_text": policy.memory_text(),
                                                                  "artifact": staged.name, "name": name})
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if not reply.ok:
            return None, _job_reason(reply, f"opening {name}")
        try:
            return EvalResult.model_validate(reply.result).summary, None
        except ValidationError:
            return None, f"the evaluator returned an invalid summary of {name}"

    def evaluate(self, task: Task, submission: Submission, artifact: Artifact) -> ModelInspection:
        """Open the artifact in the evaluator sandbox (no student code), predict, pair with labels."""
        spec = task.spec
        assert spec.dataset is not None
        outcome = ModelInspection()
        name = artifact.name
        workdir = self.server.new_workdir("evaluate")
        try:
            try:
                staged = artifact.copy_to(workdir / "in", submission.folder)
            except StagingError as exc:
                outcome.model_error = outcome.artifact_error = str(exc)
                outcome.row = _row("model-loads", "artifact", False, str(exc))
                outcome.meta = self._meta(task, None)
                return outcome
            x, labels, info = self._test_split(task)
            probe = make_probe(x)  # shifted copies, mixed into the inputs: grader.shift_probe
            np.save(workdir / "in" / "x.npy", np.concatenate([x, probe.images]), allow_pickle=False)
            policy = policy_for(spec, "evaluate")
            args = {"adapter": spec.dataset.adapter, "num_classes": DATASETS[spec.dataset.name].num_classes,
                    "batch_size": 250 if spec.dataset.adapter == "rgb96" else 500,
                    "cap_text": policy.memory_text(), "artifact": staged.name, "name": name}
            reply = self.server.run("evaluate", workdir, policy, args)
            outcome.meta = self._meta(task, reply, policy)
            outcome.meta["dataset"] = info
            outcome.meta["artifact"] = {"name": name, "format": artifact.format.value,
                                        "sha256": file_sha256(staged), "bytes": staged.stat().st_size}
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if not reply.ok:
            outcome.model_error = outcome.artifact_error = _job_reason(reply, f"opening {name}")
            outcome.row = _row("model-loads", "artifact", False, outcome.model_error)
            return outcome
        try:
            result = EvalResult.model_validate(reply.result)
        except ValidationError:
            outcome.model_error = outcome.artifact_error = "the evaluator returned an invalid result"
            outcome.row = _row("model-loads", "artifact", False, outcome.model_error)
            return outcome
        outcome.summary = result.summary
        outcome.meta["device"] = result.device
        outcome.row = _row("model-loads", "artifact", True, f"{name} opens in safe mode (no student code ran)")
        classes = DATASETS[spec.dataset.name].num_classes
        predicted = result.predicted
        if result.predict_error:
            outcome.artifact_error = f"{name} cannot be scored: {result.predict_error}"
        elif (predicted is None or len(predicted) != len(labels) + len(probe.index)
              or any(p < 0 or p >= classes for p in predicted)):
            outcome.artifact_error = "the evaluator returned predictions that do not match the test set"
        else:
            everything = np.asarray(predicted, dtype=np.int64)
            outcome.evaluation = Evaluation(
                predicted=everything[: len(labels)], labels=labels, subset=spec.dataset.eval_subset,
                probe_index=probe.index, probe_predicted=everything[len(labels):],
            )
        return outcome

    # -- the public operations -----------------------------------------------------------
    def run(self, task: Task, folder: Path, mode: Mode, facts: Optional[FrontEndFacts] = None,
            verify_source: Optional[bool] = None) -> Report:
        """`facts`: what only the front end knows (a confirmed guide step, instructor grading)."""
        started = time.monotonic()
        flags: list[CheckResult] = []
        try:
            submission = intake(task, folder, mode)
            outcome = self._look(task, submission, mode)
            if self.verify_source if verify_source is None else verify_source:
                refusal, flag = self._freshness(task, submission, mode, outcome)
                if refusal:
                    return Report.could_not_grade(task.id, refusal, time.monotonic() - started)
                flags = [flag] if flag else []
            summaries, refusals = self._other_artifacts(task, submission, mode)
        except (StagingError, DataError, SandboxError) as exc:
            return Report.could_not_grade(task.id, str(exc), time.monotonic() - started)
        except OSError as exc:  # e.g. a full or unwritable temporary folder
            return Report.could_not_grade(task.id, _os_reason(exc), time.monotonic() - started)
        ctx = CheckContext(
            spec=task.spec,
            submission=submission.folder,
            intake=submission,
            target=self.target,
            mode=mode,
            summary=outcome.summary,
            model_error=outcome.model_error,
            evaluation=outcome.evaluation,
            artifact_error=outcome.artifact_error,
            facts=facts or FrontEndFacts(),
            artifact_summaries=summaries,
            artifact_errors=refusals,
        )
        results = ([outcome.row] if outcome.row else []) + flags + run_checks(ctx)
        outcome.meta["target"] = self.target.label  # the framework the course's jobs train with
        if submission.notes:
            outcome.meta["notes"] = list(submission.notes)  # e.g. model.h5 beside model.keras: which is graded
        return assemble(task, mode, results, outcome, started)

    def _freshness(self, task: Task, submission: Submission, mode: Mode,
                   outcome: ModelInspection) -> tuple[Optional[str], Optional[CheckResult]]:
        """Grade mode on an artifact: is it the model model.py builds now? (grader.freshness)"""
        from grader import freshness

        if (mode != "grade" or task.spec.kind is not ExerciseKind.model or submission.model is None
                or outcome.summary is None or not submission.has_source("model.py")):
            return None, None
        built = self.build(task, submission)
        return freshness.judge(task, submission, outcome.summary, built.summary, built.model_error)

    def _look(self, task: Task, submission: Submission, mode: Mode) -> ModelInspection:
        if task.spec.kind is not ExerciseKind.model:
            return ModelInspection()  # script/job/guide tasks are judged from their files alone
        weights = self._stage_weights(task)
        if mode == "grade" and submission.model is not None:
            outcome = self.evaluate(task, submission, submission.model)
            trained = submission.trained_with
            outcome.meta["train"] = trained.model_dump(mode="json") if trained else None
            return _with_weights(outcome, weights)
        return _with_weights(self.build(task, submission), weights)

    def _other_artifacts(self, task: Task, submission: Submission,
                         mode: Mode) -> tuple[dict[str, ModelSummary], dict[str, str]]:
        """Grade mode: summaries of the further artifacts checks name (a1.4's finetuned.keras),
        opened in the evaluator exactly like model.keras; or why one could not be opened."""
        others = {name: a for name, a in submission.artifacts.items() if name != ARTIFACT}
        if mode != "grade" or task.spec.kind is not ExerciseKind.model or not others:
            return {}, {}
        summaries: dict[str, ModelSummary] = {}
        errors: dict[str, str] = {}
        for name, artifact in sorted(others.items()):
            summary, problem = self.summary_of(task, artifact, submission.folder)
            if summary is not None:
                summaries[name] = summary
            else:
                errors[name] = problem or f"{name} could not be opened"
        return summaries, errors

    def train(
        self,
        task: Task,
        folder: Path,
        epochs: Optional[int] = None,
        on_progress: Optional[Callable[[dict], None]] = None,
    ) -> Report:
        from grader.training import TrainRecord
        from grader.training_progress import ProgressTail

        started = time.monotonic()
        spec = task.spec
        try:
            submission = intake(task, folder)
            if spec.kind is not ExerciseKind.model or spec.recipe is None or spec.dataset is None:
                raise StagingError(f"{task.id} is a {spec.kind.value} task: there is no model to train")
            self._stage_weights(task)
            resolved = resolve_dataset(spec.dataset.name, self.data_dir, allow_download=self.allow_downloads)
            x, y = load_split(resolved, "train")
            if spec.dataset.train_subset:
                x, y = x[: spec.dataset.train_subset], y[: spec.dataset.train_subset]
            workdir = self._stage(submission, "train", exclude=(ARTIFACT, "train.json"))
            try:
                extra, plan = self._source_args(submission, workdir)
            except NotebookError as exc:
                shutil.rmtree(workdir, ignore_errors=True)
                return Report.could_not_grade(task.id, f"training failed: {exc}", time.monotonic() - started)
        except (StagingError, DataError, SandboxError) as exc:
            return Report.could_not_grade(task.id, str(exc), time.monotonic() - started)
        except OSError as exc:  # e.g. a full or unwritable temporary folder
            return Report.could_not_grade(task.id, _os_reason(exc), time.monotonic() - started)
        try:
            np.savez(workdir / "in" / "train.npz", x_train=x, y_train=y)
            policy = policy_for(spec, "train")
            recipe = spec.recipe
            args = {"task": task.id, "seed": recipe.seed, "epochs": epochs or recipe.epochs,
                    "recipe_epochs": recipe.epochs, "batch_size": recipe.batch_size, "labels": recipe.labels,
                    "validation_split": recipe.validation_split, "adapter": spec.dataset.adapter,
                    "num_classes": DATASETS[spec.dataset.name].num_classes, "cap_text": policy.memory_text(),
                    "threads": policy.threads, **extra}
            tail = ProgressTail(workdir / "out" / "progress.jsonl", on_progress)
            reply = self.server.run("train", workdir, policy, args, poll=tail.poll)
            tail.poll()
            if not reply.ok:
                return Report.could_not_grade(task.id, "training failed: " + _job_reason(reply, submission.source_label),
                                              time.monotonic() - started)
            try:
                record = TrainRecord.model_validate_json(read_regular(workdir / "out" / "train.json", 1 << 20))
                problem = read_artifact(workdir / "out" / ARTIFACT).problem(workdir / "out")
                if problem:
                    raise StagingError(problem)
            except (OSError, ValidationError, StagingError) as exc:
                return Report.could_not_grade(task.id, f"training wrote no usable model: {str(exc).splitlines()[0]}",
                                              time.monotonic() - started)
            _install(workdir / "out" / ARTIFACT, submission.folder / ARTIFACT)
            _install(workdir / "out" / "train.json", submission.folder / "train.json")
        except SandboxError as exc:
            return Report.could_not_grade(task.id, str(exc), time.monotonic() - started)
        except OSError as exc:  # e.g. the submission folder is not writable
            return Report.could_not_grade(task.id, _os_reason(exc), time.monotonic() - started)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        notebook = submission.folder / submission.notebook if submission.notebook else None
        report = self.run(task, notebook or submission.folder, "grade", verify_source=False)  # fresh by construction
        report.meta["train"] = record.model_dump(mode="json")
        if plan is not None:
            report.meta["notebook"] = notebook_meta(plan)
        report.duration_s = round(time.monotonic() - started, 3)
        return report


def notebook_plan(submission: Submission) -> NotebookPlan:
    """The run plan of a notebook submission (NotebookError if it cannot be read or parsed)."""
    from grader.notebook.plan import plan_cells

    if submission.notebook_problem or not submission.notebook_cells:
        raise NotebookError(submission.notebook_problem or f"{submission.notebook} has no code cells")
    return plan_cells(submission.notebook or "notebook", ((c.index, c.source) for c in submission.notebook_cells))


def notebook_meta(plan: NotebookPlan) -> dict[str, Any]:
    """What the report says about a notebook submission (the TUI and --json show it)."""
    return {"file": plan.notebook, "code_cells": plan.code_cells, "ran_cells": [c.number for c in plan.cells],
            "stopped_at": plan.stop.model_dump() if plan.stop else None, "summary": plan.summary(),
            "notes": plan.notes}


def isolation_meta(reply: Reply) -> dict[str, str]:
    """What the job could reach, as the server (never the job) says."""
    from grader.sandbox.isolation import describe

    return {
        "isolation": describe(reply.isolation or "none"),
        "network": "off" if reply.network_dropped else "on (this machine does not allow dropping it)",
        "filesystem": ("only the job's own folder is writable" if reply.read_only
                       else "writable wherever the grading user can write (this machine allows no isolation)"),
    }


def _os_reason(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc} (check its free space and permissions)"


def _with_weights(outcome: ModelInspection, weights: dict[str, str]) -> ModelInspection:
    if weights:
        outcome.meta["weights"] = weights
    return outcome


def _install(source: Path, target: Path) -> None:
    """Copy a file the job wrote into the submission folder atomically: only a regular file
    (never through a link the job made), replacing a symlink there, never writing through it."""
    copy_regular(source, target)
