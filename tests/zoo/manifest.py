"""The zoo's manifest (tests/fixtures/zoo/manifest.json, written by make_zoo.py) as pydantic models."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict

ZOO = Path(__file__).resolve().parent.parent / "fixtures" / "zoo"


class Expect(BaseModel):
    """What tutor must do with the artifact: grade it (with this parameter count), or refuse it
    with one line holding every one of `says`."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["graded", "refused"]
    params: Optional[int] = None
    says: list[str] = []


class ZooArtifact(BaseModel):
    """One shape as one framework wrote it (or could not: `not_written` holds its error)."""

    model_config = ConfigDict(extra="forbid")

    framework: str  # the environment: tf2.8 ... tf2.21, torch
    tensorflow: Optional[str]  # None on Keras 3's torch backend
    keras: str
    backend: str
    python: str
    shape: str  # save-keras, save-h5, weights-dot-h5, custom-layer...
    how: str  # what the student wrote
    artifact: Optional[str] = None  # what tutor looks at: model.keras, model.h5, model (a folder)...
    format: Optional[str] = None  # keras-zip, hdf5, savedmodel, weights, unknown (by content)
    files: list[str] = []
    expect: Optional[Expect] = None
    not_written: Optional[str] = None
    not_kept: Optional[str] = None  # written, but left out of the zoo (why)

    @property
    def folder(self) -> Path:
        return ZOO / self.framework / self.shape

    @property
    def label(self) -> str:
        return f"{self.framework}-{self.shape}"


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    artifacts: list[ZooArtifact]

    @classmethod
    def load(cls) -> "Manifest":
        return cls.model_validate_json((ZOO / "manifest.json").read_text())

    @property
    def written(self) -> list[ZooArtifact]:
        return [a for a in self.artifacts if a.not_written is None and a.not_kept is None]
