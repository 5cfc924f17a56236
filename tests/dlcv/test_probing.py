"""Tests for dlcv.probing: layer outputs, linear probes and parameter counts."""

import keras
import numpy as np
import pytest

from dlcv.probing import (
    ProbeResult,
    count_parameters,
    fit_linear_probe,
    layer_outputs,
    probe_layers,
)


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


# --- linear probes and parameter counts ---------------------------------------------------------


def _two_clusters(count, dimension, *, seed=0, spread=0.1):
    labels = np.arange(count) % 2
    noise = np.random.default_rng(seed).normal(0.0, spread, size=(count, dimension))
    return labels[:, np.newaxis] + noise, labels


def test_probe_separates_separable_features_and_flattens_them():
    features, labels = _two_clusters(60, 12)
    images = features.reshape(60, 2, 3, 2)  # any shape per example is flattened
    result = fit_linear_probe(images[:40], labels[:40], images[40:], labels[40:], name="toy")
    assert result == ProbeResult("toy", 12, 1.0, 1.0, True)


def test_probe_is_at_chance_on_features_unrelated_to_the_labels():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(400, 5))
    labels = rng.integers(0, 2, size=400)
    result = fit_linear_probe(features[:200], labels[:200], features[200:], labels[200:])
    assert 0.35 < result.test_accuracy < 0.65


def test_probe_reports_non_convergence_instead_of_warning():
    features, labels = _two_clusters(60, 30, spread=3.0)
    # pytest turns warnings into errors here, so a leaked ConvergenceWarning would fail.
    result = fit_linear_probe(
        features[:40], labels[:40], features[40:], labels[40:], regularization=1e-6, max_iter=1
    )
    assert result.converged is False


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"max_iter": 0}, ValueError, "`max_iter` must be a positive integer"),
        ({"regularization": 0.0}, ValueError, "`regularization` must be a positive number"),
        ({"regularization": float("nan")}, ValueError, "`regularization` must be a positive"),
        ({"name": ""}, ValueError, "`name` must be a non-empty string"),
    ],
)
def test_probe_rejects_bad_options(kwargs, error, phrase):
    features, labels = _two_clusters(20, 3)
    with pytest.raises(error, match=phrase):
        fit_linear_probe(features, labels, features, labels, **kwargs)


def test_probe_rejects_mismatched_data():
    features, labels = _two_clusters(20, 3)
    with pytest.raises(ValueError, match="`train_labels` must be as long as `train_features`"):
        fit_linear_probe(features, labels[:5], features, labels)
    with pytest.raises(ValueError, match="`test_features` must have as many values"):
        fit_linear_probe(features, labels, features[:, :2], labels)
    with pytest.raises(ValueError, match="must contain at least two classes"):
        fit_linear_probe(features, np.zeros(20), features, labels)
    with pytest.raises(ValueError, match="`test_features` must hold at least one example"):
        fit_linear_probe(features, labels, np.empty((0, 3)), np.empty(0))


def test_probe_layers_reads_every_layer_and_the_input(sequential):
    features, labels = _two_clusters(40, 6)
    results = probe_layers(sequential, features[:30], labels[:30], features[30:], labels[30:])
    assert [r.name for r in results] == ["input", "first", "drop", "last"]
    assert [r.dimension for r in results] == [6, 5, 5, 3]
    assert results[0].test_accuracy == 1.0
    without_input = probe_layers(
        sequential,
        features[:30],
        labels[:30],
        features[30:],
        labels[30:],
        layer_names=["last"],
        include_input=False,
    )
    assert [r.name for r in without_input] == ["last"]


def test_probe_layers_lists_the_real_layer_names(sequential):
    features, labels = _two_clusters(20, 6)
    with pytest.raises(ValueError, match="must name layers of the model") as info:
        probe_layers(sequential, features, labels, features, labels, layer_names=["nope"])
    assert "first, drop, last" in str(info.value)


def test_count_parameters(sequential):
    # first: 6*5 + 5, last: 5*3 + 3
    assert count_parameters(sequential) == 35 + 18
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()]
    )
    # BatchNormalization: gamma and beta train, the moving mean and variance do not.
    assert count_parameters(model) == 15 + 4 * 3
    assert count_parameters(model, trainable_only=True) == 15 + 2 * 3
    with pytest.raises(TypeError, match="`model` must be a Keras Model"):
        count_parameters(object())
    with pytest.raises(ValueError, match="`model` must be built"):
        count_parameters(keras.Sequential([keras.layers.Dense(2)]))
