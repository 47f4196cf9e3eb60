"""From a task to a submitted job: prepare the files (job script, runner), validate, sbatch,
record. The front end resolves the workspace, the profile and the dataset path and passes
them in; nothing here reads the course config."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from exercises.schema import Exercise, ExerciseKind, Resources
from hpc.errors import HpcError
from hpc.jobrow import JobRow, now
from hpc.profiles import PLACEHOLDER, ClusterProfile
from hpc.render import JobSpec, check_script, plan, render, unedited, validate
from hpc.slurm import Slurm, not_on_cluster
from hpc.store import JobStore

RUNNER_NAME = "tutor_runner.py"
RUNNER_TEMPLATE = Path(__file__).resolve().parent / "runner_template.py"


def runner_source() -> str:
    return RUNNER_TEMPLATE.read_text(encoding="utf-8")


@dataclass
class Prepared:
    """What `tutor submit` would write and run."""

    task: str
    workspace: Path
    resources: Resources
    spec: JobSpec
    script_name: str
    script_text: str  # what is submitted (ours, or the student's own script)
    rendered: str  # what tutor renders (shown by --dry-run)
    files: dict[str, str] = field(default_factory=dict)  # written into the workspace
    own_script: bool = False


def resources_of(exercise: Exercise) -> Resources:
    if exercise.resources is not None:
        return exercise.resources
    return Resources(job_name=exercise.id)


def runner_args(exercise: Exercise, data_path: Path, keras_home: Optional[Path] = None,
                model_file: str = "model.py") -> list[str]:
    """The runner's command line: the recipe and the staged dataset, baked in."""
    recipe, dataset = exercise.recipe, exercise.dataset
    assert recipe is not None and dataset is not None
    args = [
        RUNNER_NAME, "--task", exercise.id, "--data", str(data_path), "--adapter", dataset.adapter,
        "--epochs", str(recipe.epochs), "--batch-size", str(recipe.batch_size),
        "--seed", str(recipe.seed), "--labels", recipe.labels,
    ]
    if recipe.validation_split:
        args += ["--validation-split", str(recipe.validation_split)]
    if dataset.train_subset:
        args += ["--train-subset", str(dataset.train_subset)]
    if dataset.eval_subset:
        args += ["--eval-subset", str(dataset.eval_subset)]
    if keras_home is not None:  # staged pretrained weights (Keras cache layout: DIR/models/...)
        args += ["--keras-home", str(keras_home)]
    if model_file != "model.py":  # e.g. notebook_model.py, the builder made from a notebook
        args += ["--model", model_file]
    return args


def run_args(exercise: Exercise, data_path: Optional[Path], keras_home: Optional[Path] = None,
             model_file: str = "model.py") -> list[str]:
    resources = resources_of(exercise)
    if exercise.kind is ExerciseKind.model:
        if data_path is None:
            raise HpcError(f"{exercise.id} trains on '{exercise.dataset.name}', which is not staged",
                           f"stage it: tutor data stage {exercise.dataset.name} --from FILE")
        return runner_args(exercise, data_path, keras_home, model_file)
    if resources.command:
        return shlex.split(resources.command)
    raise HpcError(f"{exercise.id} is not a cluster job (it runs on the login node)", f"see `tutor show {exercise.id}`")


def script_directives(text: str) -> dict[str, str]:
    """The #SBATCH options of a script: {'--job-name': 'MNIST', '--output': '%x.%j.out', ...}."""
    short = {"-J": "--job-name", "-o": "--output", "-e": "--error", "-D": "--chdir", "-t": "--time"}
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"\s*#SBATCH\s+(--?[\w-]+)(?:[=\s]\s*(\S+))?", line)
        if match:
            found[short.get(match[1], match[1])] = match[2] or ""
    return found


def prepare(
    exercise: Exercise,
    workspace: Path,
    profile: ClusterProfile,
    data_path: Optional[Path] = None,
    time: Optional[str] = None,
    starter: Optional[Path] = None,
    keras_home: Optional[Path] = None,
    model_files: Optional[dict[str, str]] = None,
) -> Prepared:
    """Render the job for a task. A job script the student wrote themselves (it differs from
    both the starter and tutor's rendering) is kept and submitted as it is.

    `model_files`: a model builder written for the job in place of model.py (the first file
    is the one the runner imports), e.g. the one made from a notebook."""
    resources = resources_of(exercise)
    model_file = next(iter(model_files)) if model_files else "model.py"
    args = run_args(exercise, data_path, keras_home, model_file)
    spec = plan(exercise.id, resources, profile, args, time=time)
    rendered = render(spec)
    name = resources.script
    files = {name: rendered}
    if args and args[0] == RUNNER_NAME:
        files[RUNNER_NAME] = runner_source()
        files.update(model_files or {})
    existing_path = workspace / name
    own = False
    text = rendered
    if existing_path.is_file():
        existing = existing_path.read_text(encoding="utf-8", errors="replace")
        starter_text = (starter / name).read_text(encoding="utf-8") if starter and (starter / name).is_file() else None
        if existing not in (rendered, starter_text) and not unedited(existing):
            own, text = True, existing
            files.pop(name)
    return Prepared(exercise.id, workspace, resources, spec, name, text, rendered, files, own)


SCRIPT_SUFFIXES = (".py", ".sh", ".R", ".jl")


def scripts_run(text: str) -> list[str]:
    """Relative script files a job script's commands run (`python MNIST.py`, `bash prep.sh`,
    `singularity exec --nv IMAGE python train.py`), in order, without duplicates."""
    found: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            tokens = shlex.split(stripped, comments=True)
        except ValueError:
            tokens = stripped.split()
        for token in tokens:
            if (token.endswith(SCRIPT_SUFFIXES) and not token.startswith(("-", "/", "$", "~"))
                    and "=" not in token and token not in found):
                found.append(token)
    return found


def needed_files(prepared: Prepared) -> list[str]:
    """Files of the student's the job runs: the model file for the runner (unless tutor writes
    it, e.g. from a notebook), the scripts the student's own job script runs, else the task's command."""
    words = shlex.split(prepared.spec.command)
    if RUNNER_NAME in words and not prepared.own_script:
        model = words[words.index("--model") + 1] if "--model" in words[:-1] else "model.py"
        return [] if model in prepared.files else [model]
    if prepared.own_script:
        return [name for name in scripts_run(prepared.script_text) if name != RUNNER_NAME]
    command = prepared.resources.command
    first = shlex.split(command)[0] if command else None
    return [first] if first and first.endswith(SCRIPT_SUFFIXES) else []


def missing_files(prepared: Prepared) -> list[str]:
    """The files the job would run that are not in the workspace (checked before sbatch)."""
    return [name for name in needed_files(prepared) if not (prepared.workspace / name).is_file()]


def script_diff(prepared: Prepared) -> str:
    """tutor's rendering against the script that would be submitted, as a unified diff ("" if same)."""
    import difflib

    if prepared.script_text == prepared.rendered:
        return ""
    return "".join(difflib.unified_diff(
        prepared.script_text.splitlines(keepends=True), prepared.rendered.splitlines(keepends=True),
        fromfile=f"{prepared.script_name} (submitted)", tofile=f"{prepared.script_name} (tutor's rendering)"))


def submit(prepared: Prepared, profile: ClusterProfile, slurm: Slurm, store: JobStore) -> JobRow:
    """Validate, write the files, sbatch (argument list, in the workspace), record the job."""
    if not slurm.available("sbatch"):
        raise not_on_cluster()
    spec = prepared.spec
    if prepared.own_script:
        problems = check_script(prepared.script_text)
        if problems:
            raise HpcError(f"{prepared.script_name}: {problems[0]}", "fix your script (`--dry-run` shows tutor's)")
        directives = script_directives(prepared.script_text)
        for key in ("--account", "-A"):
            if key in directives and PLACEHOLDER.search(directives[key]):
                raise HpcError(f"{prepared.script_name}: --account is still {directives[key]}", "put your group there")
        job_name = directives.get("--job-name", Path(prepared.script_name).stem)
        output = directives.get("--output", "slurm-%j.out")
        error = directives.get("--error", output)
    else:
        validate(spec, prepared.resources, profile)
        job_name, output, error = spec.job_name, spec.output, spec.error
    workspace = prepared.workspace
    for needed in missing_files(prepared):
        raise HpcError(f"{prepared.script_name} runs {needed}, which is not in {workspace}, so the job "
                       "would fail as soon as it starts",
                       f"put {needed} there first (or point --path at the folder that has it)")
    try:
        workspace.mkdir(parents=True, exist_ok=True)
        for name, text in prepared.files.items():
            (workspace / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HpcError(f"cannot write the job files into {workspace} ({exc.strerror})",
                       "make the folder writable or use --path") from None
    job_id = slurm.sbatch(workspace / prepared.script_name, cwd=workspace, **spec.request())
    record = JobRow(
        job_id=job_id, task=prepared.task, workspace=workspace, script=prepared.script_name,
        profile=profile.name, job_name=job_name, stdout_pattern=output, stderr_pattern=error, submitted_at=now(),
    )
    store.add(record)
    return record


def probe_profile(profile: ClusterProfile, slurm: Slurm, workdir: Path, resources: Optional[Resources] = None) -> str:
    """Ask SLURM (`sbatch --test-only`) whether it would take a job with this profile's
    account, QOS, partition, CPUs and GPU request; returns its "would start" line."""
    resources = resources or Resources(job_name="tutor-probe", time="00:05:00", max_time="1-00:00:00")
    spec = plan("doctor", resources, profile, ["-c", "pass"])
    validate(spec, resources, profile)
    script = Path(workdir) / "probe.slurm"
    script.write_text(render(spec), encoding="utf-8")
    return slurm.test_only(script, cwd=Path(workdir), **spec.request())
