"""tutor as the grading engine inside Gradescope (`gradescope`: an autograder zip and its
grading step) and PrairieLearn (`prairielearn`: an external-grader entrypoint and its image).
`harness` grades one submission and always leaves a valid results file; `results` turns a
report into each platform's `results.json`; `bundle` is what travels (source, data)."""
