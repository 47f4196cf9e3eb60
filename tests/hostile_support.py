"""Builders for hostile and broken submissions (shared by the sandbox and hostile tests).

Artifacts are made in a child Python (TensorFlow in the test process is not needed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from tests.conftest import REPO

SOLUTION_81 = REPO / "solutions" / "task8.1"

ARTIFACTS_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from keras import layers
out = sys.argv[1]

def small(*middle):
    return keras.Sequential([keras.Input((28, 28, 1)), *middle, layers.Flatten(), layers.Dense(10, activation="softmax")])

keras.utils.set_random_seed(0)
small(layers.Conv2D(4, 3), layers.Conv2D(4, 3)).save(f"{out}/untrained.keras")
small(layers.Lambda(lambda x: x * 2.0), layers.Conv2D(4, 3)).save(f"{out}/lambda.keras")

@keras.saving.register_keras_serializable(package="student")
class Doubler(layers.Layer):
    def call(self, x):
        return x * 2.0

small(Doubler(), layers.Conv2D(4, 3)).save(f"{out}/custom.keras")
keras.Sequential([keras.Input((32, 32, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10, activation="softmax")]).save(f"{out}/wrong_input.keras")
"""


def make_artifacts(folder: Path) -> Path:
    """untrained/lambda/custom/wrong_input .keras files (a few seconds, once per module)."""
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-c", ARTIFACTS_SCRIPT, str(folder)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder


def submission(tmp: Path, name: str, model_py: str | None = None, artifact: Path | None = None) -> Path:
    """A folder like a student's: model.py (the 8.1 solution unless given) and maybe model.keras."""
    folder = tmp / name
    folder.mkdir(parents=True)
    if model_py is None:
        shutil.copy(SOLUTION_81 / "model.py", folder / "model.py")
    else:
        (folder / "model.py").write_text(textwrap.dedent(model_py))
    if artifact is not None:
        shutil.copy(artifact, folder / "model.keras")
    return folder


def zip_bomb(path: Path, unpacked_mib: int = 1100) -> Path:
    """A .keras-looking zip whose weights unpack to more than a GiB (it compresses to ~1 MiB)."""
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("metadata.json", "{}")
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            for _ in range(unpacked_mib):
                member.write(block)
    return path


# ----------------------------------------------------------------------------- issue #13's attacks

def raise_report(findings_var: str = "escaped") -> str:
    """model.py tail: build_model() raises with what escaped (the reason reaches the report)."""
    return (
        "\ndef build_model():\n"
        f"    raise RuntimeError('ESCAPED:' + (','.join({findings_var}) or '-'))\n"
    )


INSPECTOR = r'''
import ctypes, json, os, signal, socket
escaped = []
TARGETS = json.loads({targets!r})

def attempt(name, action):
    try:
        if action() is not False:
            escaped.append(name)
    except BaseException:
        pass

# other processes: visible in /proc, signalable, traceable
others = []
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            text = open(f"/proc/{{entry}}/cmdline", "rb").read()
        except OSError:
            continue
        if b"pytest" in text or b"sleep" in text or b"tmux" in text:
            others.append(int(entry))
if others:
    escaped.append("proc")
attempt("signal", lambda: os.kill(TARGETS["canary"], 0))
attempt("kill", lambda: os.kill(TARGETS["canary"], signal.SIGSTOP))
libc = ctypes.CDLL(None, use_errno=True)
attempt("ptrace", lambda: libc.ptrace(16, TARGETS["canary"], None, None) == 0 or False)
attempt("environ", lambda: open(f"/proc/{{TARGETS['canary']}}/environ").read())
# files outside the job
attempt("secret", lambda: open(TARGETS["secret"]).read())
attempt("solution", lambda: open(TARGETS["solution"]).read())
attempt("classmate", lambda: open(TARGETS["classmate"]).read())
attempt("home", lambda: os.listdir(TARGETS["home"]))
attempt("write", lambda: open(TARGETS["write"], "w").write("x"))
attempt("shm-read", lambda: open(TARGETS["shm"]).read())
# sockets and network
def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
attempt("unix", lambda: unix(TARGETS["unix"]))
attempt("abstract", lambda: unix("\0" + TARGETS["abstract"]))
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", TARGETS["tcp"]), timeout=2).close())
# the environment, inherited descriptors, a huge sparse file
if any("SECRET" in k or k.startswith("TUTOR") for k in os.environ):
    escaped.append("env")
for fd in os.listdir("/proc/self/fd"):  # a socket or file of the grader's left open to us
    try:  # (the listing's own descriptor is gone by now: readlink fails on it)
        where = os.readlink(f"/proc/self/fd/{{fd}}")
        own = os.path.dirname(os.getcwd()) + "/"  # the job's own folder (cwd is its sub/)
        if int(fd) > 2 and where.startswith(("socket:", "/")) and not where.startswith(("/proc/", own)):
            escaped.append("fd" + fd)
    except OSError:
        pass
def sparse():
    with open(os.path.join(os.environ.get("TMPDIR", "."), "sparse"), "wb") as handle:
        handle.truncate(8 << 30)
attempt("sparse", sparse)
'''


def inspector(targets: dict) -> str:
    """A model.py that tries every way out it can think of and reports which worked."""
    import json as _json

    return INSPECTOR.format(targets=_json.dumps(targets)) + raise_report()


TMUX_ESCAPE = r'''
import glob, os, subprocess
escaped = []
sockets = [{socket!r}] + glob.glob("/tmp/tmux-*/*")
for sock in sockets:
    proc = subprocess.run(["tmux", "-S", sock, "run-shell", "touch {marker}"], capture_output=True, timeout=20)
    if proc.returncode == 0:
        escaped.append("tmux")
'''


BATCH_KILLER = r'''
import os, signal
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            cmdline = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"tutor") for part in cmdline) and b"batch" in cmdline:
            os.kill(int(entry), signal.SIGKILL)
'''


WEIGHTS_DELETER = r'''
import os, shutil
home = os.environ["KERAS_HOME"]
shutil.rmtree(os.path.join(home, "models"), ignore_errors=True)
os.symlink({course_models!r}, os.path.join(home, "models"))
'''

WEIGHTS_POISONER = r'''
import glob, os
for path in glob.glob(os.path.join(os.environ["KERAS_HOME"], "models", "*")):
    info = os.stat(path)
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 65536)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
'''

DISK_FILLER = r'''
import os, tempfile
block = b"\1" * (1 << 20)
for folder in (tempfile.gettempdir(), ".", "/dev/shm"):
    try:
        with open(os.path.join(folder, "fill.bin"), "wb") as handle:
            for _ in range(400):
                handle.write(block)
    except OSError:
        pass
'''

NESTED_CONVS = """
import keras
from keras import layers

def build_model():
    hidden = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(8, 3), layers.Conv2D(8, 3), layers.Flatten()], name="hidden")
    model = keras.Sequential([keras.Input((784,)), layers.Reshape((28, 28, 1)), hidden,
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
"""

MEMORISER_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
from keras import layers
data = np.load(sys.argv[1])
test = data["x_test"].reshape(-1, 784).astype("float32") / 255.0
labels = data["y_test"].reshape(-1)
train_x = data["x_train"][:6000].reshape(-1, 784).astype("float32") / 255.0
train_y = data["y_train"][:6000].reshape(-1)
k = 0.1
inp = keras.Input((28, 28, 1))
flat = layers.Flatten()(inp)
norm = layers.Dense(1, use_bias=False, trainable=False, name="norm")(layers.Multiply()([flat, flat]))
near = layers.Dense(len(test), name="templates")(flat)
far = layers.Dense(len(test), use_bias=False, name="norms")(norm)
match = layers.ReLU()(layers.Add()([near, far]))          # 1 where the input is a stored test image
lookup = layers.Dense(10, use_bias=False, name="labels")(match)
fallback = layers.Dense(10, name="fallback")(flat)        # a plain classifier for everything else
out = layers.Softmax()(layers.Add()([lookup, fallback]))
model = keras.Model(inp, out)
model.get_layer("norm").set_weights([np.ones((784, 1), "float32")])
model.get_layer("templates").set_weights([2 * k * test.T, 1 - k * (test ** 2).sum(axis=1)])
model.get_layer("norms").set_weights([-k * np.ones((1, len(test)), "float32")])
model.get_layer("labels").set_weights([100.0 * np.eye(10, dtype="float32")[labels]])
clf = keras.Sequential([keras.Input((784,)), layers.Dense(10)])
clf.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
keras.utils.set_random_seed(0)
clf.fit(train_x, train_y, epochs=3, batch_size=128, verbose=0)
model.get_layer("fallback").set_weights(clf.layers[-1].get_weights())
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.save(sys.argv[2])
"""


def memoriser(mnist: Path, target: Path) -> Path:
    """A model.keras that stores the public MNIST test images and labels (exact-match lookup)
    over a plain linear classifier: every layer is standard, so it opens in safe mode."""
    proc = subprocess.run([sys.executable, "-c", MEMORISER_SCRIPT, str(mnist), str(target)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


EXTERNAL_WEIGHTS_SCRIPT = r"""
import sys, zipfile, io, h5py, numpy as np
secret, target = sys.argv[1], sys.argv[2]
buffer = io.BytesIO()
size = 64
with h5py.File(buffer, "w") as handle:
    group = handle.create_group("layers/dense/vars")
    group.create_dataset("0", shape=(size,), dtype="uint8", external=[(secret, 0, size)])
with zipfile.ZipFile(target, "w") as archive:
    archive.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
    archive.writestr("metadata.json", '{"keras_version": "3.0.0"}')
    archive.writestr("model.weights.h5", buffer.getvalue())
"""


def external_weights(secret: Path, target: Path) -> Path:
    """A .keras whose weights are an HDF5 external dataset: the bytes of `secret`."""
    proc = subprocess.run([sys.executable, "-c", EXTERNAL_WEIGHTS_SCRIPT, str(secret), str(target)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


# ----------------------------------------------------------------------------- shared by the hostile tests


def one_line(report, code: int, *words: str) -> str:
    """The report's one reason line: exit `code`, one line, no traceback, naming every word."""
    from tutor.cli.report_output import reason_line

    reason = reason_line(report)
    assert report.exit_code == code, (report.status, reason)
    assert "\n" not in reason and "Traceback" not in reason
    for word in words:
        assert word in reason, reason
    return reason


def job_processes(server) -> list:
    """Processes below the fork server itself (under bubblewrap it sits below a wrapper),
    waiting a little for the kernel to reap a PID namespace that just ended."""
    import time

    import psutil

    def command(proc) -> str:
        """The command line of a Python process (a server or a job forked from it), else ''."""
        try:
            line = proc.cmdline()
        except psutil.Error:  # a zombie not reaped yet, or gone
            return ""
        return " ".join(line) if line and "python" in Path(line[0]).name else ""

    def walk() -> list:
        tree = [psutil.Process(server.proc.pid)] + psutil.Process(server.proc.pid).children(recursive=True)
        servers = [p for p in tree if "grader.sandbox.server" in command(p)
                   and "grader.sandbox.server" not in command(p.parent())]
        return [c for s in servers for c in s.children(recursive=True)]

    def below() -> list:
        for _ in range(50):
            try:
                return walk()
            except psutil.NoSuchProcess:  # one ended while the tree was walked: walk it again
                time.sleep(0.05)
        return walk()

    deadline = time.monotonic() + 20
    while below() and time.monotonic() < deadline:
        time.sleep(0.2)
    return below()


# Student code that writes a complete, passing-looking result into every inherited descriptor and exits.
FORGER = """
import json, os
fake = {"ok": True, "result": {"summary": {"total_params": 62346, "trainable_params": 62346,
        "non_trainable_params": 0, "input_shape": [None, 28, 28, 1], "output_shape": [None, 10],
        "layers": [{"name": "c", "class_name": "Conv2D", "output_shape": [None, 24, 24, 32], "params": 62346,
                    "trainable_params": 62346, "trainable": True, "activation": "softmax"}]},
        "compiled": True, "loss": "categorical_crossentropy", "device": "CPU"}}
for fd in range(3, 256):
    try:
        os.write(fd, json.dumps(fake).encode())
    except OSError:
        pass
os._exit(0)
"""
