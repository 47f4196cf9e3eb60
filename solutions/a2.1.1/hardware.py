"""Collect the hardware a job runs on into hardware.json (assignment task 2.1.1).

Run it inside the job (`tutor submit a2.1.1` does), not on the login node:
    python hardware.py [--out hardware.json]
Standard library only; psutil is used when it is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional


def run(command: list[str]) -> Optional[str]:
    """A command's stdout, or None if it is missing or fails."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def gpus() -> list[dict]:
    """One entry per GPU from nvidia-smi: model, memory (MiB), driver."""
    text = run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"])
    found = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and parts[0]:
            memory = parts[1].split()[0] if parts[1] else ""
            found.append(
                {
                    "name": parts[0],
                    "memory_mib": int(float(memory)) if memory.replace(".", "", 1).isdigit() else None,
                    "driver": parts[2] if len(parts) > 2 else None,
                }
            )
    return found


def lscpu() -> dict[str, str]:
    fields = {}
    for line in (run(["lscpu"]) or "").splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def cpuinfo() -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    return fields


def number(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def cpu() -> dict:
    info, proc = lscpu(), cpuinfo()
    model = info.get("Model name") or proc.get("model name") or platform.processor() or platform.machine()
    clock = number(proc.get("cpu MHz")) or number(info.get("CPU MHz"))
    max_clock = number(info.get("CPU max MHz"))
    physical = None
    try:
        import psutil

        physical = psutil.cpu_count(logical=False)
        freq = psutil.cpu_freq()
        if freq:
            clock = clock or (freq.current or None)
            max_clock = max_clock or (freq.max or None)
    except ImportError:
        pass
    return {
        "model": model,
        "logical_cpus": os.cpu_count() or 1,
        "physical_cores": physical,
        "clock_mhz": clock,
        "max_clock_mhz": max_clock,
    }


def memory_gib() -> Optional[float]:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def allocated_cpus() -> Optional[int]:
    value = os.environ.get("SLURM_CPUS_PER_TASK")
    if value and value.isdigit():
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def collect() -> dict:
    return {
        "collected_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hostname": socket.gethostname(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "partition": os.environ.get("SLURM_JOB_PARTITION"),
        "cpus_allocated": allocated_cpus(),
        "cpu": cpu(),
        "gpus": gpus(),
        "memory_gib": memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "hardware.json"))
    args = parser.parse_args()
    report = collect()
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    gpu_text = ", ".join(f"{g['name']} ({g['memory_mib']} MiB)" for g in report["gpus"]) or "no GPU"
    print(f"{report['hostname']}: {report['cpu']['model']} x{report['cpu']['logical_cpus']}; {gpu_text} -> {args.out}")


if __name__ == "__main__":
    main()
