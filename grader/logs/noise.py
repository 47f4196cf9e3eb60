"""TensorFlow's start-up noise: lines that say nothing a student needs to act on.

Line-based, by message (not by log level): TensorFlow logs the GPU it created at INFO level, and
that line matters. Errors, tracebacks and warnings from the student's own code are kept.
"""

from __future__ import annotations

import re

from grader.logs.terminal import terminal_lines

# absl/glog prefixes: "I0000 00:00:1795320496.261526    9459 port.cc:153] " (TF >= 2.16) and
# "2024-05-10 10:12:31.123456: I tensorflow/core/util/port.cc:113] " (older releases).
TF_PREFIX = re.compile(
    r"^(?:(?P<level>[IWEF])\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w./-]+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<level2>[IWEF]) [\w./-]+:\d+\])\s*"
)

NOISE_MESSAGES = [
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized (to use available CPU instructions|with oneAPI)",
    r"rebuild TensorFlow with the appropriate compiler flags",
    r"Unable to register (cuDNN|cuFFT|cuBLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning",
    r"Could not find TensorRT",
    r"successful NUMA node read from SysFS had negative value",
    r"Your kernel may have been built without NUMA support",
    r"XLA service 0x[0-9a-f]+ initialized for platform",
    r"StreamExecutor device \(\d+\):",
    r"disabling MLIR crash reproducer",
    r"Compiled cluster using XLA!",
    r"Loaded cuDNN version",
    r"TensorFloat-32 will be used",
    r"Plugin optimizer for device_type \w+ is enabled",
    r"Using CUDA malloc Async allocator",
    r"Skipping the delay kernel",
    r"Local rendezvous is aborting with status: OUT_OF_RANGE: End of sequence",
    r"Your input ran out of data; interrupting training",
    r"None of the MLIR Optimization Passes are enabled",
    r"Memory patch applied: M_TRIM_THRESHOLD",
    r"^WARNING:tensorflow:.*(is deprecated|deprecated and will be removed)",
    r"^WARNING:absl:",
]
NOISE = re.compile("|".join(f"(?:{m})" for m in NOISE_MESSAGES))

# "/site-packages/keras/src/layers/core/dense.py:93: UserWarning: Do not pass ..." and the
# source line Python prints under it (indented).
LIBRARY_WARNING = re.compile(
    r"^(?P<path>\S*(?:site-packages|dist-packages|/keras/|/tensorflow/)\S*\.py):\d+: "
    r"(?P<category>\w*Warning): (?P<message>.*)$"
)
# An intermediate progress-bar frame ("12/60 ━━━━━━━━━━ 0s 11ms/step ..."): seen on its own
# line when the bar's carriage returns were turned into newlines.
PROGRESS_FRAME = re.compile(r"^\s*(\d+)/(\d+|Unknown)\s+(?:━|\[[=.>]*\]?)")
PY_WARNING = re.compile(r"^(?P<path>\S+\.py):\d+: (?P<category>\w*Warning): (?P<message>.*)$")


def tf_message(line: str) -> str:
    """The message of a TensorFlow log line, without its absl/glog prefix."""
    return TF_PREFIX.sub("", line)


def tf_level(line: str) -> str | None:
    """'I', 'W', 'E' or 'F' for a TensorFlow log line, else None."""
    match = TF_PREFIX.match(line)
    return (match["level"] or match["level2"]) if match else None


def is_noise(line: str) -> bool:
    return bool(NOISE.search(tf_message(line)))


def split_noise(text: str) -> tuple[list[str], list[str], list[str]]:
    """(kept lines, noise lines, library warning messages) of terminal-cleaned text."""
    kept: list[str] = []
    noise: list[str] = []
    warnings: list[str] = []
    skip_source = False
    for line in terminal_lines(text):
        if skip_source:
            skip_source = False
            if line.startswith((" ", "\t")):
                noise.append(line)
                continue
        match = LIBRARY_WARNING.match(line)
        if match:
            warnings.append(f"{match['category']}: {match['message']}")
            noise.append(line)
            skip_source = True
            continue
        frame = PROGRESS_FRAME.match(line)
        if frame and frame[1] != frame[2]:
            noise.append(line)
            continue
        if frame and kept and kept[-1].split()[:1] == line.split()[:1]:
            kept.pop()  # the same final frame drawn twice: keep the later one
        if is_noise(line):
            noise.append(line)
            continue
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return kept, noise, warnings


def filter_noise(text: str) -> str:
    """The text with TensorFlow/Keras start-up noise removed (progress bars collapsed to
    their final frame, colours stripped); errors, tracebacks and your own output kept."""
    kept, _, _ = split_noise(text)
    return "\n".join(kept) + ("\n" if kept else "")
