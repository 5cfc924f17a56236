"""Optimizer update rules and a learning-rate schedule, written from tensor operations.

SGD, SGD with momentum, Adam and AdamW each turn a gradient into a change of the
weights, keeping a little state per weight between steps. Here every rule is a pure
function: it takes a variable's value, its gradient and its state, and returns the new
value and the new state, with `+`, `*`, `tf.sqrt` and nothing else, so each step can be
read line by line. The conventions are Keras's (its `epsilon`, its momentum sign, its
weight decay scaled by the learning rate), and the tests check every rule against
`keras.optimizers` over many steps. Use Keras's optimizers for real work.
"""

from __future__ import annotations

import math
from typing import Any, Required, TypedDict, Unpack

import tensorflow as tf

from dlcv._validation import (
    _check_real,
    check_non_negative_int,
    check_non_negative_number,
    check_positive_int,
    check_positive_number,
)

__all__ = [
    "adam_update",
    "adamw_update",
    "sgd_update",
    "warmup_cosine_decay",
]


def _check_decay_rate(value: Any, name: str) -> float:
    # 0 is allowed (no memory of past steps); 1 would never forget the initial state.
    return _check_real(
        value, name, "a number from 0 up to (not including) 1", lambda x: 0.0 <= x < 1.0
    )


def _check_same_shape(variable: Any, others: dict[str, Any]) -> list[tf.Tensor]:
    variable = tf.convert_to_tensor(variable)
    tensors = [variable]
    for name, value in others.items():
        tensor = tf.convert_to_tensor(value, dtype=variable.dtype)
        if tensor.shape != variable.shape:
            raise ValueError(
                f"`{name}` must have the shape of `variable` "
                f"({variable.shape.as_list()}). Received: "
                f"{name}.shape={tensor.shape.as_list()}"
            )
        tensors.append(tensor)
    return tensors


def sgd_update(
    variable: Any,
    gradient: Any,
    velocity: Any,
    *,
    learning_rate: float,
    momentum: float = 0.0,
) -> tuple[tf.Tensor, tf.Tensor]:
    """Take one step of SGD, with or without momentum, as `keras.optimizers.SGD` does.

    The velocity remembers past steps: `velocity = momentum * velocity -
    learning_rate * gradient`, then `variable = variable + velocity`. With
    `momentum=0` this is plain gradient descent, `variable - learning_rate *
    gradient`.

    Args:
        variable: the weights' current value, a tensor of any shape.
        gradient: the loss's gradient with respect to them, the same shape.
        velocity: the state from the previous step, the same shape; zeros before
            the first step.
        learning_rate: the step size, a non-negative number (a warm-up may
            start at 0).
        momentum: how much of the previous velocity to keep, from 0 up to
            (not including) 1.

    Returns:
        The new value of the variable and the new velocity.

    Raises:
        TypeError: if `learning_rate` or `momentum` is not a number.
        ValueError: if `learning_rate` is negative, `momentum` is outside
            [0, 1), or `gradient` or `velocity` has another shape than `variable`.

    Examples:
        >>> variable, velocity = tf.constant([1.0, 2.0]), tf.zeros(2)
        >>> for _ in range(2):
        ...     variable, velocity = sgd_update(
        ...         variable, tf.constant([1.0, -1.0]), velocity,
        ...         learning_rate=0.1, momentum=0.5)
        >>> [round(float(x), 3) for x in variable]
        [0.75, 2.25]

    See: [Optimizers and schedules](../fundamentals/optimizers.md)
    """
    learning_rate = check_non_negative_number(learning_rate, "learning_rate")
    momentum = _check_decay_rate(momentum, "momentum")
    variable, gradient, velocity = _check_same_shape(
        variable, {"gradient": gradient, "velocity": velocity}
    )
    # --8<-- [start:sgd_update]
    velocity = momentum * velocity - learning_rate * gradient
    return variable + velocity, velocity
    # --8<-- [end:sgd_update]


def adam_update(
    variable: Any,
    gradient: Any,
    m: Any,
    v: Any,
    *,
    step: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    weight_decay: float = 0.0,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Take one step of Adam, as `keras.optimizers.Adam` does.

    `m` and `v` are moving averages of the gradient and of its square. The bias
    correction for their start at zero is folded into the step size, and `epsilon`
    is added to `sqrt(v)` before the correction, the form Kingma and Ba give for
    efficiency and the one Keras uses (its default `epsilon` is `1e-7`).

    A `weight_decay` is decoupled from the gradient, as in AdamW: the weights first
    shrink by `learning_rate * weight_decay` of their value, then take the Adam step on
    the unchanged gradient. Keras's `Adam` takes the same option, off by default.

    Args:
        variable: the weights' current value, a tensor of any shape.
        gradient: the loss's gradient with respect to them, the same shape.
        m: the moving average of the gradient, the same shape; zeros before step 1.
        v: the moving average of the squared gradient, the same shape; zeros
            before step 1.
        step: the number of this step, counting from 1.
        learning_rate: the step size, a non-negative number (a warm-up may
            start at 0).
        beta_1: the decay rate of `m`, from 0 up to (not including) 1.
        beta_2: the decay rate of `v`, from 0 up to (not including) 1.
        epsilon: a small positive number that keeps the division finite.
        weight_decay: the fraction of the weights removed per unit of learning
            rate, a non-negative number. Defaults to 0, none.

    Returns:
        The new value of the variable, the new `m` and the new `v`.

    Raises:
        TypeError: if an option is not a number or `step` is not an integer.
        ValueError: if an option is out of its range, `step` is not positive,
            or `gradient`, `m` or `v` has another shape than `variable`.

    Examples:
        >>> variable, m, v = tf.constant([1.0]), tf.zeros(1), tf.zeros(1)
        >>> variable, m, v = adam_update(
        ...     variable, tf.constant([5.0]), m, v, step=1, learning_rate=0.1)
        >>> round(float(variable[0]), 4)  # the first step moves by about learning_rate
        0.9

    See: [Optimizers and schedules](../fundamentals/optimizers.md)
    """
    step = check_positive_int(step, "step")
    learning_rate = check_non_negative_number(learning_rate, "learning_rate")
    beta_1 = _check_decay_rate(beta_1, "beta_1")
    beta_2 = _check_decay_rate(beta_2, "beta_2")
    epsilon = check_positive_number(epsilon, "epsilon")
    weight_decay = check_non_negative_number(weight_decay, "weight_decay")
    variable, gradient, m, v = _check_same_shape(
        variable, {"gradient": gradient, "m": m, "v": v}
    )
    # --8<-- [start:weight_decay]
    variable = variable - learning_rate * weight_decay * variable
    # --8<-- [end:weight_decay]
    # --8<-- [start:adam_update]
    m = beta_1 * m + (1 - beta_1) * gradient
    v = beta_2 * v + (1 - beta_2) * gradient**2
    # Bias correction: m / (1 - beta_1**step) and v / (1 - beta_2**step), folded
    # into one step size. Like Keras, compute it in the weights' dtype: in float32,
    # 0.999 rounds to 0.99900001..., which moves 1 - beta_2**1 by about 1e-5 of
    # its value, and that shows in the weights after a hundred steps.
    beta_1_power = tf.cast(beta_1, variable.dtype) ** step
    beta_2_power = tf.cast(beta_2, variable.dtype) ** step
    alpha = learning_rate * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
    return variable - alpha * m / (tf.sqrt(v) + epsilon), m, v
    # --8<-- [end:adam_update]


class _AdamOptions(TypedDict, total=False):
    """The options of `adam_update` other than `weight_decay`."""

    step: Required[int]
    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float


def adamw_update(
    variable: Any,
    gradient: Any,
    m: Any,
    v: Any,
    *,
    weight_decay: float = 0.004,
    **options: Unpack[_AdamOptions],
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Take one step of AdamW, as `keras.optimizers.AdamW` does.

    This is `adam_update` with its decoupled weight decay on by default, at Keras's
    `0.004`, as Keras's `AdamW` is its `Adam` with that default. `step`,
    `learning_rate`, `beta_1`, `beta_2` and `epsilon`, the result and the errors are
    those of `adam_update`.

    Args:
        weight_decay: the fraction of the weights removed per unit of learning
            rate, a non-negative number. Defaults to 0.004.

    Examples:
        >>> variable, m, v = tf.constant([1.0]), tf.zeros(1), tf.zeros(1)
        >>> variable, m, v = adamw_update(
        ...     variable, tf.constant([0.0]), m, v, step=1,
        ...     learning_rate=0.1, weight_decay=0.5)
        >>> round(float(variable[0]), 4)  # a zero gradient: only the decay acts
        0.95

    See: [Optimizers and schedules](../fundamentals/optimizers.md)
    """
    return adam_update(variable, gradient, m, v, weight_decay=weight_decay, **options)


def warmup_cosine_decay(
    step: int,
    *,
    peak_learning_rate: float,
    warmup_steps: int = 0,
    decay_steps: int,
    initial_learning_rate: float = 0.0,
    alpha: float = 0.0,
) -> float:
    """Return the learning rate at `step` of a linear warm-up followed by cosine decay.

    The rate rises in a straight line from `initial_learning_rate` at step 0 to
    `peak_learning_rate` at `warmup_steps`, then follows half a cosine from the
    peak down to `alpha * peak_learning_rate` over `decay_steps` more steps, and
    stays there. It equals `keras.optimizers.schedules.CosineDecay(
    initial_learning_rate, decay_steps, alpha=alpha,
    warmup_target=peak_learning_rate, warmup_steps=warmup_steps)`.

    Args:
        step: the number of optimizer steps taken so far, from 0.
        peak_learning_rate: the rate at the end of the warm-up, a positive number.
        warmup_steps: the length of the warm-up, a non-negative integer. Defaults to 0,
            none, as in Keras's `CosineDecay`.
        decay_steps: the length of the cosine decay, a positive integer.
        initial_learning_rate: the rate at step 0, a non-negative number.
        alpha: the final rate as a fraction of the peak, from 0 up to
            (not including) 1.

    Returns:
        The learning rate, a Python `float`.

    Raises:
        TypeError: if an argument is not a number, or a step count not an integer.
        ValueError: if an argument is out of its range.

    Examples:
        >>> rates = [warmup_cosine_decay(step, peak_learning_rate=1.0,
        ...          warmup_steps=2, decay_steps=4) for step in range(8)]
        >>> [round(rate, 3) for rate in rates]
        [0.0, 0.5, 1.0, 0.854, 0.5, 0.146, 0.0, 0.0]

    See: [Optimizers and schedules](../fundamentals/optimizers.md)
    """
    step = check_non_negative_int(step, "step")
    peak_learning_rate = check_positive_number(peak_learning_rate, "peak_learning_rate")
    warmup_steps = check_non_negative_int(warmup_steps, "warmup_steps")
    decay_steps = check_positive_int(decay_steps, "decay_steps")
    initial_learning_rate = check_non_negative_number(
        initial_learning_rate, "initial_learning_rate"
    )
    alpha = _check_decay_rate(alpha, "alpha")
    # --8<-- [start:warmup_cosine_decay]
    if step < warmup_steps:
        fraction = step / warmup_steps
        return initial_learning_rate + fraction * (
            peak_learning_rate - initial_learning_rate
        )
    fraction = min(step - warmup_steps, decay_steps) / decay_steps
    cosine = 0.5 * (1 + math.cos(math.pi * fraction))
    return peak_learning_rate * ((1 - alpha) * cosine + alpha)
    # --8<-- [end:warmup_cosine_decay]
