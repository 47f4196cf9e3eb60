"""The LMS result formats as pydantic models, written from their published specs:

- Gradescope autograder `results.json` ("Autograder Specifications",
  gradescope-autograders.readthedocs.io/en/latest/specs/): top-level `score`,
  `execution_time`, `output`, `output_format`, `test_output_format`, `test_name_format`,
  `visibility`, `stdout_visibility`, `extra_data`, `tests` (each `score`, `max_score`,
  `status` passed/failed, `name`, `name_format`, `number`, `output`, `output_format`,
  `tags`, `visibility`, `extra_data`), `leaderboard`; formats are text, html,
  simple_format, md or ansi.
- PrairieLearn external grading `results.json` (docs/externalGrading.md, "Grading results"):
  `gradable`, `score` in [0, 1] (needed when gradable), `format_errors`, `message`, `output`,
  `images`, `tests` (each `name`, `description`, `points`, `max_points`, `message`, `output`,
  `images`); the file must stay under 1 MB.

Unknown keys are refused, so anything we write is something those platforms read.
"""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]
TextFormat = Literal["text", "html", "simple_format", "md", "ansi"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GradescopeTest(_Strict):
    score: Optional[float] = None
    max_score: Optional[float] = None
    status: Optional[Literal["passed", "failed"]] = None
    name: Optional[str] = None
    name_format: Optional[TextFormat] = None
    number: Optional[str] = None
    output: Optional[str] = None
    output_format: Optional[TextFormat] = None
    tags: Optional[list[str]] = None
    visibility: Optional[Visibility] = None
    extra_data: Optional[dict] = None


class GradescopeLeaderboardEntry(_Strict):
    name: str
    value: Union[float, str]
    order: Optional[Literal["asc", "desc"]] = None


class GradescopeResults(_Strict):
    score: Optional[float] = None
    execution_time: Optional[float] = Field(default=None, ge=0)
    output: Optional[str] = None
    output_format: Optional[TextFormat] = None
    test_output_format: Optional[TextFormat] = None
    test_name_format: Optional[TextFormat] = None
    visibility: Optional[Visibility] = None
    stdout_visibility: Optional[Visibility] = None
    extra_data: Optional[dict] = None
    tests: Optional[list[GradescopeTest]] = None
    leaderboard: Optional[list[GradescopeLeaderboardEntry]] = None

    @model_validator(mode="after")
    def _score_somewhere(self) -> "GradescopeResults":
        if self.score is None and not (self.tests and all(t.score is not None for t in self.tests)):
            raise ValueError("a top-level score, or a score on every test, is required")
        return self


class PrairieLearnImage(_Strict):
    url: str
    label: Optional[str] = None


class PrairieLearnTest(_Strict):
    name: str
    description: Optional[str] = None
    points: Optional[float] = None
    max_points: Optional[float] = None
    message: Optional[str] = None
    output: Optional[str] = None
    images: Optional[list[Union[PrairieLearnImage, str]]] = None


class PrairieLearnResults(_Strict):
    gradable: bool = True
    score: Optional[float] = Field(default=None, ge=0, le=1)
    format_errors: Optional[Union[str, list[str]]] = None
    message: Optional[str] = None
    output: Optional[str] = None
    images: Optional[list[Union[PrairieLearnImage, str]]] = None
    tests: Optional[list[PrairieLearnTest]] = None

    @model_validator(mode="after")
    def _score_if_gradable(self) -> "PrairieLearnResults":
        if self.gradable and self.score is None:
            raise ValueError("a gradable result needs a score in [0, 1]")
        return self


PRAIRIELEARN_MAX_BYTES = 1 << 20
