"""Tests for dlcv.scratch: the from-scratch network agrees with Keras and with tf.GradientTape."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.scratch import (
    dense,
    init_mlp_params,
    manual_gradients,
    mlp_forward,
    relu,
    sgd_step,
    softmax,
    sparse_softmax_cross_entropy,
)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 6))
    labels = rng.integers(0, 4, size=12)
    return x, labels


def test_predictions_equal_an_equivalent_keras_model(batch):
    x, _ = batch
    x = x.astype("float32")
    params = init_mlp_params([6, 8, 5, 4], seed=1)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.set_weights([variable.numpy() for pair in params for variable in pair])
    ours = softmax(mlp_forward(x, params)).numpy()
    theirs = model.predict(x, verbose=0)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)


def test_manual_gradients_equal_gradient_tape_in_float64(batch):
    x, labels = batch
    params = init_mlp_params([6, 7, 4], seed=2, dtype="float64")
    # Non-zero biases, so that their gradients are tested through every path.
    for _, bias in params:
        bias.assign(np.linspace(-0.3, 0.3, bias.shape[0]))
    with tf.GradientTape() as tape:
        loss = sparse_softmax_cross_entropy(labels, mlp_forward(x, params))
    expected = tape.gradient(loss, params)
    ours = manual_gradients(x, labels, params)
    for (kernel, bias), (kernel_tape, bias_tape) in zip(ours, expected, strict=True):
        assert kernel.dtype == tf.float64
        np.testing.assert_allclose(kernel.numpy(), kernel_tape.numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(bias.numpy(), bias_tape.numpy(), rtol=0, atol=1e-6)


def test_cross_entropy_equals_keras_and_survives_large_logits(batch):
    _, labels = batch
    logits = np.random.default_rng(3).normal(scale=3.0, size=(12, 4)).astype("float32")
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)
    ours = sparse_softmax_cross_entropy(labels, logits)
    np.testing.assert_allclose(float(ours), float(expected), rtol=1e-6)
    huge = tf.constant([[1000.0, 0.0], [0.0, 1000.0]])
    assert float(sparse_softmax_cross_entropy(tf.constant([0, 0]), huge)) == pytest.approx(500.0)
    np.testing.assert_allclose(softmax(huge).numpy(), [[1.0, 0.0], [0.0, 1.0]])


def test_dense_and_relu_compute_the_layer_formula():
    x = np.array([[1.0, -2.0]], dtype="float32")
    kernel = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float32")
    bias = np.array([10.0, 0.0, -10.0], dtype="float32")
    np.testing.assert_array_equal(dense(x, kernel, bias).numpy(), [[3.0, -8.0, -19.0]])
    np.testing.assert_array_equal(dense(x, kernel, bias, activation=relu).numpy(), [[3, 0, 0]])


def test_sgd_step_lowers_the_loss_and_works_in_a_tf_function(batch):
    x, labels = batch
    x = x.astype("float32")
    params = init_mlp_params([6, 8, 4], seed=0)
    step = tf.function(sgd_step)
    losses = [float(step(x, labels, params, learning_rate=0.5)) for _ in range(20)]
    assert losses[-1] < losses[0]
    # Plain SGD: the kernel moved by exactly -learning_rate times the tape's gradient.
    before = [variable.numpy() for pair in params for variable in pair]
    with tf.GradientTape() as tape:
        loss = sparse_softmax_cross_entropy(labels, mlp_forward(x, params))
    gradients = [g.numpy() for pair in tape.gradient(loss, params) for g in pair]
    sgd_step(x, labels, params, learning_rate=0.1)
    after = [variable.numpy() for pair in params for variable in pair]
    for old, new, gradient in zip(before, after, gradients, strict=True):
        np.testing.assert_allclose(new, old - 0.1 * gradient, rtol=1e-5, atol=1e-7)


def test_init_is_seeded_glorot_uniform_with_zero_bias():
    first = init_mlp_params([64, 32, 10], seed=5)
    again = init_mlp_params([64, 32, 10], seed=5)
    other = init_mlp_params([64, 32, 10], seed=6)
    np.testing.assert_array_equal(first[0][0].numpy(), again[0][0].numpy())
    assert not np.array_equal(first[0][0].numpy(), other[0][0].numpy())
    limit = np.sqrt(6.0 / (64 + 32))
    assert np.abs(first[0][0].numpy()).max() <= limit
    assert np.abs(first[0][0].numpy()).max() > 0.9 * limit
    np.testing.assert_array_equal(first[1][1].numpy(), np.zeros(10))
    assert init_mlp_params([3, 2], seed=0, dtype="float64")[0][0].dtype == tf.float64


@pytest.mark.parametrize(
    ("sizes", "error", "phrase"),
    [
        ([64], ValueError, "at least two layer widths"),
        ("64", TypeError, "sequence of layer widths"),
        ([64, 0, 10], ValueError, "must be a positive integer"),
        ([64, 2.5], TypeError, "must be a positive integer"),
    ],
)
def test_init_rejects_bad_sizes(sizes, error, phrase):
    with pytest.raises(error, match=phrase):
        init_mlp_params(sizes, seed=0)


def test_init_rejects_bad_seed_and_dtype():
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        init_mlp_params([2, 2], seed=-1)
    with pytest.raises(ValueError, match="must be one of"):
        init_mlp_params([2, 2], seed=0, dtype="float16")


def test_dense_rejects_shapes_that_do_not_fit():
    kernel, bias = tf.zeros((3, 2)), tf.zeros(2)
    with pytest.raises(ValueError, match="must be a tensor of rank 2"):
        dense(tf.zeros(3), kernel, bias)
    with pytest.raises(ValueError, match="as many rows as `x` has columns"):
        dense(tf.zeros((1, 4)), kernel, bias)
    with pytest.raises(ValueError, match="one entry per column of `kernel`"):
        dense(tf.zeros((1, 3)), kernel, tf.zeros(3))
    with pytest.raises(TypeError, match="must be a callable or None"):
        dense(tf.zeros((1, 3)), kernel, bias, activation="relu")


def test_bad_params_are_named():
    with pytest.raises(ValueError, match="non-empty sequence of"):
        mlp_forward(tf.zeros((1, 3)), [])
    with pytest.raises(TypeError, match="non-empty sequence of"):
        mlp_forward(tf.zeros((1, 3)), [(tf.zeros((3, 2)),)])
    mismatched = [(tf.zeros((3, 2)), tf.zeros(2)), (tf.zeros((4, 1)), tf.zeros(1))]
    with pytest.raises(ValueError, match="as many rows as the previous kernel"):
        mlp_forward(tf.zeros((1, 3)), mismatched)
    three_layers = init_mlp_params([3, 2, 2, 2], seed=0)
    with pytest.raises(ValueError, match="exactly two"):
        manual_gradients(tf.zeros((1, 3)), tf.constant([0]), three_layers)


def test_bad_labels_and_learning_rate_are_named():
    logits = tf.zeros((2, 3))
    with pytest.raises(TypeError, match="integer class indices"):
        sparse_softmax_cross_entropy(tf.constant([0.0, 1.0]), logits)
    with pytest.raises(ValueError, match="one class index per row"):
        sparse_softmax_cross_entropy(tf.constant([0, 1, 2]), logits)
    params = init_mlp_params([3, 2], seed=0)
    for bad, error in [(0.0, ValueError), (float("nan"), ValueError), ("0.1", TypeError)]:
        with pytest.raises(error, match="must be a positive number"):
            sgd_step(tf.zeros((2, 3)), tf.constant([0, 1]), params, learning_rate=bad)
    constants = [(tf.zeros((3, 2)), tf.zeros(2))]
    with pytest.raises(TypeError, match=r"must hold tf\.Variable objects"):
        sgd_step(tf.zeros((2, 3)), tf.constant([0, 1]), constants, learning_rate=0.1)
