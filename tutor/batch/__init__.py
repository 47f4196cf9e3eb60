"""Instructor batch grading: many submissions in, a gradebook and LMS exports out.

One module per job: `discover` (inputs), `lms` (Canvas/Moodle names), `safezip` (zip
extraction), `content` (hashes), `store` (crash-safe results), `fingerprint` and `integrity`
(academic-integrity flags), `pool` and `worker` (graders with TensorFlow kept loaded),
`exports` (gradebook CSV, Gradescope and PrairieLearn results) with `schemas` (their
published formats), `feedback`, `summary`, `progress`, `slurm` (job-array scale-out) and
`run` (the whole batch). Nothing here imports TensorFlow.
"""
