"""CLI start-up: `tutor --help` and `tutor list` against `python -c pass` in the same run.

Target (issue #2): both <= 0.3 s wall on the course machines, TensorFlow never imported.
"""

from __future__ import annotations

import sys
import tempfile

from _timing import best_wall, row, tutor_exe


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {"TUTOR_HOME": home}
        baseline = best_wall([sys.executable, "-c", "pass"], env=env)
        print(row("python -c pass (baseline)", baseline, baseline))
        for args in (["--help"], ["list"]):
            seconds = best_wall([tutor_exe(), *args], env=env)
            verdict = "ok" if seconds <= 0.3 else "OVER the 0.3 s target"
            print(row("tutor " + " ".join(args), seconds, baseline) + f"   {verdict}")


if __name__ == "__main__":
    main()
