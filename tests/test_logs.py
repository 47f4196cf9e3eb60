"""Log parsing on captured real Keras output (both verbose modes) and reconstructed GPU logs."""

from pathlib import Path

import pytest

from grader.logs import filter_noise, parse_training_log
from grader.logs.terminal import read_log

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
SOLUTIONS = Path(__file__).parent.parent / "solutions"


def logs(stem: str, folder: Path = FIXTURES) -> tuple[str, str]:
    return read_log(folder / f"{stem}.out"), read_log(folder / f"{stem}.err")


def test_verbose1_progress_bars_give_one_epoch_each():
    out, err = logs("verbose1")
    assert "\r" in out and "\x1b[" in out and "\b" in out  # the capture really is messy
    log = parse_training_log(out, err)
    assert log.verbose == 1
    assert [e.index for e in log.epochs] == [1, 2]
    assert log.epochs_planned == 2
    assert all(e.seconds is not None and e.seconds_per_step for e in log.epochs)
    assert log.epochs[1].accuracy == pytest.approx(0.5825)
    assert log.tf_version == "2.21.0"
    assert log.test_accuracy == pytest.approx(0.7022, abs=1e-4)
    assert log.test_accuracy_source == "printed"
    assert not log.gpu_used and [d.kind for d in log.devices] == ["CPU"]


def test_verbose1_read_in_text_mode_parses_the_same():
    """Python's text mode turns every \\r into a new line: each frame is then its own line."""
    out = (FIXTURES / "verbose1.out").read_text()
    careful = parse_training_log(read_log(FIXTURES / "verbose1.out"))
    careless = parse_training_log(out)
    assert careless.epochs == careful.epochs
    assert careless.test_accuracy == careful.test_accuracy


def test_verbose2_epoch_lines_with_validation_metrics():
    out, err = logs("verbose2")
    log = parse_training_log(out, err)
    assert log.verbose == 2
    assert [e.seconds for e in log.epochs] == [2.0, 2.0, 1.0]
    assert log.epochs[0].val_accuracy == pytest.approx(0.9358)
    assert log.epochs[2].loss == pytest.approx(0.1028)
    assert log.tf_version == "2.21.0"  # the book's bare print(tf.__version__)
    assert log.test_accuracy == pytest.approx(0.9711, abs=1e-4)
    assert any("input_shape" in w for w in log.warnings)


def test_noise_filter_empties_tensorflow_startup_stderr():
    for stem in ("verbose1", "verbose2"):
        _, err = logs(stem)
        assert "oneDNN" in err and "absl::InitializeLog" in err
        assert filter_noise(err) == ""


def test_noise_filter_collapses_progress_bars_on_stdout():
    out, _ = logs("verbose1")
    clean = filter_noise(out)
    assert "\x1b" not in clean and "\b" not in clean and "\r" not in clean
    bars = [line for line in clean.splitlines() if "━━━━" in line and "/" in line.split()[0]]
    assert [line.split()[0] for line in bars] == ["60/60", "60/60", "313/313"]
    assert clean.rstrip().endswith("Test accuracy: 0.7021999955177307")


def test_noise_filter_keeps_errors_tracebacks_and_gpu_lines():
    err = read_log(FIXTURES / "cpu_failed.err")
    kept = filter_noise(err)
    assert "cpu_feature_guard" not in kept
    assert "Traceback (most recent call last)" in kept
    assert "failed call to cuInit" in kept
    log = parse_training_log("", err)
    assert log.errors and log.errors[-1].startswith("Exception: URL fetch failure")
    assert log.gpu_problems and not log.gpu_used

    gpu = filter_noise(read_log(FIXTURES / "gpu_tf211.err"))
    assert gpu.strip().splitlines() == [
        line for line in read_log(FIXTURES / "gpu_tf211.err").splitlines() if "Created device" in line
    ]


def test_own_script_warnings_are_kept():
    err = "train.py:12: UserWarning: my own warning\n  warnings.warn('my own warning')\n"
    assert "my own warning" in filter_noise(err)


def test_keras2_gpu_job_log():
    # gpu_tf211.* are RECONSTRUCTED (no GPU here): see fixtures/logs/README.md.
    out, err = logs("gpu_tf211")
    log = parse_training_log(out, err)
    assert log.gpu_used
    assert log.devices[0].name == "NVIDIA H100" and log.devices[0].memory_mb == 62538
    assert log.tf_version == "2.11.0"
    assert [e.seconds for e in log.epochs] == [6.0, 2.0, 2.0, 2.0, 2.0]
    assert log.epochs[-1].accuracy == pytest.approx(0.9651)
    assert log.test_accuracy == pytest.approx(0.9704, abs=1e-4)
    assert log.test_loss == pytest.approx(0.0962)


def test_evaluate_line_stands_in_for_a_missing_print():
    out, _ = logs("gpu_tf211")
    log = parse_training_log(out.replace("Test accuracy: 0.9703999757766724\n", ""))
    assert log.test_accuracy_source == "evaluate"
    assert log.test_accuracy == pytest.approx(0.9704)


def test_solution_job_logs_show_the_gpu():
    out, err = logs("MNIST.31415926", SOLUTIONS / "task8.4")
    log = parse_training_log(out, err)
    assert log.gpu_used and len(log.epochs) == 3 and log.test_accuracy > 0.9
    assert filter_noise(err).count("\n") == 1  # only the Created device line survives


def test_percent_and_empty_inputs():
    assert parse_training_log("Test accuracy: 97.5%").test_accuracy == pytest.approx(0.975)
    empty = parse_training_log("", "")
    assert empty.epochs == [] and empty.test_accuracy is None and empty.devices == []


def test_unknown_length_epochs_and_keras_userwarnings():
    out, err = logs("unknown_steps")
    assert "/Unknown" in out
    for text in (out, (FIXTURES / "unknown_steps.out").read_text()):
        log = parse_training_log(text, err)
        assert [(e.index, e.steps) for e in log.epochs] == [(1, 30), (2, 30)]
        assert log.epochs[1].accuracy == pytest.approx(0.7743)
    assert len(log.warnings) == 2 and "ran out of data" in log.warnings[1]
    assert filter_noise(err) == ""


def test_keras2_verbose2_epoch_lines():
    # Keras 2's verbose=2 format (TF 2.4-2.15), as in older course containers.
    out = (
        "Epoch 1/2\n600/600 - 5s - loss: 0.7312 - accuracy: 0.7954 - val_loss: 0.31 - val_accuracy: 0.91 - 5s/epoch - 8ms/step\n"
        "Epoch 2/2\n600/600 - 2s - loss: 0.2598 - accuracy: 0.9226 - val_loss: 0.21 - val_accuracy: 0.94 - 2s/epoch - 3ms/step\n"
        "313/313 - 1s - loss: 0.0962 - accuracy: 0.9704 - 741ms/epoch - 2ms/step\n"
    )
    log = parse_training_log(out)
    assert log.verbose == 2
    assert [(e.seconds, e.seconds_per_step, e.val_accuracy) for e in log.epochs] == [(5.0, 0.008, 0.91), (2.0, 0.003, 0.94)]
    assert log.test_accuracy == pytest.approx(0.9704) and log.test_accuracy_source == "evaluate"
