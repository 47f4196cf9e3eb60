"""CLI start-up: `tutor --help` and `tutor list` against `python -c pass` in the same run.

Targets: both <= 0.3 s wall on the course machines (issue #2), TensorFlow never imported;
`tutor list` within 2x of `tutor --help` (issue #15), warm (its listing cache holds), warm
with a new progress file (as after a check: only that file is read again) and cold (an empty
cache: the validated path, as after a spec or config change).

The commands run in turns (help, cold list, warm list, baseline, then again), so a change of
load on a shared machine hits all of them alike; each keeps its best wall time and its best
CPU time (user + system of the child: what load on other cores disturbs least).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import tutor_exe

RUNS = 7


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env={**os.environ, **env})
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def progress_changed(i: int, env: dict[str, str]) -> tuple[float, float]:
    """Have tutor record a step (a new workspace for task8.1, as `tutor start` does: the
    progress file changes as after a check), then time `tutor list` (its own cache)."""
    home = Path(env["TUTOR_HOME"])
    own = {**env, "TUTOR_HOME": str(home / "progress"), "TUTOR_CACHE_DIR": str(home / "progress-cache")}
    record = f"from tutor.state.student_progress import record_start; record_start('task8.1', '{home}/ws{i}')"
    subprocess.run([sys.executable, "-c", record], check=True, env={**os.environ, **own})
    return timed([tutor_exe(), "list"], own)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {"TUTOR_HOME": home, "TUTOR_CACHE_DIR": f"{home}/cache"}
        runs = {
            "python -c pass (baseline)": lambda i: timed([sys.executable, "-c", "pass"], env),
            "tutor --help": lambda i: timed([tutor_exe(), "--help"], env),
            # A cache folder of its own per run: every cold run is a miss.
            "tutor list (cold: no cache)": lambda i: timed([tutor_exe(), "list"],
                                                          {**env, "TUTOR_CACHE_DIR": f"{home}/cold{i}"}),
            "tutor list (warm: cache holds)": lambda i: timed([tutor_exe(), "list"], env),
            # As after a check or a grade: only the progress file (as tutor wrote it) changed.
            "tutor list (warm, new progress)": lambda i: progress_changed(i, env),
        }
        timed([tutor_exe(), "list"], env)  # fills the warm caches
        progress_changed(-1, env)
        best = {label: [float("inf"), float("inf")] for label in runs}
        for i in range(RUNS):
            for label, run in runs.items():
                wall, cpu = run(i)
                best[label] = [min(best[label][0], wall), min(best[label][1], cpu)]
        print(f"{'':34} {'wall':>8}    {'cpu':>8}")
        for label, (wall, cpu) in best.items():
            verdict = "" if "baseline" in label else "   ok" if wall <= 0.3 else "   OVER the 0.3 s target"
            print(f"{label:<34} {wall * 1000:6.0f} ms   {cpu * 1000:6.0f} ms{verdict}")
        help_wall, help_cpu = best["tutor --help"]
        for label in ("tutor list (cold: no cache)", "tutor list (warm: cache holds)", "tutor list (warm, new progress)"):
            wall, cpu = best[label][0] / help_wall, best[label][1] / help_cpu
            verdict = "ok" if wall <= 2 else "OVER the 2x target"
            print(f"{label} / tutor --help: wall x{wall:.2f}, cpu x{cpu:.2f}   {verdict}")


if __name__ == "__main__":
    main()
