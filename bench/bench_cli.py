"""CLI start-up: `tutor --help` and `tutor list` against `python -c pass` in the same run.

Targets: both <= 0.3 s wall on the course machines (issue #2), TensorFlow never imported;
`tutor list` within 2x of `tutor --help` (issue #15), warm (its listing cache holds) and
cold (an empty cache: the validated path, as after any spec, config or progress change).
"""

from __future__ import annotations

import sys
import tempfile

from _timing import best_wall, row, tutor_exe

RUNS = 7


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {"TUTOR_HOME": home, "TUTOR_CACHE_DIR": f"{home}/cache"}
        baseline = best_wall([sys.executable, "-c", "pass"], env=env)
        print(row("python -c pass (baseline)", baseline, baseline))
        help_s = best_wall([tutor_exe(), "--help"], env=env)
        print(row("tutor --help", help_s, baseline) + f"   {_target(help_s)}")
        # Each cold run gets a cache folder of its own, so every one is a miss.
        cold = min(best_wall([tutor_exe(), "list"], runs=1, env={**env, "TUTOR_CACHE_DIR": f"{home}/cold{i}"})
                   for i in range(RUNS))
        print(row("tutor list (cold: no cache)", cold, baseline) + f"   {_target(cold)}")
        warm = best_wall([tutor_exe(), "list"], env=env)  # the first run fills the cache
        print(row("tutor list (warm: cache holds)", warm, baseline) + f"   {_target(warm)}")
        for label, seconds in (("cold", cold), ("warm", warm)):
            ratio = seconds / help_s
            verdict = "ok" if ratio <= 2 else "OVER the 2x target"
            print(f"tutor list / tutor --help ({label}): x{ratio:.2f}   {verdict}")


def _target(seconds: float) -> str:
    return "ok" if seconds <= 0.3 else "OVER the 0.3 s target"


if __name__ == "__main__":
    main()
