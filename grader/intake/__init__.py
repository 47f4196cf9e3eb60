"""Intake: a submission folder becomes one typed `Submission`, resolved once and passed down.

The trusted parent looks at the folder exactly once per grading run: which source files it
holds, which trained artifacts (and in which format, told by their first bytes, never by
their name), the training record it carries. Nothing here opens or deserialises an artifact:
that happens only in the evaluator sandbox.
"""

from grader.intake.artifact import Artifact, ArtifactFormat, sniff_format
from grader.intake.notebook import NotebookCell
from grader.intake.submission import SourceFile, Submission, TrainedWith, intake, read_artifact

__all__ = [
    "Artifact",
    "ArtifactFormat",
    "NotebookCell",
    "SourceFile",
    "Submission",
    "TrainedWith",
    "intake",
    "read_artifact",
    "sniff_format",
]
