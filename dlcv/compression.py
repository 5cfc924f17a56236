"""Model compression from tensor operations: symmetric int8 quantization, magnitude
pruning, the knowledge-distillation loss, and the bytes a model's weights take.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from dlcv._keras_graph import check_model
from dlcv._validation import (
    check_fraction,
    check_non_negative_number,
    check_positive_number,
)

__all__ = [
    "dequantize_int8",
    "distillation_loss",
    "magnitude_prune",
    "quantize_int8",
    "weight_bytes",
]

# This symmetric int8, like keras.quantizers.abs_max_quantize, uses -127..127 and
# leaves -128 unused, so that zero sits in the middle and negating a value never
# overflows.
INT8_MAX = 127


# --8<-- [start:quantize]
def quantize_int8(
    x: Any, *, channel_axis: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Quantize an array to int8 with a symmetric scale, per tensor or per channel.

    Each group of values (the whole array, or each index along `channel_axis`) gets one
    scale, its largest absolute value divided by 127, and each value becomes the
    nearest integer to `x / scale` (ties to even), so the group's largest magnitude
    maps to 127 or -127 and zero maps to zero. `dequantize_int8(q, scale)`
    approximates `x` to within half a scale step.

    Args:
        x: a real array of any rank (a layer's kernel, say).
        channel_axis: the axis that gets one scale per index (the output units of a
            Dense kernel, `-1`). Defaults to `None`: one scale for the whole array.

    Returns:
        A pair `(q, scale)`: `q`, int8 values of the shape of `x`, and `scale`,
        positive float32 values shaped to broadcast against `x` (all ones but the
        channel axis). A group of zeros gets the scale 1.

    Raises:
        TypeError: if `channel_axis` is not an integer or `None`.
        ValueError: if `x` is empty or not finite, or `channel_axis` is not an axis of
            `x`.

    Examples:
        >>> q, scale = quantize_int8(np.array([-1.0, 0.6, 0.25]))
        >>> q
        array([-127,   76,   32], dtype=int8)
        >>> float(scale[0] * 127)
        1.0
        >>> weights = np.array([[1.0, -0.02], [0.6, 0.005]])
        >>> q, scale = quantize_int8(weights, channel_axis=1)
        >>> q
        array([[ 127, -127],
               [  76,   32]], dtype=int8)

    See: [Efficient inference](../hardware/efficient-inference.md)
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(
            "`x` must be a non-empty array of finite numbers. "
            f"Received: x.shape={x.shape}, finite={bool(np.isfinite(x).all())}"
        )
    if channel_axis is None:
        reduce_axes: tuple[int, ...] = tuple(range(x.ndim))
    else:
        if isinstance(channel_axis, bool) or not isinstance(channel_axis, int):
            raise TypeError(
                "`channel_axis` must be an integer or None. "
                f"Received: channel_axis={channel_axis!r}"
            )
        if not -x.ndim <= channel_axis < x.ndim:
            raise ValueError(
                f"`channel_axis` must be an axis of `x`, from {-x.ndim} to "
                f"{x.ndim - 1}. Received: channel_axis={channel_axis}, "
                f"x.shape={x.shape}"
            )
        channel = channel_axis % x.ndim
        reduce_axes = tuple(axis for axis in range(x.ndim) if axis != channel)
    largest = np.max(np.abs(x), axis=reduce_axes, keepdims=True)
    scale = np.where(largest > 0, largest / INT8_MAX, 1.0).astype(np.float32)
    q = np.clip(np.round(x / scale), -INT8_MAX, INT8_MAX).astype(np.int8)
    return q, scale


def dequantize_int8(q: Any, scale: Any) -> np.ndarray:
    """Map int8 values back to real numbers: `q * scale`.

    Args:
        q: an integer array, as `quantize_int8` returns it.
        scale: positive scales that broadcast against `q`.

    Returns:
        A float32 array of the shape of `q`.

    Raises:
        TypeError: if `q` is not an array of integers.
        ValueError: if `scale` is not positive and finite, or does not broadcast
            against `q`.

    Examples:
        >>> q = np.array([-127, 76, 32], dtype=np.int8)
        >>> dequantize_int8(q, np.float32(1 / 127))
        array([-1.       ,  0.5984252,  0.2519685], dtype=float32)

    See: [Efficient inference](../hardware/efficient-inference.md)
    """
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer):
        raise TypeError(
            f"`q` must be an array of integers. Received: q.dtype={q.dtype}"
        )
    scale = np.asarray(scale, dtype=np.float32)
    if not (np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError(
            "`scale` must hold positive, finite numbers. "
            f"Received: scale with minimum {float(scale.min())}"
        )
    try:
        shape = np.broadcast_shapes(q.shape, scale.shape)
    except ValueError:
        shape = None
    if shape != q.shape:
        raise ValueError(
            "`scale` must broadcast against `q`. "
            f"Received: q.shape={q.shape}, scale.shape={scale.shape}"
        )
    result: np.ndarray = q.astype(np.float32) * scale
    return result


# --8<-- [end:quantize]


# --8<-- [start:prune]
def magnitude_prune(weights: Any, sparsity: float) -> tuple[np.ndarray, np.ndarray]:
    """Set the smallest-magnitude fraction of an array's entries to zero.

    The `round(sparsity * size)` entries of smallest absolute value are zeroed; ties
    are broken by position, so exactly that many are.

    Args:
        weights: a real array (a layer's kernel, say).
        sparsity: the fraction of entries to zero, strictly between 0 and 1.

    Returns:
        A pair `(pruned, mask)`: `pruned`, float32 values of the shape of `weights`
        with the chosen entries zeroed, and `mask`, booleans that are `True` where an
        entry was kept. Multiply by the mask after each training step to keep the
        pruned entries at zero while the others are fine-tuned.

    Raises:
        TypeError: if `sparsity` is not a real number.
        ValueError: if `weights` is empty, or `sparsity` is not strictly between 0
            and 1.

    Examples:
        >>> pruned, mask = magnitude_prune(np.array([[0.5, -0.1], [-2.0, 0.3]]), 0.5)
        >>> pruned
        array([[ 0.5,  0. ],
               [-2. ,  0. ]], dtype=float32)
        >>> mask
        array([[ True, False],
               [ True, False]])

    See: [Efficient inference](../hardware/efficient-inference.md)
    """
    weights = np.asarray(weights, dtype=np.float32)
    sparsity = check_fraction(sparsity, "sparsity")
    if weights.size == 0:
        raise ValueError(
            f"`weights` must not be empty. Received: weights.shape={weights.shape}"
        )
    count = round(sparsity * weights.size)
    order = np.argsort(np.abs(weights), axis=None, kind="stable")
    mask = np.ones(weights.size, dtype=bool)
    mask[order[:count]] = False
    mask = mask.reshape(weights.shape)
    return np.where(mask, weights, np.float32(0)), mask


# --8<-- [end:prune]


# --8<-- [start:distillation]
def distillation_loss(
    labels: Any,
    student_logits: Any,
    teacher_logits: Any,
    *,
    temperature: float = 4.0,
    soft_weight: float = 0.9,
) -> Any:
    """Hinton et al.'s distillation loss: soft targets at a temperature plus labels.

    For each example, the cross-entropy between the teacher's and the student's
    softmax at `temperature`, multiplied by `temperature**2` so that its gradients keep
    roughly their size as the temperature changes, weighted by `soft_weight`; plus
    the usual cross-entropy between the labels and the student's softmax at
    temperature 1, weighted by `1 - soft_weight`. Written with `keras.ops`, so it runs
    inside `fit` as part of a loss.

    Args:
        labels: the class index of each example, shape `(batch,)`.
        student_logits: the student's logits, shape `(batch, classes)`.
        teacher_logits: the teacher's logits for the same examples, same shape.
        temperature: the softmax temperature of the soft targets, positive. Defaults
            to 4.0.
        soft_weight: the weight of the soft-target term, from 0 (labels only) to 1
            (teacher only). Defaults to 0.9.

    Returns:
        The loss of each example, a float32 tensor of shape `(batch,)`.

    Raises:
        TypeError: if `temperature` or `soft_weight` is not a real number.
        ValueError: if `temperature` is not positive, `soft_weight` is not between 0
            and 1, or the logits are not of rank 2 and the same number of classes.

    Examples:
        >>> logits = np.array([[2.0, 0.0, -1.0]], dtype="float32")
        >>> loss = distillation_loss(np.array([0]), logits, logits, soft_weight=0.0)
        >>> expected = -np.log(np.exp(2.0) / np.exp(logits).sum())
        >>> bool(np.isclose(np.asarray(loss)[0], expected))
        True

    See: [Efficient inference](../hardware/efficient-inference.md)
    """
    temperature = check_positive_number(temperature, "temperature")
    soft_weight = check_non_negative_number(soft_weight, "soft_weight")
    if soft_weight > 1:
        raise ValueError(
            "`soft_weight` must be a number from 0 to 1. "
            f"Received: soft_weight={soft_weight!r}"
        )
    student = ops.convert_to_tensor(student_logits, dtype="float32")
    teacher = ops.convert_to_tensor(teacher_logits, dtype="float32")
    if len(student.shape) != 2 or student.shape[-1] != teacher.shape[-1]:
        raise ValueError(
            "`student_logits` and `teacher_logits` must be of rank 2, with the same "
            f"number of classes. Received: student_logits.shape={student.shape}, "
            f"teacher_logits.shape={teacher.shape}"
        )
    soft_targets = ops.softmax(teacher / temperature, axis=-1)
    soft_log_probs = ops.log_softmax(student / temperature, axis=-1)
    soft = -ops.sum(soft_targets * soft_log_probs, axis=-1)
    hard = keras.losses.sparse_categorical_crossentropy(
        labels, student, from_logits=True
    )
    # The soft term's gradients shrink as 1/T**2; scaling by T**2 keeps the two terms'
    # balance when T changes [Hinton et al. 2015, sec. 2].
    return soft_weight * temperature**2 * soft + (1 - soft_weight) * hard


# --8<-- [end:distillation]


def weight_bytes(model: keras.Model) -> int:
    """Count the bytes a model's weights take in memory, each at its own dtype.

    A float32 number takes 4 bytes and an int8 one 1 byte, so a model quantized with
    `model.quantize("int8")` counts its int8 kernels at a quarter of their float size,
    plus their float scales. Zeros count like any other value: pruning alone leaves
    this number unchanged.

    Args:
        model: a built Keras model.

    Returns:
        The sum, over `model.weights`, of each weight's element count times its
        dtype's size in bytes.

    Raises:
        TypeError: if `model` is not a Keras model.
        ValueError: if the model is not built yet.

    Examples:
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> weight_bytes(model)  # (4 * 3 + 3) float32 numbers
        60

    See: [Efficient inference](../hardware/efficient-inference.md)
    """
    check_model(model)
    if not model.built:
        raise ValueError(
            "`model` must be built (start it with keras.Input, or call it once). "
            f"Received: model={model.name!r}, not built"
        )
    return sum(
        math.prod(weight.shape) * np.dtype(weight.dtype).itemsize
        for weight in model.weights
    )
