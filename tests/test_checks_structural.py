"""Structural and baseline checks on hand-built model summaries."""

from exercises.schema import FrozenBackboneCheck
from grader.checks import CheckContext
from grader.checks.structural import frozen_backbone
from grader.report import LayerSummary, ModelSummary
from tests.checks_helpers import BASELINE_81, run, spec, summary


def test_baseline_itself_fails_changed_and_says_so():
    results = run("task8.1", summary=summary(BASELINE_81, [None, 28, 28, 1]))
    assert results["changed"].status == "failed"
    assert "62,346" in results["changed"].message and "6 layers" in results["changed"].message
    for check_id in ("input-shape", "output-shape", "softmax-output", "still-a-cnn", "size-sane"):
        assert results[check_id].status == "passed", results[check_id].message
        assert results[check_id].points == results[check_id].max_points
    assert results["changed"].points == 0 and results["changed"].max_points == 2
    assert results["accuracy"].status == "skipped"  # check mode never trains


def test_improved_model_reports_parameter_and_depth_change():
    improved = [
        ("Conv2D", [None, 28, 28, 32], 832, "relu"),
        ("MaxPooling2D", [None, 14, 14, 32], 0, None),
        ("Conv2D", [None, 14, 14, 64], 51264, "relu"),
        ("MaxPooling2D", [None, 7, 7, 64], 0, None),
        ("Dropout", [None, 7, 7, 64], 0, None),
        ("Flatten", [None, 3136], 0, None),
        ("Dense", [None, 10], 31370, "softmax"),
    ]
    result = run("task8.1", summary=summary(improved, [None, 28, 28, 1]))["changed"]
    assert result.status == "passed"
    assert "62,346 -> 83,466 (+21,120)" in result.message
    assert "depth 6 -> 7 layers (+1)" in result.message


def test_optimizer_change_alone_counts_as_a_change():
    compiled = summary(BASELINE_81, [None, 28, 28, 1]).model_copy(update={"optimizer": {"class_name": "Adam"}})
    result = run("task8.1", summary=compiled)["changed"]
    assert result.status == "passed" and "sgd -> adam" in result.message


def test_input_layer_entries_are_not_counted():
    layers = [("InputLayer", [None, 28, 28, 1], 0, None), *BASELINE_81]
    result = run("task8.1", summary=summary(layers, [None, 28, 28, 1]))["changed"]
    assert result.status == "failed"


def test_wrong_shapes_and_activation_give_want_and_got():
    flat = [("Dense", [None, 10], 7850, "sigmoid"), ("Dense", [None, 5], 55, None)]
    results = run("task8.1", summary=summary(flat, [None, 784]))
    assert results["input-shape"].status == "failed"
    assert results["input-shape"].expected == [None, 28, 28, 1]  # shapes stay lists in the JSON
    assert results["input-shape"].actual == [None, 784]
    assert "(None, 784), expected (None, 28, 28, 1)" in results["input-shape"].message
    assert results["output-shape"].actual == [None, 5]
    assert results["softmax-output"].status == "failed" and results["softmax-output"].actual == "linear"
    assert results["still-a-cnn"].status == "failed" and results["still-a-cnn"].actual == 0


def test_exact_parameter_count_of_the_chapter_7_model():
    good = summary([("Dense", [None, 10], 7850, "sigmoid"), ("Dense", [None, 10], 110, "softmax")], [None, 784])
    assert run("task7.2", summary=good)["the-chapter-model"].status == "passed"
    bigger = summary([("Dense", [None, 64], 50240, "relu"), ("Dense", [None, 10], 650, "softmax")], [None, 784])
    result = run("task7.2", summary=bigger)["the-chapter-model"]
    assert result.status == "failed" and "+42,930" in result.message
    assert result.expected == "7,960" and result.actual == 50890


def test_trailing_softmax_layer_counts_as_softmax_output():
    layers = [("Dense", [None, 10], 7850, None), ("Activation", [None, 10], 0, "softmax")]
    assert run("task7.3", summary=summary(layers, [None, 784]))["softmax-output"].status == "passed"


def test_missing_summary_is_not_checked_once_not_the_reason_again():
    """The pipeline's model-builds row says why; the dependent checks only say "not checked"."""
    results = run("task8.1", model_error="model.py line 4: SyntaxError: invalid syntax")
    for check_id in ("input-shape", "changed", "size-sane", "still-a-cnn"):
        assert results[check_id].status == "skipped"
        assert results[check_id].message.startswith("not checked")
        assert "SyntaxError" not in results[check_id].message


def mobilenet(frozen: bool, head_params: int = 12810) -> ModelSummary:
    backbone_params = 2257984
    layers = [
        LayerSummary(
            name="mobilenetv2_1.00_96",
            class_name="Functional",
            output_shape=[None, 3, 3, 1280],
            params=backbone_params,
            trainable_params=0 if frozen else 2223872,
            trainable=not frozen,
            sublayers=154,
            frozen_sublayers=154 if frozen else 0,
        ),
        LayerSummary(name="gap", class_name="GlobalAveragePooling2D", output_shape=[None, 1280]),
        LayerSummary(name="head", class_name="Dense", output_shape=[None, 10], params=head_params, trainable_params=head_params, activation="softmax"),
    ]
    trainable = head_params + (0 if frozen else 2223872)
    total = backbone_params + head_params
    return ModelSummary(
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        input_shape=[None, 96, 96, 3],
        output_shape=[None, 10],
        layers=layers,
    )


def test_frozen_mobilenet_passes_with_the_books_figures():
    model = mobilenet(frozen=True)
    assert model.total_params == 2270794
    results = run("task8.5", summary=model)
    assert results["frozen-backbone"].status == "passed"
    assert "12,810 trainable" in results["frozen-backbone"].message
    assert all(results[c].status == "passed" for c in ("input-shape", "output-shape", "softmax-output"))


def test_unfrozen_backbone_fails_with_the_fix():
    result = run("task8.5", summary=mobilenet(frozen=False))["frozen-backbone"]
    assert result.status == "failed" and "base.trainable = False" in result.message
    assert "0/154 layers frozen" in result.actual


def test_frozen_backbone_with_a_huge_head_fails_the_bound():
    result = run("task8.5", summary=mobilenet(frozen=True, head_params=500000))["frozen-backbone"]
    assert result.status == "failed" and "500,000" in result.message


def test_frozen_backbone_needs_a_nested_model_and_honours_a_name():
    flat = summary([("Conv2D", [None, 94, 94, 8], 224, "relu"), ("Flatten", [None, 70688], 0, None), ("Dense", [None, 10], 706890, "softmax")], [None, 96, 96, 3])
    assert run("task8.5", summary=flat)["frozen-backbone"].status == "failed"
    named = FrozenBackboneCheck(id="fb", kind="frozen_backbone", backbone="resnet")
    ctx = CheckContext(spec=spec("task8.5"), submission=".", mode="check", summary=mobilenet(True))
    assert "no layer named resnet*" in frozen_backbone(named, ctx).message


def test_a_crashing_check_becomes_an_error_row(monkeypatch):
    from grader.checks.registry import check_functions

    def broken(check, ctx):
        raise KeyError("boom")

    monkeypatch.setitem(check_functions(), "input_shape", broken)
    results = run("task8.1", summary=summary(BASELINE_81, [None, 28, 28, 1]))
    assert results["input-shape"].status == "error" and "KeyError" in results["input-shape"].message
    assert results["output-shape"].status == "passed"  # the others still ran


def test_a_3d_input_to_dense_is_named_as_the_cause_not_the_unit_count():
    """keras.Input(shape=(28, 28)) in task 7.3: the output is (None, 28, 10) although the last
    layer has 10 units; the advice is to flatten the input, not to change the units."""
    layers = [("Dense", [None, 28, 64], 1856, "relu"), ("Dense", [None, 28, 10], 650, "softmax")]
    results = run("task7.3", summary=summary(layers, [None, 28, 28]))
    out = results["output-shape"]
    assert out.status == "failed"
    assert "keras.Input(shape=(784,))" in out.message and "Flatten()" in out.message
    assert "one unit per class" not in out.message
    assert "keras.Input(shape=(784,))" in results["input-shape"].message
    wrong_units = [("Dense", [None, 64], 50240, "relu"), ("Dense", [None, 5], 325, "softmax")]
    assert "one unit per class" in run("task7.3", summary=summary(wrong_units, [None, 784]))["output-shape"].message
