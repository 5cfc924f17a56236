"""Tests for dlcv.inspect."""

import keras
import numpy as np
import pytest

from dlcv.inspect import layer_outputs


@pytest.fixture(scope="module")
def sequential():
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(5, activation="relu", name="first"),
            keras.layers.Dropout(0.5, name="drop"),
            keras.layers.Dense(3, activation="softmax", name="last"),
        ],
        name="tiny",
    )


@pytest.fixture(scope="module")
def inputs():
    return np.random.default_rng(0).normal(size=(10, 6)).astype("float32")


def test_default_is_every_layer_in_model_order(sequential, inputs):
    outputs = layer_outputs(sequential, inputs, batch_size=4)
    assert list(outputs) == ["first", "drop", "last"]
    assert outputs["first"].shape == (10, 5)
    assert outputs["last"].shape == (10, 3)
    assert all(isinstance(value, np.ndarray) for value in outputs.values())


def test_outputs_match_a_manual_computation(sequential, inputs):
    outputs = layer_outputs(sequential, inputs, batch_size=3)
    kernel, bias = sequential.get_layer("first").get_weights()
    hidden = np.maximum(inputs @ kernel, -bias) + bias
    np.testing.assert_allclose(outputs["first"], hidden, rtol=1e-5, atol=1e-6)
    # Inference mode: dropout passes its input through unchanged.
    np.testing.assert_array_equal(outputs["drop"], outputs["first"])
    np.testing.assert_allclose(
        outputs["last"], sequential.predict(inputs, verbose=0), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(outputs["last"].sum(axis=1), 1.0, rtol=1e-5)


def test_chosen_layers_keep_the_requested_order(sequential, inputs):
    outputs = layer_outputs(sequential, inputs, layer_names=["last", "first"])
    assert list(outputs) == ["last", "first"]


def test_functional_model_matches_an_intermediate_model(inputs):
    keras.utils.set_random_seed(1)
    x = keras.Input((6,), name="pixels")
    h = keras.layers.Dense(4, activation="tanh", name="hidden")(x)
    y = keras.layers.Dense(2, name="scores")(h)
    model = keras.Model(x, y)
    outputs = layer_outputs(model, inputs)
    assert list(outputs) == ["hidden", "scores"]  # the InputLayer is skipped
    manual = keras.Model(x, model.get_layer("hidden").output)
    np.testing.assert_allclose(outputs["hidden"], manual(inputs), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs["scores"], model(inputs), rtol=1e-5, atol=1e-6)


def test_multi_input_model(inputs):
    a = keras.Input((6,), name="a")
    b = keras.Input((2,), name="b")
    joined = keras.layers.Concatenate(name="joined")([a, b])
    model = keras.Model([a, b], keras.layers.Dense(1, name="out")(joined))
    extra = np.ones((10, 2), dtype="float32")
    outputs = layer_outputs(model, [inputs, extra], layer_names=["joined"], batch_size=4)
    np.testing.assert_allclose(outputs["joined"], np.concatenate([inputs, extra], axis=1))


def test_unknown_layer_names_list_the_real_ones(sequential, inputs):
    with pytest.raises(ValueError, match="`layer_names` must name layers of the model") as info:
        layer_outputs(sequential, inputs, layer_names=["first", "missing"])
    message = str(info.value)
    assert "first, drop, last" in message
    assert "'missing'" in message


def test_bad_model_and_batch_size(sequential, inputs):
    with pytest.raises(TypeError, match="`model` must be a Keras Model"):
        layer_outputs("model", inputs)
    with pytest.raises(ValueError, match="`batch_size` must be a positive integer"):
        layer_outputs(sequential, inputs, batch_size=0)
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="`model` must have defined inputs"):
        layer_outputs(unbuilt, inputs)
