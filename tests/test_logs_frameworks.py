"""`tutor logs` reads every supported framework's output (real captures in tests/fixtures/logs/)."""

from __future__ import annotations

from pathlib import Path

from grader.logs import parse_training_log

LOGS = Path(__file__).parent / "fixtures" / "logs"


def test_tf211_runner_one_epoch_has_no_epoch_header_and_still_counts():
    # Real: hpc/runner_template.py under tensorflow-cpu 2.11.0 (tf.keras 2.11), one epoch, verbose=2.
    log = parse_training_log((LOGS / "tf211_one_epoch.out").read_text(), (LOGS / "tf211_one_epoch.err").read_text())
    assert log.tf_version == "2.11.0"
    assert [(e.index, e.of, e.steps) for e in log.epochs] == [(1, 1, 60)]
    assert log.epochs[0].accuracy == 0.7165 and log.epochs[0].seconds == 38.0
    assert log.test_accuracy == 0.9224 and log.test_accuracy_source == "printed"
    assert not log.gpu_used


def test_keras3_runner_one_epoch_has_no_epoch_header_either():
    # Real: hpc/runner_template.py under tensorflow-cpu 2.21.0 (Keras 3.15), one epoch, verbose=2.
    log = parse_training_log((LOGS / "tf221_one_epoch.out").read_text(), (LOGS / "tf221_one_epoch.err").read_text())
    assert log.tf_version == "2.21.0"
    assert [(e.index, e.of, e.steps, e.accuracy) for e in log.epochs] == [(1, 1, 10, 0.341)]
    assert log.test_accuracy == 0.6646
