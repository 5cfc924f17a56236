"""dlcv.compression: int8 quantization equals Keras's, pruning zeroes the smallest
weights, the distillation loss equals Hinton et al.'s formula, and weight bytes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.compression import (
    dequantize_int8,
    distillation_loss,
    magnitude_prune,
    quantize_int8,
    weight_bytes,
)


def test_quantize_int8_hand_worked_per_tensor() -> None:
    # max |x| = 2, so the scale is 2 / 127 and x / scale = 127 * x / 2.
    x = np.array([[2.0, -1.0], [0.5, -0.01]])
    q, scale = quantize_int8(x)
    assert q.dtype == np.int8 and scale.shape == (1, 1)
    np.testing.assert_allclose(scale, 2 / 127, rtol=1e-7)
    # 127, -63.5 (ties to even: -64), 31.75 -> 32, -0.635 -> -1
    np.testing.assert_array_equal(q, [[127, -64], [32, -1]])
    np.testing.assert_allclose(dequantize_int8(q, scale), q * (2 / 127), rtol=1e-6)


def test_quantize_int8_per_channel_gives_each_channel_its_range() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)) * np.array([1e-3, 1e-1, 1.0, 10.0])
    q, scale = quantize_int8(x, channel_axis=-1)
    assert scale.shape == (1, 1, 4)
    # Each channel's largest magnitude maps to +-127, and the error is half a step.
    np.testing.assert_array_equal(np.abs(q).max(axis=(0, 1)), [127] * 4)
    error = np.abs(dequantize_int8(q, scale) - x)
    assert np.all(error <= scale / 2 * (1 + 1e-5))
    # One scale for the whole tensor loses the small channel entirely.
    q_tensor, _ = quantize_int8(x)
    assert np.all(q_tensor[..., 0] == 0)
    # A channel axis given from the front means the same.
    q_front, scale_front = quantize_int8(np.moveaxis(x, -1, 0), channel_axis=0)
    np.testing.assert_array_equal(np.moveaxis(q_front, 0, -1), q)
    np.testing.assert_allclose(scale_front.ravel(), scale.ravel())


# Keras 3.15's `quantize("int8")` reads the float kernel with np.array(variable), which
# NumPy 2 answers with this DeprecationWarning (TensorFlow's variables take no `copy`).
KERAS_COPY_WARNING = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def test_quantize_int8_of_zeros_is_zeros_with_scale_one() -> None:
    q, scale = quantize_int8(np.zeros((2, 3)), channel_axis=0)
    np.testing.assert_array_equal(q, 0)
    np.testing.assert_array_equal(scale, 1.0)


def test_quantize_int8_equals_keras_abs_max_quantize() -> None:
    x = np.random.default_rng(1).normal(size=(64, 32)).astype("float32")
    q, scale = quantize_int8(x, channel_axis=1)
    # Keras reduces over `axis` and returns the reciprocal scale, 127 / max|x|.
    keras_q, keras_scale = keras.quantizers.abs_max_quantize(x, axis=0)
    keras_q = np.asarray(keras_q)
    # Keras adds epsilon to max|x|, which can move a value sitting on a rounding tie.
    assert np.mean(keras_q == q) > 0.999
    assert np.abs(keras_q.astype(int) - q).max() <= 1
    np.testing.assert_allclose(np.asarray(keras_scale) * scale, 1.0, rtol=1e-5)


@KERAS_COPY_WARNING
def test_quantize_int8_equals_what_keras_int8_dense_stores() -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(7)])
    kernel = np.asarray(model.layers[0].kernel)
    model.quantize("int8", filters=lambda layer: isinstance(layer, keras.layers.Dense))
    layer = model.layers[0]
    q, scale = quantize_int8(kernel, channel_axis=-1)
    stored = np.asarray(layer.kernel)
    assert stored.dtype == np.int8
    assert np.mean(stored == q) > 0.99
    assert np.abs(stored.astype(int) - q).max() <= 1
    np.testing.assert_allclose(np.asarray(layer.kernel_scale) * scale[0], 1.0, rtol=1e-5)


def test_quantize_and_dequantize_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="non-empty array of finite numbers"):
        quantize_int8(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="non-empty array of finite numbers"):
        quantize_int8(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="must be an integer or None"):
        quantize_int8(np.ones((2, 2)), channel_axis=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be an axis of `x`"):
        quantize_int8(np.ones((2, 2)), channel_axis=2)
    with pytest.raises(TypeError, match="must be an array of integers"):
        dequantize_int8(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="positive, finite numbers"):
        dequantize_int8(np.ones(3, dtype=np.int8), 0.0)
    with pytest.raises(ValueError, match="must broadcast against `q`"):
        dequantize_int8(np.ones((2, 3), dtype=np.int8), np.ones((1, 2)))


def test_magnitude_prune_hand_worked() -> None:
    weights = np.array([[0.3, -0.05, 2.0], [-0.4, 0.1, -0.01]])
    pruned, mask = magnitude_prune(weights, 0.5)
    # The three smallest magnitudes are 0.01, 0.05 and 0.1.
    np.testing.assert_array_equal(mask, [[True, False, True], [True, False, False]])
    np.testing.assert_allclose(pruned, [[0.3, 0.0, 2.0], [-0.4, 0.0, 0.0]])


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9, 0.99])
def test_magnitude_prune_zeroes_exactly_the_smallest(sparsity: float) -> None:
    weights = np.random.default_rng(2).normal(size=(40, 25))
    pruned, mask = magnitude_prune(weights, sparsity)
    count = round(sparsity * weights.size)
    assert np.sum(~mask) == count
    assert np.count_nonzero(pruned) == weights.size - count
    # Every kept weight is at least as large as every removed one.
    assert np.abs(weights[mask]).min() >= np.abs(weights[~mask]).max()
    np.testing.assert_allclose(pruned[mask], weights[mask], rtol=1e-6)


def test_magnitude_prune_breaks_ties_to_zero_exactly_the_count() -> None:
    pruned, mask = magnitude_prune(np.ones(10), 0.3)
    assert np.sum(~mask) == 3 and np.count_nonzero(pruned) == 7


def test_magnitude_prune_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        magnitude_prune(np.ones(4), 1.0)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        magnitude_prune(np.ones(4), 0.0)
    with pytest.raises(TypeError, match="strictly between 0 and 1"):
        magnitude_prune(np.ones(4), "half")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        magnitude_prune(np.ones((0,)), 0.5)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    result: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return result


@pytest.mark.parametrize(
    ("temperature", "soft_weight"), [(1.0, 0.5), (4.0, 0.9), (20.0, 1.0), (3.0, 0.0)]
)
def test_distillation_loss_equals_hintons_formula(temperature: float, soft_weight: float) -> None:
    rng = np.random.default_rng(3)
    student = rng.normal(size=(6, 5)) * 3
    teacher = rng.normal(size=(6, 5)) * 3
    labels = rng.integers(0, 5, size=6)
    # Soft term: cross-entropy of the student's tempered softmax against the
    # teacher's, times T**2 [Hinton et al. 2015, sec. 2]; hard term at T = 1.
    p = _softmax(teacher / temperature)
    q = _softmax(student / temperature)
    soft = -(p * np.log(q)).sum(axis=1)
    hard = -np.log(_softmax(student)[np.arange(6), labels])
    expected = soft_weight * temperature**2 * soft + (1 - soft_weight) * hard
    loss = distillation_loss(
        labels,
        student.astype("float32"),
        teacher.astype("float32"),
        temperature=temperature,
        soft_weight=soft_weight,
    )
    np.testing.assert_allclose(np.asarray(loss), expected, rtol=1e-4, atol=1e-5)


def test_distillation_loss_soft_gradient_keeps_its_size_across_temperatures() -> None:
    # Hinton et al.: the soft targets' gradients scale as 1/T**2, hence the T**2
    # factor. With zero-mean logits and a high T, the scaled gradient tends to
    # (z - v) / N, whatever T is.
    rng = np.random.default_rng(4)
    v = rng.normal(size=(1, 10))
    v -= v.mean()
    z = rng.normal(size=(1, 10))
    z -= z.mean()
    limit = (z - v) / 10
    for temperature in (50.0, 200.0):
        student = keras.Variable(z.astype("float32"))
        with tf.GradientTape() as tape:
            loss = distillation_loss(
                np.array([0]),
                student,
                v.astype("float32"),
                temperature=temperature,
                soft_weight=1.0,
            )
        gradient = np.asarray(tape.gradient(loss, student.value))
        np.testing.assert_allclose(gradient, limit, rtol=0.05, atol=1e-4)


def test_distillation_loss_rejects_bad_arguments() -> None:
    logits = np.zeros((2, 3), dtype="float32")
    labels = np.zeros(2, dtype=int)
    with pytest.raises(ValueError, match="must be a positive number"):
        distillation_loss(labels, logits, logits, temperature=0.0)
    with pytest.raises(TypeError, match="must be a positive number"):
        distillation_loss(labels, logits, logits, temperature="hot")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a number from 0 to 1"):
        distillation_loss(labels, logits, logits, soft_weight=1.5)
    with pytest.raises(ValueError, match="must be a non-negative number"):
        distillation_loss(labels, logits, logits, soft_weight=-0.5)
    with pytest.raises(ValueError, match="same number of classes"):
        distillation_loss(labels, logits, np.zeros((2, 4), dtype="float32"))
    with pytest.raises(ValueError, match="must be of rank 2"):
        distillation_loss(labels, np.zeros(3), np.zeros(3))


@KERAS_COPY_WARNING
def test_weight_bytes_counts_each_dtype_size() -> None:
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(6), keras.layers.Dense(3)])
    floats = 10 * 6 + 6 + 6 * 3 + 3
    assert weight_bytes(model) == 4 * floats
    model.quantize("int8", filters=lambda layer: isinstance(layer, keras.layers.Dense))
    # int8 kernels (1 byte each), float32 biases and one float32 scale per unit.
    assert weight_bytes(model) == (10 * 6 + 6 * 3) + 4 * (6 + 3) + 4 * (6 + 3)


def test_weight_bytes_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="must be a Keras Model"):
        weight_bytes("model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be built"):
        weight_bytes(keras.Sequential([keras.layers.Dense(3)]))
