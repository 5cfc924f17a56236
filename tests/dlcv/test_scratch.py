"""Tests for dlcv.scratch: the from-scratch layers agree with Keras, tf.nn and tf.GradientTape."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.scratch import (
    average_pool2d,
    conv2d,
    dense,
    init_mlp_params,
    manual_gradients,
    max_pool2d,
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


# --- Convolution and pooling --------------------------------------------------------------------

KERNEL_SIZES = [(1, 1), (2, 2), (3, 3), (5, 5), (3, 1), (1, 3), (2, 5), (4, 3)]
STRIDES_AND_DILATIONS = [(1, 1), (2, 1), ((1, 3), 1), (1, 2), (1, (3, 1)), (2, 2), ((2, 3), (2, 1))]


def _random_conv_case(seed, kernel_size, strides, dilation):
    rng = np.random.default_rng(seed)
    dilation_hw = (dilation, dilation) if isinstance(dilation, int) else dilation
    spans = [(k - 1) * d + 1 for k, d in zip(kernel_size, dilation_hw, strict=True)]
    # At least as large as the dilated kernel, so that "valid" has an output too.
    height, width = (int(rng.integers(span, span + 12)) for span in spans)
    channels_in, channels_out = int(rng.integers(1, 5)), int(rng.integers(1, 6))
    x = rng.normal(size=(int(rng.integers(1, 4)), height, width, channels_in))
    kernel = rng.normal(size=(*kernel_size, channels_in, channels_out))
    return x.astype("float32"), kernel.astype("float32")


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize(("strides", "dilation"), STRIDES_AND_DILATIONS)
@pytest.mark.parametrize("kernel_size", KERNEL_SIZES)
def test_conv2d_equals_tf_nn_conv2d(kernel_size, strides, dilation, padding):
    seed = KERNEL_SIZES.index(kernel_size) * 100 + STRIDES_AND_DILATIONS.index((strides, dilation))
    x, kernel = _random_conv_case(seed, kernel_size, strides, dilation)
    ours = conv2d(x, kernel, strides=strides, padding=padding, dilation=dilation)
    theirs = tf.nn.conv2d(x, kernel, strides, padding.upper(), dilations=dilation)
    assert ours.shape == theirs.shape
    assert ours.dtype == tf.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=1e-5)


def test_conv2d_same_padding_puts_the_odd_pixel_at_the_bottom_and_right():
    # A 1x2 kernel [1, 10] on the row 1 2 3 4: "same" needs one pixel of padding in total, and
    # TensorFlow puts it after the row, so the last output sees 4 and a padded zero.
    x = tf.reshape(tf.constant([1.0, 2.0, 3.0, 4.0]), (1, 1, 4, 1))
    kernel = tf.reshape(tf.constant([1.0, 10.0]), (1, 2, 1, 1))
    ours = conv2d(x, kernel, padding="SAME")[0, 0, :, 0].numpy()
    np.testing.assert_array_equal(ours, [21.0, 32.0, 43.0, 4.0])
    np.testing.assert_array_equal(ours, tf.nn.conv2d(x, kernel, 1, "SAME")[0, 0, :, 0].numpy())


def test_conv2d_does_not_flip_the_kernel():
    # Cross-correlation: a kernel with a single 1 at tap (0, 0) reads the top-left neighbour.
    x = tf.reshape(tf.range(9.0), (1, 3, 3, 1))
    kernel = np.zeros((2, 2, 1, 1), dtype="float32")
    kernel[0, 0] = 1.0
    np.testing.assert_array_equal(conv2d(x, kernel)[0, :, :, 0].numpy(), [[0, 1], [3, 4]])


def test_conv2d_gradients_equal_tf_nn_conv2d_gradients():
    x, kernel = _random_conv_case(7, (3, 3), 2, 1)
    x, kernel = tf.Variable(x), tf.Variable(kernel)
    results = []
    for function in (
        lambda: conv2d(x, kernel, strides=2, padding="same"),
        lambda: tf.nn.conv2d(x, kernel, 2, "SAME"),
    ):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.sin(function()))
        results.append([g.numpy() for g in tape.gradient(loss, [x, kernel])])
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4)


def test_conv2d_in_float64_and_in_a_tf_function_with_unknown_batch():
    x, kernel = _random_conv_case(3, (3, 2), 1, 2)
    ours = conv2d(x.astype("float64"), kernel.astype("float64"), dilation=2, padding="same")
    theirs = tf.nn.conv2d(x.astype("float64"), kernel.astype("float64"), 1, "SAME", dilations=2)
    assert ours.dtype == tf.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=1e-10)
    spec = tf.TensorSpec((None, *x.shape[1:]), tf.float32)
    compiled = tf.function(
        lambda images: conv2d(images, kernel, dilation=2), input_signature=[spec]
    )
    np.testing.assert_allclose(
        compiled(x).numpy(), tf.nn.conv2d(x, kernel, 1, "VALID", dilations=2), atol=1e-5
    )


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [None, 1, 2, (1, 2), (3, 2)])
@pytest.mark.parametrize("pool_size", [1, 2, 3, (2, 3)])
def test_pooling_equals_tf_nn_pooling(pool_size, strides, padding):
    # Negative values too, so that a padded zero would win a max or shift a mean.
    x = np.random.default_rng(1).normal(size=(2, 7, 8, 3)).astype("float32") - 1.0
    steps = pool_size if strides is None else strides
    for ours, theirs in [
        (max_pool2d, tf.nn.max_pool2d),
        (average_pool2d, tf.nn.avg_pool2d),
    ]:
        result = ours(x, pool_size=pool_size, strides=strides, padding=padding)
        expected = theirs(x, pool_size, steps, padding.upper())
        assert result.shape == expected.shape
        np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=0, atol=1e-6)


def test_conv2d_rejects_bad_shapes_and_dtypes():
    kernel = tf.zeros((3, 3, 2, 4))
    with pytest.raises(ValueError, match="`x` must be a tensor of rank 4"):
        conv2d(tf.zeros((8, 8, 2)), kernel)
    with pytest.raises(ValueError, match="`kernel` must be a tensor of rank 4"):
        conv2d(tf.zeros((1, 8, 8, 2)), tf.zeros((3, 3, 2)))
    with pytest.raises(ValueError, match="as many input channels"):
        conv2d(tf.zeros((1, 8, 8, 3)), kernel)
    with pytest.raises(TypeError, match="floating-point"):
        conv2d(tf.zeros((1, 8, 8, 2)), tf.zeros((3, 3, 2, 4), dtype=tf.int32))
    unknown = tf.TensorSpec((1, None, 8, 2), tf.float32)
    with pytest.raises(ValueError, match="known, positive height and width"):
        tf.function(lambda x: conv2d(x, kernel), input_signature=[unknown]).get_concrete_function()


def test_conv2d_rejects_bad_strides_dilation_and_padding():
    x, kernel = tf.zeros((1, 8, 8, 2)), tf.zeros((3, 3, 2, 4))
    for bad, error in [(0, ValueError), (-1, ValueError), (1.5, TypeError), ((1, 0), ValueError)]:
        with pytest.raises(error, match="must be a positive integer"):
            conv2d(x, kernel, strides=bad)
        with pytest.raises(error, match="must be a positive integer"):
            conv2d(x, kernel, dilation=bad)
    with pytest.raises(ValueError, match=r"a \(height, width\) pair of them"):
        conv2d(x, kernel, strides=(1, 2, 3))
    with pytest.raises(ValueError, match="`padding` must be one of 'valid', 'same'"):
        conv2d(x, kernel, padding="full")


def test_a_kernel_larger_than_the_input_needs_same_padding():
    x = tf.zeros((1, 5, 5, 1))
    with pytest.raises(ValueError, match="must fit inside `x` when padding='valid'"):
        conv2d(x, tf.zeros((6, 1, 1, 1)))
    # Three taps two pixels apart span 5 pixels and fit; three pixels apart span 7 and do not.
    assert conv2d(x, tf.zeros((3, 3, 1, 1)), dilation=2).shape == (1, 1, 1, 1)
    with pytest.raises(ValueError, match="it spans 7x7 pixels"):
        conv2d(x, tf.zeros((3, 3, 1, 1)), dilation=3)
    assert conv2d(x, tf.zeros((3, 3, 1, 1)), dilation=3, padding="same").shape == (1, 5, 5, 1)


def test_pooling_rejects_bad_arguments():
    x = tf.zeros((1, 4, 4, 1))
    for pool in (max_pool2d, average_pool2d):
        with pytest.raises(ValueError, match="`pool_size` must be a positive integer"):
            pool(x, pool_size=0)
        with pytest.raises(ValueError, match="`strides` must be a positive integer"):
            pool(x, pool_size=2, strides=0)
        with pytest.raises(ValueError, match="`pool_size` must fit inside `x`"):
            pool(x, pool_size=5)
        with pytest.raises(TypeError, match="floating-point"):
            pool(tf.zeros((1, 4, 4, 1), dtype=tf.int32), pool_size=2)
        with pytest.raises(ValueError, match="must be one of"):
            pool(x, pool_size=2, padding="causal")
