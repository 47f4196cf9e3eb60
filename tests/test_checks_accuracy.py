"""min_accuracy: computed from predictions vs labels in the trusted parent."""

import numpy as np
import pytest

from grader.checks import Evaluation
from grader.checks.accuracy import wilson_interval
from tests.checks_helpers import run

LABELS = np.arange(10000) % 10


def predictions(correct: int, n: int = 10000) -> np.ndarray:
    predicted = LABELS[:n].copy()
    predicted[correct:] = (predicted[correct:] + 1) % 10
    return predicted


def test_full_test_set_accuracy_passes_and_fails_on_the_bound():
    good = run("task8.1", mode="grade", evaluation=Evaluation(predicted=predictions(9800), labels=LABELS))
    assert good["accuracy"].status == "passed" and good["accuracy"].actual == "0.9800"
    assert good["accuracy"].points == 3
    low = run("task8.1", mode="grade", evaluation=Evaluation(predicted=predictions(9704), labels=LABELS))
    assert low["accuracy"].status == "failed" and "0.9704" in low["accuracy"].message
    assert low["accuracy"].expected == ">= 0.975"


def test_subset_reports_its_size_and_a_wilson_interval():
    result = run(
        "task8.5",
        mode="grade",
        evaluation=Evaluation(predicted=predictions(950, 1000), labels=LABELS[:1000], subset=1000),
    )["accuracy"]
    assert result.status == "passed"
    assert "first 1,000 test images" in result.message and "95 % interval 0.935-0.962" in result.message


def test_wilson_interval_known_values():
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(950, 1000)
    assert (low, high) == (pytest.approx(0.9347, abs=1e-4), pytest.approx(0.9619, abs=1e-4))


def test_no_artifact_fails_with_the_command_that_makes_one():
    cpu = run("task8.1", mode="grade")["accuracy"]
    assert cpu.status == "missing" and "`tutor train task8.1`" in cpu.message
    gpu = run("task8.5", mode="grade")["accuracy"]
    assert gpu.status == "missing" and "`tutor submit task8.5`" in gpu.message
    told = run("task8.1", mode="grade", artifact_error="model.keras is empty")["accuracy"]
    assert told.message.startswith("model.keras is empty") and "tutor train task8.1" in told.message


def test_mismatched_prediction_count_is_an_error():
    result = run("task8.1", mode="grade", evaluation=Evaluation(predicted=predictions(10, 10), labels=LABELS))
    assert result["accuracy"].status == "error" and "10 predictions for 10000" in result["accuracy"].message


def test_confusion_matrix_rows_are_the_true_class():
    import numpy as np

    from grader.checks.accuracy import confusion_of
    from grader.checks.context import Evaluation

    evaluation = Evaluation(predicted=np.array([0, 1, 1, 2, 2, 2]), labels=np.array([0, 1, 2, 2, 2, 0]))
    assert confusion_of(evaluation, 3) == [[1, 0, 1], [0, 1, 0], [0, 1, 2]]
    assert confusion_of(Evaluation(predicted=np.array([5]), labels=np.array([0])), 3) is None
