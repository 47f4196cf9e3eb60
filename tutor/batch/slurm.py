"""`tutor batch --slurm`: the same grading, spread over a SLURM job array.

The staged submissions still to grade are written to a manifest; array task i of K runs
`tutor batch MANIFEST --task T --shard i/K`, which grades its contiguous share with the same
pool and writes each result into the same store (so `--out` must be on a file system the
compute nodes share, as home and project folders are on a cluster). At most `--max-running`
tasks run at once. The batch process polls SLURM politely (hpc.track), shows progress as
results land, then merges: every submission's row comes from the store, and one whose task
failed gets that task's reason. A failed task's submissions are not stored, so rerunning
the same command grades exactly those.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

from rich.console import Console

from exercises.schema import Resources
from tutor.batch.models import BatchManifest, Submission
from tutor.batch.plan import Options, now_iso, shard_of
from tutor.batch.store import ResultStore
from tutor.console import escape
from tutor.errors import UserError
from tutor.state.atomic import write_atomic


def _tutor_command() -> list[str]:
    exe = Path(sys.executable).with_name("tutor")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tutor.cli.app"]


def require_sbatch() -> None:
    """Fail early, in one line, where there is no SLURM to submit to."""
    from hpc.slurm import Slurm

    if not Slurm().available("sbatch"):
        raise UserError("--slurm: no `sbatch` on this machine: run on the cluster's login node, "
                        "or leave out --slurm to grade here")


def grade_on_cluster(manifest: BatchManifest, todo: list[Submission], options: Options,
                     console: Console) -> dict[str, str]:
    """Submit, wait, and return {student: reason} for submissions no task graded."""
    from hpc.errors import HpcError
    from hpc.profiles import load_profile
    from hpc.scaleout import collect, submit_array, wait_array
    from hpc.slurm import Slurm
    from hpc.track import Tracker
    from tutor.batch.progress_bar import batch_progress
    from tutor.context import load_context

    ctx = load_context()
    shards = max(1, min(options.array_tasks, len(todo)))
    workdir = manifest.out / ".batch" / "slurm" / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    share = manifest.model_copy(update={"submissions": todo, "unattributed": []})
    manifest_path = workdir / "manifest.json"
    write_atomic(manifest_path, share.model_dump_json(indent=1) + "\n")
    command = " ".join(shlex.quote(part) for part in [
        *_tutor_command(), "batch", str(manifest_path), "--task", manifest.task,
        "--timeout", str(options.timeout), "--workers", str(options.workers),
        *(["--regrade", options.regrade] if options.regrade else [])]) + f' --shard "$TUTOR_ARRAY_INDEX/{shards}"'
    resources = Resources(job_name="tutor-batch", cpus_per_task=max(1, options.workers), gpus=0, time="01:00:00",
                          max_time="1-00:00:00", script="batch.slurm")
    slurm = Slurm()
    since = now_iso()
    try:
        profile = load_profile(ctx.config.profile, ctx.config.profiles_dir)
        job = submit_array(list(range(shards)), command, workdir, profile, slurm,
                           limit=max(1, options.concurrency), job_name="tutor-batch",
                           resources=resources)
    except HpcError as exc:
        raise UserError(f"--slurm: {exc}") from None
    console.print(f"submitted job array {job.job_id}: {shards} task(s), at most "
                  f"{job.limit} at once; logs in {workdir}", markup=False)
    store = ResultStore(manifest.out)

    def fresh(sub: Submission) -> bool:
        """Graded by this array (not an older result kept for --regrade)."""
        stored = store.get(sub, manifest.spec_hash)
        return stored is not None and (not options.regrade or stored.graded_at >= since)

    progress = batch_progress(console)
    bar = progress.add_task("grading", total=len(todo), rate="", last=f"array {job.job_id}")

    def update(infos: dict) -> None:
        graded = sum(fresh(s) for s in todo)
        running = sum(1 for i in infos.values() if i.state == "RUNNING")
        progress.update(bar, completed=graded, last=f"array {job.job_id}: {running} task(s) running")

    with progress:
        try:
            infos = wait_array(job, Tracker(slurm, min_interval=1.0, max_interval=15.0),
                               on_update=update)
        except HpcError as exc:
            raise UserError(f"--slurm: lost track of job array {job.job_id}: {exc}") from None
    reasons: dict[str, str] = {}
    for task in collect(job, infos):
        if task.ok:
            continue
        why = (f"array task {job.job_id}_{task.index} ended {task.state}"
               + (f" ({task.exit_code})" if task.exit_code else "") + f"; see {task.stderr}")
        for sub in shard_of(todo, task.index, shards):
            if not fresh(sub):
                reasons[sub.student] = why
    if reasons:
        console.print(f"[yellow]{len(reasons)} submission(s) were not graded by the array:[/] "
                      f"{escape(next(iter(reasons.values())))}", markup=True)
    return reasons


def report_shard_done(graded: int, stored: int) -> None:
    """Inside an array task: tell `collect` this share finished."""
    import os

    if os.environ.get("TUTOR_ARRAY_RESULTS"):
        from hpc.scaleout import write_result

        write_result({"graded": graded, "already_stored": stored})
