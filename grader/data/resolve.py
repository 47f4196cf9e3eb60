"""Offline-first resolution: $TUTOR_DATA_DIR, the course's data_dir, Keras' cache, then a
download only where the course allows it."""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional

from grader.data.errors import DataError
from grader.data.registry import DATASETS, WEIGHTS, DatasetInfo, Variant, WeightsInfo
from grader.data.verify import verify_dataset

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class SearchPlace:
    label: str  # "TUTOR_DATA_DIR", "config data_dir", "KERAS_HOME"
    root: Path


@dataclass(frozen=True)
class Resolved:
    name: str
    path: Path
    place: SearchPlace
    variant: Optional[Variant] = None  # datasets only


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def search_places(config_data_dir: Optional[Path] = None) -> list[SearchPlace]:
    places = []
    if os.environ.get("TUTOR_DATA_DIR"):
        places.append(SearchPlace("TUTOR_DATA_DIR", Path(os.environ["TUTOR_DATA_DIR"]).expanduser()))
    if config_data_dir is not None:
        places.append(SearchPlace("config data_dir", Path(config_data_dir).expanduser()))
    places.append(SearchPlace("KERAS_HOME", keras_home()))
    return places


def _candidates(info: DatasetInfo, place: SearchPlace) -> Iterable[Path]:
    for name in info.file_names:
        yield place.root / name
        yield place.root / "datasets" / name
    if info.keras_cache_file and place.label == "KERAS_HOME":
        yield place.root / info.keras_cache_file


def stage_hint(name: str) -> str:
    source = "cifar-10-python.tar.gz" if name == "cifar10" else _file_name(name)  # the official archive
    return f"stage it once with: tutor data stage {name} --from /path/to/{source}"


def _file_name(name: str) -> str:
    if name in DATASETS:
        return DATASETS[name].staged_name
    return WEIGHTS[name].file_name


def unknown(name: str) -> DataError:
    known = ", ".join(sorted(DATASETS) + sorted(WEIGHTS))
    return DataError(f"unknown dataset or weights '{name}'; known: {known}")


def resolve_dataset(
    name: str,
    config_data_dir: Optional[Path] = None,
    allow_download: bool = False,
    verify: bool = True,
) -> Resolved:
    """The first verified copy of a dataset. A copy that fails verification is an error
    (a corrupt staged file must be fixed, not silently skipped)."""
    info = DATASETS.get(name)
    if info is None:
        raise unknown(name)
    places = search_places(config_data_dir)
    for place in places:
        for path in _candidates(info, place):
            if path.is_file():
                variant = verify_dataset(info, path) if verify else None
                return Resolved(name, path, place, variant)
    if allow_download:
        return _download(info, places[-1])
    where = ", ".join(f"{p.label} ({p.root})" for p in places)
    raise DataError(f"dataset '{name}' is not staged (looked in {where}); {stage_hint(name)}")


def resolve_weights(name: str, config_data_dir: Optional[Path] = None) -> Resolved:
    info: Optional[WeightsInfo] = WEIGHTS.get(name)
    if info is None:
        raise unknown(name)
    places = search_places(config_data_dir)
    for place in places:
        for path in (place.root / info.file_name, place.root / "models" / info.file_name):
            if path.is_file():
                return Resolved(name, path, place)
    where = ", ".join(f"{p.label} ({p.root})" for p in places)
    raise DataError(f"weights '{name}' are not staged (looked in {where}); {stage_hint(name)}")


# Where Keras itself downloads its one-file datasets from (keras.datasets.mnist.load_data).
KERAS_DATASETS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def _download(info: DatasetInfo, keras_place: SearchPlace) -> Resolved:
    """Only for the one dataset Keras ships as one verified file (MNIST). Fetched with the
    standard library, not Keras: the trusted process never imports TensorFlow or Keras.
    The file lands in Keras' cache only after it verifies."""
    if info.keras_cache_file is None:
        raise DataError(f"dataset '{info.name}' cannot be downloaded by tutor; {stage_hint(info.name)}")
    path = keras_place.root / info.keras_cache_file
    url = KERAS_DATASETS_ORIGIN + Path(info.keras_cache_file).name
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".download-", delete=False) as part:
        partial = Path(part.name)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as sink:
            shutil.copyfileobj(response, sink)
        variant = verify_dataset(info, partial)
        os.replace(partial, path)
    except (OSError, ValueError) as exc:  # URLError and timeouts are OSErrors
        raise DataError(f"could not download '{info.name}' ({exc}); {stage_hint(info.name)}") from None
    except DataError as exc:
        raise DataError(f"the downloaded '{info.name}' is not the known file ({exc}); {stage_hint(info.name)}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Resolved(info.name, path, keras_place, variant)


def load_split(resolved: Resolved, split: str) -> tuple["np.ndarray", "np.ndarray"]:
    """(x, y) for 'train' or 'test', reading only the two members needed."""
    import numpy as np
    try:
        with np.load(resolved.path, allow_pickle=False) as data:
            x_key, y_key = f"x_{split}", f"y_{split}"
            if x_key not in data.files:
                raise DataError(
                    f"{resolved.path}: has no {split} split (it holds {', '.join(sorted(data.files))})"
                )
            return data[x_key], data[y_key]
    except (OSError, ValueError) as exc:
        raise DataError(f"{resolved.path}: not a readable .npz file ({exc})") from None
