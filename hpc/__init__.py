"""Cluster side: profiles, SLURM job scripts, sbatch/squeue/sacct/scancel, the job store.
Imports `exercises` only (and reuses grader-free log parsing passed in by the caller)."""
