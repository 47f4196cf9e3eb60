"""`tutor batch` throughput and memory on 2 cores, against a fresh `tutor grade` per submission.

Builds task-8.1 submissions with real trained artifacts: five small model variants trained
for real (Keras, real MNIST, 1 epoch on the first 12,000 training images), replicated into
200 students whose artifacts are re-saved with a tiny perturbation of the output bias (no two
weights hashes are equal; accuracy stays real). Then, in the same run:

- `tutor batch` on 100 submissions: submissions per minute, whole command (start-up included);
- the baseline: a fresh `tutor grade task8.1 --json` process per submission, run with the same
  parallelism as the batch's workers (the strict comparison, the one the ratio uses), on a
  sample (default 10: each of the five variants twice) and extrapolated to per minute; and,
  for reference, the same sample one at a time (an instructor's shell loop);
- peak resident memory of the batch's whole process tree at 50 and at 200 submissions.

Targets (issue #6): >= 120 submissions/min, >= 5x the baseline, peak RSS flat from 50 to 200.
Usage: python bench/bench_batch.py [--workers 2] [--sample 10] [--cache DIR] [--no-rss]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
from _timing import REPO, tutor_exe

sys.path.insert(0, str(REPO))
from tests import batch_support  # noqa: E402

DATA = Path(os.environ.get("TUTOR_DATA_DIR") or REPO.parent / "shared" / "data")


def build(cache: Path, count: int) -> list[Path]:
    bases = batch_support.train_variants(cache / "variants", list(batch_support.BODIES))
    subs = cache / "subs"
    have = sorted(p for p in subs.glob("s*") if (p / "model.keras").exists()) if subs.exists() else []
    if len(have) < count:
        batch_support.replicate(list(bases.values()), subs, count - len(have), start=len(have))
    return [subs / f"s{i:03d}" for i in range(count)]


def class_folder(root: Path, subs: list[Path]) -> Path:
    """A folder per student (hard links: no copying 600 kB artifacts around)."""
    folder = root / f"class{len(subs)}"
    shutil.rmtree(folder, ignore_errors=True)
    for sub in subs:
        (folder / sub.name).mkdir(parents=True)
        for f in sub.iterdir():
            os.link(f, folder / sub.name / f.name)
    return folder


class Meter:
    """Samples a process tree: peak resident memory, and CPU time (each process's own, as
    last seen: a process dying between two samples loses at most one interval, so the CPU
    figure is a slight underestimate)."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every, self.peak, self.own_peak = pid, every, 0, 0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                        t = p.cpu_times()
                        self.cpu[p.pid] = t.user + t.system
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
                self.own_peak = max(self.own_peak, root.memory_info().rss)
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def env() -> dict:
    return {**os.environ, "TUTOR_DATA_DIR": str(DATA), "TF_CPP_MIN_LOG_LEVEL": "3"}


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (/proc/stat: kernel work included)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds used so far by the finished children this process waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(folder: Path, out: Path, workers: int) -> tuple[float, int, int, float, float]:
    shutil.rmtree(out, ignore_errors=True)
    busy = machine_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen([tutor_exe(), "batch", str(folder), "--task", "task8.1", "--out", str(out),
                             "--workers", str(workers)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env(), text=True)
    meter = Meter(proc.pid)
    stdout, _ = proc.communicate()
    wall = time.perf_counter() - start
    busy = machine_cpu() - busy
    meter.stop()
    if proc.returncode != 0:
        raise SystemExit(f"tutor batch failed:\n{stdout}")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["total"] == len(list(folder.iterdir())), summary
    return wall, meter.peak, meter.own_peak, sum(meter.cpu.values()), busy


def run_baseline(subs: list[Path], workers: int) -> tuple[float, float]:
    """Mean wall and CPU seconds per submission, `workers` fresh `tutor grade` at a time."""
    def one(sub: Path) -> None:
        subprocess.run([tutor_exe(), "grade", "task8.1", "--path", str(sub), "--json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env(), timeout=600)

    cpu = children_cpu()
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, subs))
    return (time.perf_counter() - start) / len(subs), (children_cpu() - cpu) / len(subs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=10,
                        help="baseline submissions (extrapolated; a multiple of the 5 variants keeps the mix fair)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "tutor-bench-batch")
    parser.add_argument("--no-rss", action="store_true", help="skip the 50 and 200 runs")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    print(f"cores: {cores}, workers: {args.workers}, load average: {os.getloadavg()[0]:.1f}")
    t0 = time.perf_counter()
    subs = build(args.cache, 100 if args.no_rss else 200)
    print(f"built {len(subs)} trained submissions in {time.perf_counter() - t0:.0f} s "
          f"(cached in {args.cache})")
    work = args.cache / "run"
    work.mkdir(parents=True, exist_ok=True)

    sample = subs[100:100 + args.sample] if len(subs) > 100 else subs[:args.sample]
    loop_s, _ = run_baseline(sample, 1)
    base_s, base_cpu = run_baseline(sample, args.workers)
    base_rate = 60 / base_s
    print(f"baseline, fresh `tutor grade` per submission ({args.workers} at a time, "
          f"{args.sample} sampled, extrapolated): {base_rate:6.1f} submissions/min, "
          f"{base_cpu:.2f} CPU s each  (one at a time, a shell loop: {60 / loop_s:.1f}/min)")

    wall, peak100, own100, cpu100, busy100 = run_batch(class_folder(work, subs[:100]), work / "out100", args.workers)
    rate = 100 * 60 / wall
    print(f"tutor batch, 100 submissions in {wall:.1f} s (start-up included):   "
          f"{rate:6.1f} submissions/min   x{rate / base_rate:.1f} of baseline   "
          f"{'ok' if rate >= 120 else 'BELOW the 120/min target'}, "
          f"{'ok' if rate >= 5 * base_rate else 'BELOW the 5x target'}   "
          f"(x{rate * loop_s / 60:.1f} of the shell loop)")
    print(f"CPU per submission: batch ~{cpu100 / 100:.2f} s, baseline {base_cpu:.2f} s "
          f"(x{base_cpu / (cpu100 / 100):.1f}); on {cores} idle cores that is at most "
          f"{60 * cores / (cpu100 / 100):.0f}/min for the batch, {60 * cores / base_cpu:.0f}/min "
          f"for the baseline (load average now {os.getloadavg()[0]:.1f})")
    print(f"whole machine while the batch ran (kernel work and anything else included): "
          f"{busy100 / 100:.2f} CPU s per submission, {busy100 / (cores * wall):.0%} of {cores} cores busy")
    print(f"peak RSS at 100: {peak100 / 2**20:.0f} MiB (batch process alone {own100 / 2**20:.0f} MiB)")
    if args.no_rss:
        return
    _, peak50, own50, _, _ = run_batch(class_folder(work, subs[:50]), work / "out50", args.workers)
    wall200, peak200, own200, _, _ = run_batch(class_folder(work, subs[:200]), work / "out200", args.workers)
    growth = peak200 / peak50
    print(f"peak RSS of the whole process tree:  50 submissions {peak50 / 2**20:.0f} MiB,  "
          f"200 submissions {peak200 / 2**20:.0f} MiB   x{growth:.2f}   "
          f"{'flat' if growth < 1.15 else 'GROWS'}")
    print(f"batch process alone: {own50 / 2**20:.0f} MiB -> {own200 / 2**20:.0f} MiB;  "
          f"200 submissions ran at {200 * 60 / wall200:.1f}/min")


if __name__ == "__main__":
    main()
