"""`tutor logs`: a job's (or any saved run's) stdout and stderr without TensorFlow's start-up
noise, and a summary: TensorFlow version, devices, one line per epoch, the test accuracy."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from grader.logs import filter_noise, is_noise, parse_training_log
from tutor.cli.output import err, out, warn
from tutor.errors import UserError
from tutor.services.joblogs import LogTail, read_text
from tutor.services.jobs import find_job, refresh

PARTNER = {".out": ".err", ".err": ".out", ".stdout": ".stderr", ".stderr": ".stdout"}


def _read(path: Optional[Path]) -> str:
    try:
        return read_text(path) or ""
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def summary_lines(stdout: str, stderr: str) -> list[str]:
    log = parse_training_log(stdout, stderr)
    lines = [f"TensorFlow {log.tf_version}" if log.tf_version else "TensorFlow version: not printed"]
    gpus = [d for d in log.devices if d.kind == "GPU"]
    if gpus:
        lines.append("devices: " + ", ".join(
            f"GPU:{d.index}" + (f" {d.name}" if d.name else "") + (f" ({d.memory_mb} MB)" if d.memory_mb else "")
            for d in gpus))
    else:
        lines.append("devices: no GPU seen (CPU only)")
    lines += [f"GPU problem: {p}" for p in log.gpu_problems[:3]]
    for e in log.epochs:
        parts = [f"epoch {e.index}" + (f"/{e.of}" if e.of else "")]
        if e.seconds is not None:
            parts.append(f"{e.seconds:.1f} s")
        if e.loss is not None:
            parts.append(f"loss {e.loss:.4f}")
        if e.accuracy is not None:
            parts.append(f"accuracy {e.accuracy:.4f}")
        if e.val_accuracy is not None:
            parts.append(f"val_accuracy {e.val_accuracy:.4f}")
        lines.append(", ".join(parts))
    if not log.epochs:
        lines.append("epochs: none found")
    lines.append(f"test accuracy: {log.test_accuracy:.4f}" if log.test_accuracy is not None
                 else "test accuracy: not printed")
    lines += [f"error: {e}" for e in log.errors[:3]]
    return lines


def _show(stdout_path: Optional[Path], stderr_path: Optional[Path], raw: bool) -> None:
    stdout, stderr = _read(stdout_path), _read(stderr_path)
    for label, path, text in (("stdout", stdout_path, stdout), ("stderr", stderr_path, stderr)):
        if path is None:
            continue
        where = str(path) if path.is_file() else f"{path} (not written yet)"
        out.print(f"── {label}: {where}", markup=False)
        shown = text if raw else filter_noise(text)
        if shown.strip():
            out.print(shown.rstrip("\n"), markup=False, highlight=False)
    if not raw:
        out.print("── summary", markup=False)
        for line in summary_lines(stdout, stderr):
            out.print(f"  {line}", markup=False)


def show_files(files: list[Path], raw: bool) -> None:
    """`--file run.out` (its partner run.err is found next to it), or both files given."""
    paths = [Path(f).expanduser() for f in files]
    for p in paths:
        if not p.is_file():
            raise UserError(f"{p}: no such log file")
    stdout = next((p for p in paths if p.suffix in (".out", ".stdout")), None)
    stderr = next((p for p in paths if p.suffix in (".err", ".stderr")), None)
    if len(paths) == 1:
        partner = paths[0].with_suffix(PARTNER.get(paths[0].suffix, ".err"))
        if partner.is_file():
            stdout, stderr = (paths[0], partner) if stderr is None else (partner, paths[0])
        elif stdout is None and stderr is None:
            stdout = paths[0]
    _show(stdout, stderr, raw)


def show_job(job_id: str, raw: bool, follow: bool) -> None:
    store, record = find_job(job_id, warn)
    if follow and not record.final:
        record = _follow(store, record, raw)
    else:
        _show(record.stdout, record.stderr, raw)
    if record.failed:
        err.print(f"job {record.job_id} ended {record.state}, exit code {record.exit_code or '?'}", markup=False)
    elif not record.final:
        err.print(f"job {record.job_id} is {record.state}" + (f" ({record.reason})" if record.reason else "")
                  + f"; `tutor logs {record.job_id} --follow` keeps reading", markup=False)


def _follow(store, record, raw: bool):
    tails = {"": LogTail(record.stdout), "err: ": LogTail(record.stderr)}
    interval, next_poll, last_state = 2.0, time.monotonic() + 2.0, record.state
    out.print(f"following job {record.job_id} ({record.state}); Ctrl-C stops following, not the job",
              markup=False)
    try:
        while True:
            final = record.final
            for prefix, tail in tails.items():
                for line in tail.lines(final):
                    if raw or not is_noise(line):
                        out.print(f"{prefix}{line}", markup=False, highlight=False)
            if final:
                break
            if time.monotonic() >= next_poll:
                record = next((r for r in refresh(store, [record], warn) if r.job_id == record.job_id), record)
                interval = 2.0 if record.state != last_state else min(interval * 1.5, 30.0)
                last_state, next_poll = record.state, time.monotonic() + interval
                continue
            time.sleep(0.5)
    except KeyboardInterrupt:
        return record
    if not raw:
        out.print("── summary", markup=False)
        for line in summary_lines(_read(record.stdout), _read(record.stderr)):
            out.print(f"  {line}", markup=False)
    out.print(f"job {record.job_id} ended {record.state}", markup=False)
    return record
