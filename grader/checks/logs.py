"""Log checks (tasks 8.3/8.4): the saved stdout/stderr of a training run, parsed without TF."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from exercises import schema as s
from grader.checks.common import failed, matching_files, passed, result
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.logs import TrainingLog, parse_training_log
from grader.logs.terminal import read_log
from grader.report import NO_LOG_YET, NOT_YET, CheckResult


def pick_logs(submission: Path, stdout: str, stderr: Optional[str]) -> tuple[Optional[Path], Optional[Path]]:
    """The newest stdout file matching its glob and the stderr file of the same run (for
    `MNIST.*.out`/`MNIST.*.err`: the same job id)."""
    outs = matching_files(submission, stdout)
    errs = matching_files(submission, stderr) if stderr else []
    out = outs[0] if outs else None
    err = errs[0] if errs else None
    if out is not None and stderr and "*" in stdout and "*" in stderr:
        prefix, suffix = stdout.split("*", 1)
        stem = out.name[len(prefix) : len(out.name) - len(suffix) or None]
        twin = submission / stderr.replace("*", stem, 1)
        if twin in errs:
            err = twin
    return out, err


def describe_devices(log: TrainingLog) -> str:
    gpus = [d for d in log.devices if d.kind == "GPU"]
    if not gpus:
        return "CPU only"
    parts = []
    for d in gpus:
        detail = ", ".join(x for x in (d.name, f"{d.memory_mb:,} MB" if d.memory_mb else None) if x)
        parts.append(f"GPU {d.index}" + (f" ({detail})" if detail else ""))
    return "; ".join(parts)


def _requirement(req: str, check: s.LogCheck, log: TrainingLog) -> tuple[str, str, Optional[str]]:
    """(want, got, problem or None) for one requirement."""
    if req == "tf_version":
        return "TensorFlow version", log.tf_version or "not printed", (
            None if log.tf_version else "the TensorFlow version is not in the logs: print(tf.__version__) at the start"
        )
    if req == "epoch_times":
        times = log.epoch_seconds
        got = ", ".join(f"{t:g}s" for t in times) if times else "none"
        return "epoch times", got, (
            None if times else "no finished epoch with its time: train with verbose=1 or verbose=2 and keep stdout"
        )
    if req == "test_accuracy":
        want = f"test accuracy >= {check.min_accuracy:g}" if check.min_accuracy else "test accuracy"
        acc = log.test_accuracy
        if acc is None:
            return want, "none", "no test accuracy in stdout: print(\"Test accuracy:\", test_acc) after evaluate()"
        if check.min_accuracy is not None and acc < check.min_accuracy:
            return want, f"{acc:.4f}", f"test accuracy {acc:.4f} is below {check.min_accuracy:g}"
        return want, f"{acc:.4f}", None
    if req == "gpu_used":
        got = describe_devices(log)
        if log.gpu_used:
            return "a GPU", got, None
        why = "; ".join(log.gpu_problems[:2])
        return "a GPU", got, (
            "TensorFlow saw no GPU"
            + (f" ({why})" if why else "")
            + ": ask for one with #SBATCH --gres=gpu:1 and run the container with --nv"
        )
    raise ValueError(f"unknown log requirement {req}")


def not_run_yet(check: s.LogCheck, ctx: CheckContext, names: str) -> CheckResult:
    """No log at all: the run has not happened yet. `tutor check` (before the job) skips the
    check and says what comes next; `tutor grade` fails it with the same next step."""
    task = ctx.spec.id
    if "*" in check.stdout:
        step = f"submit the job (tutor submit {task}), then tutor grade {task} once it has ended"
    else:
        step = (f"run it once and save both streams (python MNIST.py > {check.stdout}"
                + (f" 2> {check.stderr}" if check.stderr else "") + f"), then tutor grade {task}")
    if ctx.mode == "check":
        return result(check, "skipped", f"{NOT_YET}{step}", names, NO_LOG_YET)
    return failed(check, f"no {names} in {ctx.submission} yet: {step}", names, NO_LOG_YET)


@implements(s.LogCheck)
def log_check(check: s.LogCheck, ctx: CheckContext) -> CheckResult:
    out, err = pick_logs(ctx.submission, check.stdout, check.stderr)
    names = check.stdout + (f" and {check.stderr}" if check.stderr else "")
    if out is None or (check.stderr and err is None):
        missing = [g for g, f in ((check.stdout, out), (check.stderr, err)) if g and f is None]
        how = (
            "save both streams: python MNIST.py > run.out 2> run.err"
            if "*" not in check.stdout
            else "submit the job with sbatch and keep the .out/.err files it writes (its --output/--error) here"
        )
        defaults = [p.name for p in matching_files(ctx.submission, "slurm-*.out")]
        if defaults and "*" in check.stdout:
            how = (
                f"found {defaults[0]}, SLURM's default name: add #SBATCH --output=%x.%j.out and "
                "--error=%x.%j.err so the job's name is in them and stderr has its own file"
            )
        elif not out and not err:
            return not_run_yet(check, ctx, names)
        return failed(
            check,
            f"missing {', '.join(missing)} in {ctx.submission}: {how}",
            names,
            f"missing {', '.join(missing)}",
        )
    stdout_text = read_log(out)
    stderr_text = read_log(err) if err else ""
    found = out.name + (f", {err.name}" if err else "")
    if not stdout_text.strip():
        return failed(check, f"{out.name} is empty: did the run print anything?", names, f"{out.name} empty")
    wants, gots, problems = [], [], []
    log = parse_training_log(stdout_text, stderr_text)
    for req in check.requires:
        if req == "both_logs":
            wants.append(names)
            gots.append(found)
            continue
        want, got, problem = _requirement(req, check, log)
        wants.append(want)
        gots.append(got)
        if problem:
            problems.append(problem)
    if problems:
        return failed(check, f"{found}: " + "; ".join(problems), "; ".join(wants), "; ".join(gots))
    details = "; ".join(f"{w}: {g}" for w, g, r in zip(wants, gots, check.requires) if r != "both_logs")
    return passed(check, f"found {found}" + (f"; {details}" if details else ""), "; ".join(wants), "; ".join(gots))
