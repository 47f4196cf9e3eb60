"""The model config is screened as data before Keras deserialises anything (both formats)."""

from __future__ import annotations

import json

import pytest

from grader.evaluator.screen import compile_facts, screen
from grader.sandbox.protocol import JobFailure

KNOWN = {"InputLayer", "Conv2D", "Dense", "Flatten", "Lambda", "StringLookup", "TFSMLayer",
         "Sequential", "Functional", "Model"}


def sequential(*layers: dict) -> dict:
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"name": "input_1", "batch_input_shape": [None, 28, 28, 1]}},
        *layers,
        {"class_name": "Dense", "config": {"name": "dense", "units": 10, "activation": "softmax"}},
    ]}}


def refused(config: dict) -> str:
    with pytest.raises(JobFailure) as caught:
        screen(config, "model.keras", known=KNOWN)
    reason = str(caught.value)
    assert "\n" not in reason
    return reason


def test_a_keras2_hdf5_config_of_builtin_layers_passes():
    screen(sequential({"class_name": "Conv2D", "config": {"name": "conv2d", "filters": 32,
                       "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}}}}),
           "model.keras", known=KNOWN)


def test_a_keras2_lambda_with_marshalled_bytecode_is_refused_naming_the_layer():
    lam = {"class_name": "Lambda", "config": {"name": "times_two", "function": ["4wEAAAAAAAAA", None, None],
                                              "function_type": "lambda"}}
    reason = refused(sequential(lam))
    assert "Lambda layer 'times_two'" in reason and "safe mode" in reason


def test_a_custom_layer_is_refused_by_name_even_nested_in_a_submodel():
    inner = {"class_name": "Functional", "config": {"name": "backbone", "layers": [
        {"class_name": "Doubler", "config": {"name": "doubler"}}]}}
    assert "'Doubler' (layer 'doubler'), a custom layer" in refused(sequential(inner))
    assert "student>Doubler" in refused(sequential({"class_name": "Dense", "registered_name": "student>Doubler",
                                                    "config": {"name": "d2", "units": 3}}))


def test_a_function_from_outside_keras_is_refused():
    dense = {"class_name": "Dense", "module": "keras.layers", "config": {
        "name": "dense_x", "units": 3,
        "activation": {"module": "builtins", "class_name": "function", "config": "exec", "registered_name": "function"}}}
    reason = refused(sequential(dense))
    assert "layer 'dense_x' (Dense)" in reason and "a Python function from outside Keras" in reason
    injected = {"class_name": "Dense", "module": "os", "config": {"name": "d", "units": 3}}
    assert "'os'" in refused(sequential(injected))


def test_layers_that_load_external_files_are_refused():
    vocab = {"class_name": "StringLookup", "config": {"name": "words", "vocabulary": "/etc/passwd"}}
    assert "loads the external file '/etc/passwd'" in refused(sequential(vocab))
    assert "external file" in refused(sequential({"class_name": "TFSMLayer", "config": {"name": "sm"}}))


def test_something_that_is_no_model_is_refused():
    assert "not a Keras model" in refused({"class_name": "Adam", "config": {}})


def test_a_subclassed_model_is_refused_saying_how_to_build_it_instead():
    # what Keras 3 writes for an unregistered keras.Model subclass: only its class name
    subclassed = {"class_name": "TinyNet", "module": None, "registered_name": "TinyNet",
                  "config": {"name": "tiny_net", "trainable": True}}
    reason = refused(subclassed)
    assert "subclassed model (class TinyNet)" in reason and "keras.Sequential" in reason


def test_a_students_loss_in_the_compile_config_is_data_not_a_refusal():
    # compile=False never deserialises the compile config; its loss is only reported by name
    model = sequential()
    model["compile_config"] = {"loss": {"module": "builtins", "class_name": "function", "config": "zoo>zoo_loss",
                                        "registered_name": "function"}, "optimizer": "sgd"}
    screen(model, "model.keras", known=KNOWN)
    assert compile_facts(model["compile_config"]) == ({"class_name": "sgd"}, "zoo>zoo_loss")
    model["config"]["layers"][1]["registered_name"] = "zoo>Doubler"  # the architecture stays screened
    assert "zoo>Doubler" in refused(model)


def test_compile_facts_from_both_formats():
    keras2 = json.loads('{"loss": "categorical_crossentropy", "optimizer_config": {"class_name": "Custom>Adam", "config": {}}}')
    assert compile_facts(keras2) == ({"class_name": "Adam", "config": {}}, "categorical_crossentropy")
    keras3 = {"optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {}}, "loss": "mse"}
    assert compile_facts(keras3)[0]["class_name"] == "SGD"
    assert compile_facts(None) == (None, None)


def test_hdf5_files_that_point_outside_themselves_are_refused(tmp_path):
    import h5py
    import numpy as np

    from grader.evaluator.screen import read_config

    config = json.dumps(sequential())
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(16, dtype=np.float32).tobytes())
    with h5py.File(tmp_path / "ext.h5", "w") as f:
        f.attrs["model_config"] = config
        f.create_dataset("kernel", shape=(16,), dtype="float32", external=[(str(secret), 0, 64)])
    with h5py.File(tmp_path / "link.h5", "w") as f:
        f.attrs["model_config"] = config
        f["model_weights"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/")
    with h5py.File(tmp_path / "weights.h5", "w") as f:
        f.create_dataset("kernel", data=np.zeros(3))
    with pytest.raises(JobFailure, match="stored in .*secret.bin"):
        read_config(tmp_path / "ext.h5", "hdf5", "model.keras")
    with pytest.raises(JobFailure, match="external link to .*other.h5"):
        read_config(tmp_path / "link.h5", "hdf5", "model.keras")
    with pytest.raises(JobFailure, match="weights only"):
        read_config(tmp_path / "weights.h5", "hdf5", "model.keras")
    (tmp_path / "ok.h5").write_bytes(b"")
    with h5py.File(tmp_path / "ok.h5", "w") as f:
        f.attrs["model_config"] = config
        f.create_dataset("model_weights/dense/kernel", data=np.zeros(3))
    assert read_config(tmp_path / "ok.h5", "hdf5", "model.keras")[0]["class_name"] == "Sequential"
