"""A whole batch: discover, hash, skip what is already graded, grade the rest (locally or as
a SLURM job array), then write the gradebook, LMS exports, feedback, integrity flags and the
summary from the result store."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Optional

from filelock import FileLock, Timeout

from exercises import Task
from grader.report import Report
from tutor.batch import content, exports, integrity, summary
from tutor.batch.discover import discover
from tutor.batch.models import BatchManifest, Fingerprints, StoredResult, Submission
from tutor.batch.plan import Options, now_iso, shard_of
from tutor.batch.pool import GradedSubmission, Pool
from tutor.batch.store import ResultStore
from tutor.errors import UserError
from tutor.state.atomic import write_atomic


def _stored(task: Task, spec_hash: str, sub: Submission, report: Report,
            prints: Fingerprints, wall_s: float) -> StoredResult:
    if report.status == "error" and not report.max_points:
        # Out of the task's points, so the LMS sees 0/10 rather than 0/0.
        report = report.model_copy(update={"max_points": sum(c.points for c in task.spec.checks)})
    return StoredResult(
        student=sub.student, name=sub.name, task=task.id, content_hash=sub.content_hash,
        spec_hash=spec_hash, origin=sub.origin, report=report, fingerprints=prints,
        graded_at=now_iso(), wall_s=round(wall_s, 3), host=socket.gethostname(),
    )


def needs_grading(stored: Optional[StoredResult], regrade: str = "") -> bool:
    """No current result, or one the instructor asked to redo (--regrade errors|all)."""
    if stored is None or regrade == "all":
        return True
    return regrade == "errors" and stored.report.status == "error"


def batch_lock(out: Path) -> FileLock:
    lock = FileLock(str(out / ".batch" / "batch.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise UserError(f"another `tutor batch` is writing to {out}; wait for it or use another --out") from None
    return lock


def prepare(task: Task, source: Path, out: Path, max_bytes: int) -> BatchManifest:
    """Discover and stage the submissions and hash them; saved as the batch manifest."""
    from tutor.handin.attempt import stand_ins

    expected = [*task.spec.files, *task.spec.artifacts, *(n for a in task.spec.artifacts for n in stand_ins(task.spec, a))]
    subs, unattributed = discover(source, out / ".batch" / "staged", expected, max_bytes,
                                  exclude=[out])
    for sub in subs:
        sub.content_hash = content.folder_hash(sub.path)
    manifest = BatchManifest(task=task.id, spec_hash=content.spec_hash(task), out=out,
                        submissions=subs, unattributed=unattributed)
    write_atomic(out / ".batch" / "manifest.json", manifest.model_dump_json(indent=1) + "\n")
    return manifest


def grade_locally(task: Task, manifest: BatchManifest, subs: list[Submission], store: ResultStore,
                  workers: int, timeout: float, recycle_after: int, data_dir: Optional[Path],
                  on_result=None) -> Pool:
    """Grade `subs` on a local pool, storing each result the moment it is known."""
    for sub in [s for s in subs if s.problem]:
        report = Report.could_not_grade(task.id, sub.problem or "refused")
        result = _stored(task, manifest.spec_hash, sub, report, Fingerprints(), 0.0)
        store.put(result)
        on_result and on_result(result)
    gradable = [s for s in subs if not s.problem]

    def done(outcome: GradedSubmission) -> None:
        result = _stored(task, manifest.spec_hash, outcome.submission, outcome.report,
                         outcome.fingerprints, outcome.wall_s)
        store.put(result)
        on_result and on_result(result)

    pool = Pool(task.id, data_dir, workers, manifest.out / ".batch" / "logs", timeout, recycle_after)
    if gradable:
        pool.run(gradable, done)
    return pool


def collect(task: Task, manifest: BatchManifest, store: ResultStore,
            reasons: Optional[dict[str, str]] = None) -> list[StoredResult]:
    """The current result of every submission; one that has none gets an error row (not
    stored: rerunning the same command grades it)."""
    results = []
    for sub in manifest.submissions:
        found = store.get(sub, manifest.spec_hash)
        if found is None:
            why = (reasons or {}).get(sub.student, "the batch stopped before it")
            report = Report.could_not_grade(task.id, f"not graded: {why} (rerun the same "
                                            "command to grade what is missing)")
            found = _stored(task, manifest.spec_hash, sub, report, Fingerprints(), 0.0)
        results.append(found)
    return results


def check_lms_files(task: Task, options: Options) -> None:
    """Read the Canvas export / Moodle worksheet before grading: a wrong file fails in a
    second, not after the whole class is graded."""
    from tutor.batch import canvas, lmsbook, moodle

    if options.canvas_gradebook:
        table = lmsbook.read_table(options.canvas_gradebook, "Canvas gradebook export")
        if "ID" not in table.rows[0]:
            raise UserError(f"{options.canvas_gradebook}: no 'ID' column; pass the CSV from "
                            "Canvas' Gradebook > Export")
        canvas._points(table.rows, canvas.task_column(table.rows[0], task.spec, options.lms_column))
    if options.moodle_worksheet:
        table = lmsbook.read_table(options.moodle_worksheet, "Moodle grading worksheet")
        for column in (moodle.IDENTIFIER, moodle.GRADE, moodle.MAXIMUM, moodle.MODIFIED):
            moodle._column(table.rows[0], column)


def write_lms_files(task: Task, manifest: BatchManifest, results: list[StoredResult], graded: set[str],
                    options: Options, final: Optional[dict[str, dict[str, str]]] = None) -> list:
    """The Canvas gradebook (and comments zip) and the Moodle worksheet, where asked: the grade
    is the gradebook's `final_score` (manual marks and late penalty included), the comment the
    student's feedback file."""
    from tutor.batch import canvas, moodle

    results = [_with_final_score(r, (final or {}).get(r.student, {})) for r in results]
    matches = []
    if options.canvas_gradebook:
        matches.append(canvas.write(options.canvas_gradebook, manifest.out, task.spec,
                                    manifest.submissions, results, graded, options.lms_column))
    if options.moodle_worksheet:
        matches.append(moodle.write(options.moodle_worksheet, manifest.out, task.spec,
                                    manifest.submissions, results, graded))
    return matches


def _with_final_score(result: StoredResult, columns: dict[str, str]) -> StoredResult:
    try:
        final = min(1.0, max(0.0, float(columns["final_score"])))
    except (KeyError, ValueError):
        return result
    return result.model_copy(update={"report": result.report.model_copy(update={"score": final})})


def write_outputs(task: Task, manifest: BatchManifest, results: list[StoredResult],
                  formats: list[str] = (), source: Optional[Path] = None
                  ) -> tuple[integrity.IntegrityReport, dict[str, dict[str, str]]]:
    """Gradebook, feedback, unattributed list and integrity flags; returns the flags and the
    gradebook's extra columns per student (final_score for the LMS files)."""
    from tutor.batch import marks
    from tutor.config import load_config

    out = manifest.out
    config = load_config()
    adjust = marks.adjustments(out, source or out, task.spec, results)
    for warning in adjust.warnings:
        from tutor.console import warn

        warn(warning)
    extra = marks.columns_for(results, task.spec, adjust, config.late_penalty_per_day, config.late_penalty_max)
    exports.write_gradebook(out / "gradebook.csv", results, extra)
    where = {sub.student: sub for sub in manifest.submissions}
    for result in results:
        sub = where.get(result.student)
        folders = [str(sub.path), str(Path(sub.path).resolve()), str(out)] if sub else [str(out)]
        exports.write_student_files(out, result, task.spec, folders,
                                    marks.feedback_note(extra.get(result.student, {})))
    exports.remove_stale(out, {r.student for r in results})
    exports.write_unattributed(out / "unattributed.txt", manifest.unattributed)
    flags = integrity.find_groups(task, results)
    integrity.write_report(out, flags)
    return flags, extra


def _grade_here(task: Task, manifest: BatchManifest, todo: list[Submission], store: ResultStore,
                options: Options, data_dir: Optional[Path], console, started: float) -> None:
    """Grade on this machine's worker pool behind a progress bar with rate and ETA."""
    from tutor.batch.progress_bar import batch_progress

    progress = batch_progress(console)
    bar = progress.add_task("grading", total=len(todo), rate="", last="")
    count = [0]

    def tick(result: StoredResult) -> None:
        count[0] += 1
        per_min = 60 * count[0] / max(1e-6, time.monotonic() - started)
        progress.update(bar, advance=1, rate=f"{per_min:.0f}/min",
                        last=f"{result.student}: {result.report.status}")

    try:
        with progress:
            grade_locally(task, manifest, todo, store, options.workers, options.timeout,
                          options.recycle_after, data_dir, tick)
    except KeyboardInterrupt:
        console.print(f"tutor: interrupted after {count[0]} of {len(todo)}; what was graded is "
                      "kept: rerun the same command to finish", markup=False)
        raise


def warn_if_weakly_isolated(console) -> None:
    """Before grading a class here: say plainly when student code is less isolated than it can be."""
    from grader.sandbox.isolation import WEAK_HINT, available, describe, why_weaker

    level = available()
    if level != "namespaces":
        console.print(f"tutor: warning: student code will run with isolation {describe(level)} "
                      f"({why_weaker()}); to isolate it fully, {WEAK_HINT}", markup=False)


def run(options: Options) -> summary.Summary:
    from tutor.console import err
    from tutor.console import out as stdout
    from tutor.context import load_context

    ctx = load_context()
    task = ctx.task(options.task_id)
    if options.slurm:
        from tutor.batch.slurm import require_sbatch

        require_sbatch()
    check_lms_files(task, options)
    out = options.out.expanduser().resolve()
    (out / ".batch").mkdir(parents=True, exist_ok=True)
    lock = batch_lock(out)
    try:
        started = time.monotonic()
        manifest = prepare(task, options.source, out, ctx.config.max_handin_mb << 20)
        if not manifest.submissions:
            raise UserError(f"{options.source}: no submissions found"
                            + (f" ({len(manifest.unattributed)} file(s) could not be attributed:"
                               f" {manifest.unattributed[0].reason})" if manifest.unattributed else ""))
        store = ResultStore(out)
        todo = [s for s in manifest.submissions
                if needs_grading(store.get(s, manifest.spec_hash), options.regrade)]
        skipped = len(manifest.submissions) - len(todo)
        not_graded: dict[str, str] = {}
        if todo and options.slurm:
            from tutor.batch import slurm

            not_graded = slurm.grade_on_cluster(manifest, todo, options, err)
        elif todo:
            warn_if_weakly_isolated(err)
            _grade_here(task, manifest, todo, store, options, ctx.data_dir, err, started)
        results = collect(task, manifest, store, not_graded)
        _, final = write_outputs(task, manifest, results, options.formats, options.source)
        graded = {s.student for s in manifest.submissions if store.get(s, manifest.spec_hash)}
        matches = write_lms_files(task, manifest, results, graded, options, final)
        result = summary.summarise(task.spec, results, manifest.unattributed, len(todo), skipped,
                                   time.monotonic() - started, lms=matches)
        summary.save(out, result)
        if not options.quiet:
            summary.render(stdout, result, out)
        return result
    finally:
        lock.release()


def run_shard(manifest_path: Path, shard: int, shards: int, workers: int, timeout: float,
              regrade: str = "") -> int:
    """One SLURM array task: grade its contiguous share of the manifest (skipping anything
    already stored), with the same pool and store as a local batch."""
    from tutor.context import load_context

    manifest = BatchManifest.model_validate_json(manifest_path.read_bytes())
    ctx = load_context()
    task = ctx.task(manifest.task)
    if content.spec_hash(task) != manifest.spec_hash:
        raise UserError(f"{task.id} changed since the batch was staged; rerun `tutor batch`")
    store = ResultStore(manifest.out)
    share = shard_of(manifest.submissions, shard, shards)
    todo = [s for s in share if needs_grading(store.get(s, manifest.spec_hash), regrade)]
    grade_locally(task, manifest, todo, store, workers, timeout, 0, ctx.data_dir)
    print(f"shard {shard}/{shards}: graded {len(todo)}, already stored {len(share) - len(todo)}",
          flush=True)
    from tutor.batch.slurm import report_shard_done

    report_shard_done(len(todo), len(share) - len(todo))
    return 0
