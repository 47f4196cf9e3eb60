"""Cluster side: profiles, SLURM job scripts, sbatch/squeue/sacct/scontrol/scancel, the job
store, and the scale-out API for batch grading. Imports `exercises` only; the front end
passes in paths, the dataset location and the state-file helpers.

Modules:
- `profiles`: `ClusterProfile`, `load_profile(name, profiles_dir)` (shipped `mn5`, `local`).
- `render`: `plan()` -> `JobSpec`, `render()` (deterministic text), `validate()`.
- `submit`: `prepare()` (script + `tutor_runner.py` for model tasks) and `submit()`.
- `slurm`: `Slurm` (argument-list calls with time limits), `JobInfo`, `job_status()` (the one
  active/finished/failed classification of SLURM's states).
- `rejections`: sbatch's refusals mapped to a reason and a fix.
- `track`: `Tracker.refresh()` (one squeue, batched sacct, scontrol fallback), `wait()`.
- `jobrow`: `JobRow`, the one model of a job: the store's row, `tutor jobs --json`, the TUI.
- `store`: `JobStore` (atomic, locked, survives corruption and reads version-1 files).
- `scaleout`: job arrays for instructor batch grading (see its docstring):
  `submit_array(items, command, workdir, profile, slurm, limit=K)` submits
  `--array=0-(N-1)%K`; `wait_array(job, Tracker(slurm))` tracks it;
  `collect(job, infos)` returns one `TaskResult` per item (state, exit code, result JSON);
  the task side reads `work_item()` and stores `write_result(data)`.
- `runner_template.py`: the self-contained trainer copied into workspaces as `tutor_runner.py`.
"""
