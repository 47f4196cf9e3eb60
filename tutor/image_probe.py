"""`tutor doctor`'s look inside the site's container: which Python, TensorFlow and Keras the
jobs really train with, against what the cluster profile says (`[framework]`).

The image is run once with the profile's own launcher (`singularity exec --nv IMAGE python`,
apptainer likewise); the answer is cached by the image's path, size and mtime, so a second
`tutor doctor` costs nothing until the image changes.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from hpc.profiles import ClusterProfile
    from tutor.finding import Finding

MARKER = "TUTOR-IMAGE-PROBE "
PROBE = f"""
import json, os, platform
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
info = {{"python": platform.python_version(), "tensorflow": None, "keras": None, "backend": None}}
try:
    import tensorflow as tf
    info["tensorflow"] = tf.__version__
except Exception:
    pass
try:
    import keras
except Exception:
    try:
        from tensorflow import keras
    except Exception:
        keras = None
if keras is not None:
    info["keras"] = keras.__version__
    try:
        info["backend"] = keras.backend.backend()
    except Exception:
        info["backend"] = "tensorflow"
print({MARKER!r} + json.dumps(info), flush=True)
"""


class ImageFramework(BaseModel):
    python: str
    tensorflow: Optional[str] = None
    keras: Optional[str] = None
    backend: Optional[str] = None


def _cache_file() -> Path:
    base = os.environ.get("TUTOR_CACHE_DIR")
    if base is None:
        import platformdirs

        base = platformdirs.user_cache_dir("tutor")
    return Path(base) / "image-probe.json"


def _key(image: Path) -> str:
    st = image.stat()
    return f"{image.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _cached(key: str) -> Optional[ImageFramework]:
    try:
        entry = json.loads(_cache_file().read_text()).get(key)
        return ImageFramework.model_validate(entry) if entry else None
    except (OSError, ValueError, ValidationError, AttributeError):
        return None


def _remember(key: str, found: ImageFramework) -> None:
    path = _cache_file()
    try:
        known = json.loads(path.read_text()) if path.is_file() else {}
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    known[key] = found.model_dump()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(known, indent=1))
        os.replace(tmp, path)
    except OSError:
        pass  # a cache we cannot write only costs the next doctor another probe


def probe_image(command: list[str], timeout: float = 600) -> tuple[Optional[ImageFramework], str]:
    """Run the probe with `command` (launcher words up to `python`); (framework, problem)."""
    try:
        proc = subprocess.run([*command, "-c", PROBE], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"the image did not answer within {timeout:.0f} s"
    except OSError as exc:
        return None, f"{command[0]}: {exc.strerror or exc}"
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            try:
                return ImageFramework.model_validate_json(line[len(MARKER):]), ""
            except ValidationError:
                break
    last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
    return None, f"the image's python did not report its framework: {last[:200]}"


def _same(said: Optional[str], found: Optional[str]) -> bool:
    """'3.8' agrees with '3.8.10'; '2.11.0' with '2.11.0+nv23.3'."""
    if said is None:
        return found is None
    if found is None:
        return False
    norm = found.split("+")[0]
    return norm == said or norm.startswith(said + ".")


def check_image(profile: "ClusterProfile", refresh: bool = False) -> list["Finding"]:
    from tutor.finding import Finding

    target = profile.framework
    if target.own:
        return [Finding("framework", "ok", f"profile {profile.name}: jobs train with tutor's own {target.label}")]
    said = f"profile {profile.name} says its jobs train with {target.label}"
    if not profile.container:
        return [Finding("framework", "ok", said + " (no container to probe)")]
    image = Path(profile.container)
    if not image.is_file():
        return [Finding("framework", "warn", f"{said}; its image {image} is not on this machine, so it was not probed",
                        "run tutor doctor on the cluster's login node")]
    command = shlex.split(profile.run_prefix)
    if not command or shutil.which(command[0]) is None:
        return [Finding("framework", "warn", f"{said}; cannot probe {image.name}: {command[0] if command else 'no launcher'} "
                        "is not on PATH", profile.runtime_setup())]
    key = _key(image)
    found = None if refresh else _cached(key)
    if found is None:
        found, problem = probe_image(command)
        if found is None:
            return [Finding("framework", "error", f"{said}; probing {image.name} failed: {problem}",
                            "check the image and the profile's launcher")]
        _remember(key, found)
    differ = [(field, getattr(target, field), getattr(found, field))
              for field in ("tensorflow", "keras", "python", "backend")
              if getattr(target, field) is not None or field != "backend"
              if not _same(getattr(target, field), getattr(found, field))]
    real = ", ".join(f"{k} {v}" for k, v in found.model_dump().items() if v)
    if not differ:
        return [Finding("framework", "ok", f"{image.name} runs {real}, as profile {profile.name} says")]
    where = profile.source or f"profile {profile.name}"
    return [Finding("framework", "warn", f"profile {profile.name} says {field} {said_v} but {image.name} has {real_v or 'none'}",
                    f"set [framework] {field} = \"{real_v or ''}\" in {where} (or a site copy with extends = \"{profile.name}\")")
            for field, said_v, real_v in differ]
