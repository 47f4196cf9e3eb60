"""Trusted grading: the sandbox that runs student code, the evaluator, the checks, data
resolution and reports. Imports `exercises` only, never `hpc` or `tutor`."""
