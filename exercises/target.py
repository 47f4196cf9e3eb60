"""The framework a course's jobs train with: data from the cluster profile, read by checks,
hints and reports. It lives in `exercises`, the leaf both `grader` (checks) and `hpc` (profiles)
may import, so that neither imports the other.

mn5 runs NVIDIA's NGC TensorFlow 23.03 image (TensorFlow 2.11.0, tf.keras 2.11, Python 3.8);
`local` runs tutor's own TensorFlow / Keras 3. What differs for a student between the two:
Keras 2 writes legacy HDF5 for `model.keras` up to TF 2.11, and its
`keras.datasets.mnist.load_data(path=...)` reads a staged file (Keras 3 refuses a path).
"""

from __future__ import annotations

from importlib import metadata
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Backend = Literal["tensorflow", "torch", "jax"]


def _major(version: Optional[str]) -> Optional[int]:
    try:
        return int(str(version).split(".")[0])
    except (TypeError, ValueError):
        return None


class TargetFramework(BaseModel):
    """What a profile's jobs run: `own = true` means tutor's own environment (read lazily)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    own: bool = Field(False, description="The jobs run tutor's own Python, TensorFlow and Keras (the local profile).",
                      examples=[True])
    image: Optional[str] = Field(None, description="What the container is, in words.", examples=["NGC TensorFlow 23.03"])
    tensorflow: Optional[str] = Field(None, description="TensorFlow in the image (unset: none, e.g. Keras 3 on torch).",
                                      examples=["2.11.0"])
    keras: Optional[str] = Field(None, description="Keras (tf.keras) version: 2.x and 3.x differ in what checks "
                                 "accept and what model.save writes.", examples=["2.11.0"])
    python: Optional[str] = Field(None, description="The image's Python.", examples=["3.8"])
    backend: Backend = Field("tensorflow", description="Keras 3's backend in the jobs.", examples=["torch"])

    def resolved(self) -> "TargetFramework":
        """`own` filled in from tutor's installed packages (metadata only: no TensorFlow import)."""
        if not self.own:
            return self
        import platform

        def version(name: str) -> Optional[str]:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                return None

        return self.model_copy(update={
            "tensorflow": self.tensorflow or version("tensorflow") or version("tensorflow-cpu"),
            "keras": self.keras or version("keras"),
            "python": self.python or platform.python_version(),
        })

    @property
    def keras_major(self) -> int:
        """2 for tf.keras 2.x images, 3 otherwise (unknown versions count as Keras 3)."""
        return _major(self.resolved().keras) or 3

    @property
    def writes_hdf5_keras(self) -> bool:
        """tf.keras <= 2.11 writes HDF5 under the name model.keras."""
        keras = self.resolved().keras or ""
        parts = [int(p) for p in keras.split(".")[:2] if p.isdigit()]
        return len(parts) == 2 and parts[0] == 2 and parts[1] <= 11

    @property
    def label(self) -> str:
        r = self.resolved()
        parts = [r.image] if r.image else []
        if r.tensorflow:
            parts.append(f"TensorFlow {r.tensorflow}")
        if r.keras:
            parts.append(f"Keras {r.keras}" + (f" ({r.backend})" if r.backend != "tensorflow" else ""))
        if r.python:
            parts.append(f"Python {r.python}")
        return ", ".join(parts) or "unknown framework"


OWN = TargetFramework(own=True)
