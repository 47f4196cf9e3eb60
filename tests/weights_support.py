"""A locally built stand-in for the MobileNetV2 ImageNet weights (no downloads here).

The file has the real layout Keras' `MobileNetV2(weights="imagenet")` loads (legacy HDF5, the
official file name from `grader/data/registry.py`), with `weights=None` initial values.
Figures such as 2,270,794 / 12,810 parameters depend on the layout only, not the values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from grader.data.registry import WEIGHTS

NAME = "mobilenet_v2_96_no_top"
FILE_NAME = WEIGHTS[NAME].file_name

SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import h5py, keras
from keras.src.legacy.saving import legacy_h5_format
keras.utils.set_random_seed(0)
base = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False, weights=None)
with h5py.File(sys.argv[1], "w") as handle:
    legacy_h5_format.save_weights_to_hdf5_group(handle, base)
"""


def build_weights(folder: Path) -> Path:
    """Write the stand-in weights file into `folder` (a few seconds); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / FILE_NAME
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(target)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


def stage_in_keras_home(weights: Path) -> Path:
    """Make the file visible where the data layer looks: $KERAS_HOME/models/."""
    models = Path(os.environ["KERAS_HOME"]) / "models"
    models.mkdir(parents=True, exist_ok=True)
    link = models / FILE_NAME
    if not link.exists():
        link.symlink_to(weights)
    return link
