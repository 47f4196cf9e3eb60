"""TensorFlow/Keras log reading: noise filtering and training-log parsing (no TF import).

Used by the grader's log checks (tasks 8.3/8.4) and by `tutor logs`.
"""

from grader.logs.noise import filter_noise, is_noise, split_noise
from grader.logs.parse import Device, Epoch, TrainingLog, parse_training_log
from grader.logs.terminal import clean_text, terminal_lines

__all__ = [
    "Device",
    "Epoch",
    "TrainingLog",
    "clean_text",
    "filter_noise",
    "is_noise",
    "parse_training_log",
    "split_noise",
    "terminal_lines",
]
