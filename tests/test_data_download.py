"""The one download tutor does (MNIST, where a course allows it) runs in the trusted process
with the standard library: it never imports Keras, and only a verified file reaches Keras'
cache. A local HTTP server stands in for Keras' origin (no network here)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TUTOR_DATA_DIR", REPO.parent / "shared" / "data"))

RESOLVE = """
import json, sys
import grader.data.resolve as r
r.KERAS_DATASETS_ORIGIN = sys.argv[1]
try:
    got = r.resolve_dataset("mnist", allow_download=True)
    out = {"path": str(got.path), "verified": got.variant is not None}
except r.DataError as exc:
    out = {"error": str(exc)}
out["keras_imported"] = "keras" in sys.modules or "tensorflow" in sys.modules
print(json.dumps(out))
"""


@pytest.fixture
def origin(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _resolve(url: str, keras_home: Path) -> dict:
    import json

    env = {k: v for k, v in os.environ.items() if k != "TUTOR_DATA_DIR"}
    env["KERAS_HOME"] = str(keras_home)
    done = subprocess.run([sys.executable, "-c", RESOLVE, url], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_download_lands_verified_in_keras_cache_without_importing_keras(origin, tmp_path):
    served, url = origin
    if not (DATA / "mnist.npz").is_file():
        pytest.fail(f"no real MNIST at {DATA} (set TUTOR_DATA_DIR)")
    shutil.copy(DATA / "mnist.npz", served / "mnist.npz")
    got = _resolve(url, tmp_path / "keras")
    assert got == {"path": str(tmp_path / "keras" / "datasets" / "mnist.npz"), "verified": True, "keras_imported": False}


def test_a_corrupt_or_missing_download_is_one_line_and_leaves_no_file(origin, tmp_path):
    served, url = origin
    got = _resolve(url, tmp_path / "keras")  # nothing served: 404
    assert "could not download 'mnist'" in got["error"] and "tutor data stage mnist" in got["error"]
    (served / "mnist.npz").write_bytes(b"PK\x03\x04 not really an npz")
    got = _resolve(url, tmp_path / "keras")
    assert "mnist" in got["error"] and "tutor data stage mnist" in got["error"]
    assert "\n" not in got["error"]
    assert got["keras_imported"] is False
    assert list((tmp_path / "keras" / "datasets").iterdir()) == []  # no partial file, no bad file
