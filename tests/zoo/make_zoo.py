"""Make the artifact zoo: what real framework versions write when a student saves a model.

The zoo is committed (tests/fixtures/zoo/<framework>/<shape>/ plus manifest.json), so CI never
installs a framework: tests/test_zoo.py pushes every artifact through tutor's real intake and
evaluator. This script only regenerates it.

How to regenerate (about 3-6 min per framework here, plus ~2-5 min to build each environment):

    .venv/bin/python tests/zoo/make_zoo.py --build            # every framework in tests/zoo/envs.py
    .venv/bin/python tests/zoo/make_zoo.py --build tf2.8 tf2.20   # only these (others are kept)
    .venv/bin/python tests/zoo/make_zoo.py tf2.21              # tutor's own TensorFlow/Keras

Each framework runs in a throwaway virtualenv under $TUTOR_ZOO_DIR (default ~/.cache/tutor-zoo,
never in the repo; the matrix's ~/.cache/tutor-frameworks ones are reused). `tf2.21` is the
interpreter running this script (tutor's .venv). Inside each, tests/zoo/save_shapes.py trains a
1,490-parameter MNIST model for one epoch on 300 real images (--data, default
../shared/data/mnist.npz) and saves it in every shape the framework can write. The manifest
records, per artifact, the framework and Keras versions that wrote it, the format found in the
bytes, and what tutor must say: graded with 1,490 parameters, or refused with a one-line reason
(the `says` words). Shapes a framework cannot write are listed under `not_written` with its error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from envs import BY_NAME, RECIPES, build, ready  # noqa: E402

ZOO = REPO / "tests" / "fixtures" / "zoo"
MANIFEST = ZOO / "manifest.json"
PARAMS = 1490
OWN = "tf2.21"


def sniff(path: Path) -> str:
    """The format by content, as grader.intake reads it (kept standalone: no tutor import)."""
    if path.is_dir():
        return "savedmodel" if (path / "saved_model.pb").is_file() else "folder"
    head = path.read_bytes()[:8200]
    if head.startswith(b"PK\x03\x04"):
        return "keras-zip"
    if any(head[o:o + 8] == b"\x89HDF\r\n\x1a\n" for o in (0, 512, 1024, 2048, 4096, 8192)):
        return "hdf5"
    return "unknown"


def artifact_of(folder: Path) -> tuple[str, str]:
    """(the file or folder tutor looks at, its format) in one shape's folder."""
    for name in ("model.keras", "model.h5", "model"):
        if (folder / name).exists():
            return name, sniff(folder / name)
    for name in ("model.weights.h5", "model.index"):
        if (folder / name).exists():
            return name, "weights"
    return "", "unknown"


def expectation(shape: str, artifact: str, fmt: str, keras_major: int) -> dict:
    """What tutor must do with it: `graded` (params) or `refused` (words its one line says)."""
    if fmt == "savedmodel":
        return {"outcome": "refused", "says": ["SavedModel", "model.save('model.keras')"]}
    if shape.startswith("weights") or fmt == "weights":
        return {"outcome": "refused", "says": ["weights only", "model.save('model.keras')"]}
    if shape.startswith("custom-layer"):
        return {"outcome": "refused", "says": ["Doubler", "custom layer"]}
    if shape.startswith("subclassed"):
        return {"outcome": "refused", "says": ["TinyNet", "subclass", "Sequential"]}
    if fmt in ("keras-zip", "hdf5"):
        return {"outcome": "graded", "params": PARAMS}
    return {"outcome": "refused", "says": ["corrupt"]}


def python_of(name: str, build_missing: bool) -> tuple[str, dict]:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PYTHONPATH", None)
    if name == OWN:
        return sys.executable, env
    recipe = BY_NAME[name]
    folder = build(recipe) if build_missing else ready(recipe)
    if folder is None:
        raise RuntimeError(f"{name}: no environment (pass --build to make it)")
    if recipe.backend != "tensorflow":
        env["KERAS_BACKEND"] = recipe.backend
    return str(folder / "bin" / "python"), env


def make(name: str, data: Path, build_missing: bool) -> list[dict]:
    python, env = python_of(name, build_missing)
    with tempfile.TemporaryDirectory(prefix=f"zoo-{name}-") as scratch:
        done = subprocess.run([python, str(HERE / "save_shapes.py"), str(data), scratch], env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=3600)
        records = [json.loads(line[4:]) for line in done.stdout.splitlines() if line.startswith("ZOO ")]
        if done.returncode or not records:
            raise RuntimeError(f"{name}: save_shapes failed ({done.returncode}):\n{done.stderr[-3000:]}")
        target = ZOO / name
        shutil.rmtree(target, ignore_errors=True)
        entries = []
        for record in records:
            entry = {"framework": name, "tensorflow": record["tensorflow"], "keras": record["keras"],
                     "backend": record["backend"], "python": record["python"], "shape": record["shape"],
                     "how": record["how"]}
            if "error" in record:
                entries.append({**entry, "not_written": record["error"]})
                continue
            shutil.copytree(Path(scratch) / record["shape"], target / record["shape"])
            artifact, fmt = artifact_of(target / record["shape"])
            major = int(record["keras"].split(".")[0])
            entries.append({**entry, "artifact": artifact, "format": fmt, "files": record["files"],
                            "expect": expectation(record["shape"], artifact, fmt, major)})
        return prune(entries, target)


def prune(entries: list[dict], target: Path) -> list[dict]:
    """Keep one SavedModel folder per framework: tf.saved_model.save writes the same kind of folder
    as model.save("model") (Keras 2) or model.export("model") (Keras 3), tutor refuses both by
    the same rule, and each is ~100 KB of graph."""
    shapes = {e["shape"] for e in entries if "artifact" in e}
    for entry in entries:
        if entry["shape"] == "tf-saved-model" and "artifact" in entry and shapes & {"save-dir", "export"}:
            shutil.rmtree(target / entry["shape"], ignore_errors=True)
            for key in ("artifact", "format", "files", "expect"):
                entry.pop(key)
            entry["not_kept"] = "the same SavedModel folder as save-dir/export, refused by the same rule"
    return entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("frameworks", nargs="*", help=f"default: every one ({', '.join(r.name for r in RECIPES)}, {OWN})")
    parser.add_argument("--build", action="store_true", help="build missing environments first")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist.npz")
    args = parser.parse_args()
    names = args.frameworks or [*(r.name for r in RECIPES), OWN]
    failed = 0
    for name in names:
        try:
            entries = make(name, args.data, args.build)
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            print(f"zoo: {exc}", file=sys.stderr, flush=True)
            failed += 1
            continue
        # read again just before writing: another make_zoo run may have added its frameworks meanwhile
        manifest = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {"artifacts": []}
        manifest["artifacts"] = [e for e in manifest["artifacts"] if e["framework"] != name] + entries
        manifest["artifacts"].sort(key=lambda e: (tuple(int(p) if p.isdigit() else 0 for p in
                                                        e["framework"].removeprefix("tf").split(".")), e["framework"], e["shape"]))
        ZOO.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(json.dumps(manifest, indent=1) + "\n")
        written = sum(1 for e in entries if "artifact" in e)
        print(f"zoo: {name}: {written} artifacts, {len(entries) - written} shapes not written", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
