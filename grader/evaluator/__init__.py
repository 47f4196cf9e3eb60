"""The trusted evaluator: our code only, run in a sandboxed child, on an untrusted artifact.

It opens `model.keras` in Keras safe mode, summarises it and predicts classes for the held-out
inputs it is given. It never sees labels; the trusted parent scores the predictions.
"""

from grader.evaluator.run import run

__all__ = ["run"]
