"""Run every benchmark in bench/ in turn (each prints its own ratios)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    status = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n== {script.name}")
        status |= subprocess.run([sys.executable, str(script)], cwd=HERE).returncode
    sys.exit(status)
