"""The update rules of `dlcv.optimizers` equal Keras's optimizers step for step, and the
schedule equals Keras's `CosineDecay` with warm-up."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.optimizers import adam_update, adamw_update, sgd_update, warmup_cosine_decay

STEPS = 50


def _gradients(shape=(3, 4), steps=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    # Gradients of different sizes per step, so that Adam's moving averages matter.
    return [
        rng.normal(scale=10.0 ** rng.uniform(-2, 1), size=shape).astype("float32")
        for _ in range(steps)
    ]


def _keras_run(optimizer, start, gradients):
    variable = keras.Variable(start)
    for gradient in gradients:
        optimizer.apply_gradients([(tf.constant(gradient), variable)])
    return np.asarray(variable)


START = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_update_equals_keras_sgd(momentum):
    gradients = _gradients()
    expected = _keras_run(
        keras.optimizers.SGD(learning_rate=0.05, momentum=momentum), START, gradients
    )
    variable, velocity = tf.constant(START), tf.zeros_like(START)
    for gradient in gradients:
        variable, velocity = sgd_update(
            variable, gradient, velocity, learning_rate=0.05, momentum=momentum
        )
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("weight_decay", [None, 0.1])
def test_adam_update_equals_keras_adam(weight_decay):
    """Keras's Adam takes a decoupled weight decay too, off by default."""
    gradients = _gradients()
    optimizer = keras.optimizers.Adam(learning_rate=0.01, weight_decay=weight_decay)
    expected = _keras_run(optimizer, START, gradients)
    decay = {} if weight_decay is None else {"weight_decay": weight_decay}
    variable, m, v = tf.constant(START), tf.zeros_like(START), tf.zeros_like(START)
    for step, gradient in enumerate(gradients, start=1):
        variable, m, v = adam_update(
            variable, gradient, m, v, step=step, learning_rate=0.01, **decay
        )
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("weight_decay", [None, 0.5])
def test_adamw_update_equals_keras_adamw(weight_decay):
    """`None`: neither side is given a decay, so both use their default."""
    gradients = _gradients(seed=2)
    decay = {} if weight_decay is None else {"weight_decay": weight_decay}
    expected = _keras_run(keras.optimizers.AdamW(learning_rate=0.01, **decay), START, gradients)
    variable, m, v = tf.constant(START), tf.zeros_like(START), tf.zeros_like(START)
    for step, gradient in enumerate(gradients, start=1):
        variable, m, v = adamw_update(
            variable, gradient, m, v, step=step, learning_rate=0.01, **decay
        )
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-6)


def test_adamw_with_no_decay_is_adam():
    gradient, zeros = tf.constant([0.3, -2.0]), tf.zeros(2)
    start = tf.constant([1.0, 1.0])
    adam = adam_update(start, gradient, zeros, zeros, step=1)
    adamw = adamw_update(start, gradient, zeros, zeros, step=1, weight_decay=0.0)
    for a, b in zip(adam, adamw, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize(
    ("initial", "warmup", "decay", "alpha"),
    [(0.0, 10, 40, 0.0), (0.01, 5, 20, 0.1), (0.0, 0, 30, 0.0), (0.0, None, 30, 0.0)],
)
def test_warmup_cosine_decay_equals_keras(initial, warmup, decay, alpha):
    """`warmup` `None`: neither side is given one, so both use their default."""
    given = {} if warmup is None else {"warmup_steps": warmup}
    schedule = keras.optimizers.schedules.CosineDecay(
        initial, decay, alpha=alpha, warmup_target=0.5, **given
    )
    for step in range(given.get("warmup_steps", 0) + decay + 10):
        ours = warmup_cosine_decay(
            step,
            peak_learning_rate=0.5,
            decay_steps=decay,
            initial_learning_rate=initial,
            alpha=alpha,
            **given,
        )
        assert ours == pytest.approx(float(schedule(step)), abs=1e-6), step


def test_schedule_drives_keras_and_dlcv_alike():
    gradients = _gradients(steps=30)
    schedule = keras.optimizers.schedules.CosineDecay(0.0, 20, warmup_target=0.05, warmup_steps=10)
    expected = _keras_run(
        keras.optimizers.SGD(learning_rate=schedule, momentum=0.9), START, gradients
    )
    variable, velocity = tf.constant(START), tf.zeros_like(START)
    for step, gradient in enumerate(gradients):
        rate = warmup_cosine_decay(step, peak_learning_rate=0.05, warmup_steps=10, decay_steps=20)
        variable, velocity = sgd_update(
            variable, gradient, velocity, learning_rate=rate, momentum=0.9
        )
    np.testing.assert_allclose(variable.numpy(), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: sgd_update([1.0], [1.0], [0.0], learning_rate=-0.1),
            ValueError,
            "`learning_rate` must be a non-negative number",
        ),
        (
            lambda: sgd_update([1.0], [1.0], [0.0], learning_rate=0.1, momentum=1.0),
            ValueError,
            "momentum. must be a number from 0 up to",
        ),
        (
            lambda: sgd_update([1.0], [1.0], [0.0], learning_rate="0.1"),
            TypeError,
            "must be a non-negative number",
        ),
        (
            lambda: sgd_update([1.0, 2.0], [1.0], [0.0, 0.0], learning_rate=0.1),
            ValueError,
            "`gradient` must have the shape of `variable`",
        ),
        (lambda: adam_update([1.0], [1.0], [0.0], [0.0], step=0), ValueError, "positive integer"),
        (lambda: adam_update([1.0], [1.0], [0.0], [0.0], step=1.5), TypeError, "positive integer"),
        (
            lambda: adam_update([1.0], [1.0], [0.0], [0.0, 0.0], step=1),
            ValueError,
            "`v` must have the shape",
        ),
        (
            lambda: adam_update([1.0], [1.0], [0.0], [0.0], step=1, beta_2=1.0),
            ValueError,
            "beta_2",
        ),
        (
            lambda: adam_update([1.0], [1.0], [0.0], [0.0], step=1, epsilon=0.0),
            ValueError,
            "epsilon",
        ),
        (
            lambda: adamw_update([1.0], [1.0], [0.0], [0.0], step=1, weight_decay=-0.1),
            ValueError,
            "must be a non-negative number",
        ),
        (
            lambda: warmup_cosine_decay(-1, peak_learning_rate=1.0, warmup_steps=1, decay_steps=1),
            ValueError,
            "`step` must be a non-negative integer",
        ),
        (
            lambda: warmup_cosine_decay(0, peak_learning_rate=1.0, warmup_steps=1, decay_steps=0),
            ValueError,
            "`decay_steps` must be a positive integer",
        ),
        (
            lambda: warmup_cosine_decay(
                0, peak_learning_rate=1.0, warmup_steps=1, decay_steps=1, alpha=1.5
            ),
            ValueError,
            "alpha",
        ),
    ],
)
def test_argument_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
