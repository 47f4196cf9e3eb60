"""Instructor batch grading: many submissions in, a gradebook and LMS exports out.

One module per job: `discover` (inputs), `lms` (Canvas/Moodle names), `safezip` (zip
extraction), `content` (hashes), `store` (crash-safe results), `fingerprint` and `integrity`
(academic-integrity flags), `pool` and `worker` (graders with TensorFlow kept loaded),
`exports` (gradebook CSV, feedback files) with `cells` (no cell runs as a formula), `canvas`
and `moodle` (the LMS' own gradebook files, sharing `lmsbook`), `schemas` (the Gradescope and
PrairieLearn result formats, written by `tutor.autograder`), `feedback`, `summary`,
`progress`, `slurm` (job-array scale-out) and `run` (the whole batch). Nothing here imports
TensorFlow.
"""
