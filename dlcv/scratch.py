"""Layers written with tensor operations alone: dense
networks, backpropagation, convolution.

These functions are what the fundamentals and vision pages teach: a dense layer is a
matrix product plus a bias, a multilayer perceptron is a chain of them, training is
gradient descent on a loss, and backpropagation is the chain rule. A 2D convolution is
the same matrix product applied to every small window of an image, and pooling
summarises each window with its maximum or mean. They use `tf.matmul`, `tf.einsum`,
slicing, `tf.pad`, `+`, `tf.maximum`, `tf.exp` and reductions only (no `keras.layers`,
no `tf.nn` convolutions), so every step can be read, and the tests check that they agree
with Keras, with `tf.nn.conv2d` and the `tf.nn` pooling ops, and with `tf.GradientTape`.
Use Keras layers and optimizers for real work.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from dlcv._validation import (
    check_non_negative_int,
    check_one_of,
    check_positive_int,
    check_positive_number,
    check_size_pair,
)

__all__ = [
    "average_pool2d",
    "conv2d",
    "dense",
    "init_mlp_params",
    "manual_gradients",
    "max_pool2d",
    "mlp_forward",
    "relu",
    "sgd_step",
    "softmax",
    "sparse_softmax_cross_entropy",
]

# A layer's parameters: its kernel (a matrix) and its bias (a vector), as
# tensors or variables.
Params = Sequence[tuple[Any, Any]]
# A window, step or dilation: one int for both sides, or a (height, width) pair.
Size2D = int | Sequence[int]


def _shape(value: Any) -> tuple[int | None, ...]:
    return tuple(tf.TensorShape(value.shape).as_list())


def _check_tensor_rank(value: Any, rank: int, name: str, meaning: str) -> Any:
    # Static shapes only, so the check also works inside a tf.function.
    tensor = value if isinstance(value, tf.Variable) else tf.convert_to_tensor(value)
    if tensor.shape.rank != rank:
        raise ValueError(
            f"`{name}` must be a tensor of rank {rank} ({meaning}). "
            f"Received: {name}.shape={_shape(tensor)}"
        )
    return tensor


def _check_params(params: Any) -> list[tuple[Any, Any]]:
    message = (
        "`params` must be a non-empty sequence of (kernel, bias) pairs. "
        f"Received: params={params!r}"
    )
    if isinstance(params, str | bytes) or not isinstance(params, Sequence):
        raise TypeError(message)
    if len(params) == 0:
        raise ValueError(message)
    pairs = []
    for index, pair in enumerate(params):
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise TypeError(
                "`params` must be a non-empty sequence of (kernel, bias) pairs. "
                f"Received: params[{index}]={pair!r}"
            )
        kernel = _check_tensor_rank(
            pair[0], 2, f"params[{index}][0]", "a kernel matrix"
        )
        bias = _check_tensor_rank(pair[1], 1, f"params[{index}][1]", "a bias vector")
        pairs.append((kernel, bias))
    for index in range(1, len(pairs)):
        rows, columns = pairs[index][0].shape[0], pairs[index - 1][0].shape[1]
        if rows != columns:
            raise ValueError(
                f"`params[{index}][0]` must have as many rows as the previous kernel "
                f"has columns ({columns}). Received: "
                f"params[{index}][0].shape={_shape(pairs[index][0])}"
            )
    return pairs


def _check_labels(labels: Any, rows: int | None, rows_name: str) -> Any:
    labels = _check_tensor_rank(labels, 1, "labels", "one class index per example")
    if not labels.dtype.is_integer:
        raise TypeError(
            "`labels` must hold integer class indices. Received: "
            f"labels.dtype={labels.dtype.name}"
        )
    if None not in (labels.shape[0], rows) and labels.shape[0] != rows:
        raise ValueError(
            f"`labels` must hold one class index per row of `{rows_name}` ({rows} "
            f"rows). Received: labels.shape={_shape(labels)}"
        )
    return labels


def relu(x: Any) -> tf.Tensor:
    """Apply the rectified linear unit, `max(x, 0)`, to every element of a tensor.

    Args:
        x: a tensor (or array) of any shape.

    Returns:
        A tensor of the same shape and dtype: negative entries become zero.

    Examples:
        >>> relu(tf.constant([-2.0, 0.0, 3.0])).numpy()
        array([0., 0., 3.], dtype=float32)

    See: [Tensors and operations](../fundamentals/tensors-and-operations.md)
    """
    x = tf.convert_to_tensor(x)
    # Keep x where it is positive, zero elsewhere. Written with tf.where (not
    # tf.maximum) so that the gradient at exactly 0 is 0, the convention
    # tf.nn.relu and the pages use.
    return tf.where(x > 0, x, tf.zeros_like(x))


def softmax(logits: Any) -> tf.Tensor:
    """Turn each row of scores (logits) into probabilities that sum to one.

    The row maximum is subtracted before exponentiating: the result is unchanged, and no
    `exp` overflows however large the scores are.

    Args:
        logits: a tensor whose last axis holds one score per class.

    Returns:
        A tensor of the same shape: `exp(logits)` divided by its sum
        along the last axis.

    Raises:
        ValueError: if `logits` is a scalar.

    Examples:
        >>> softmax(tf.constant([[1.0, 1.0], [0.0, 1000.0]])).numpy()
        array([[0.5, 0.5],
               [0. , 1. ]], dtype=float32)

    See: [How networks learn](../fundamentals/how-networks-learn.md)
    """
    logits = tf.convert_to_tensor(logits)
    if logits.shape.rank == 0:
        raise ValueError(
            "`logits` must be a tensor of rank 1 or more (scores along the last axis). "
            "Received: logits.shape=()"
        )
    shifted = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
    exponentials = tf.exp(shifted)
    return exponentials / tf.reduce_sum(exponentials, axis=-1, keepdims=True)


def dense(
    x: Any,
    kernel: Any,
    bias: Any,
    *,
    activation: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tf.Tensor:
    """Compute one dense (fully connected) layer: `activation(x @ kernel + bias)`.

    This is what `keras.layers.Dense` computes for a batch of vectors. `x` is cast to
    the kernel's dtype, as a Keras layer casts its inputs.

    Args:
        x: the inputs, shape `(examples, features_in)`.
        kernel: the weights, shape `(features_in, features_out)`.
        bias: the biases, shape `(features_out,)`, added to every row (broadcasting).
        activation: a function applied element-wise to the result, such as `relu`.
            Defaults to `None`, meaning no activation (a linear layer).

    Returns:
        A tensor of shape `(examples, features_out)`.

    Raises:
        TypeError: if `activation` is neither callable nor `None`.
        ValueError: if the ranks are wrong or the shapes do not fit together.

    Examples:
        >>> x = tf.constant([[1.0, 2.0]])
        >>> kernel = tf.constant([[1.0, -1.0, 0.0], [1.0, 0.0, 2.0]])
        >>> dense(x, kernel, tf.constant([0.0, 0.5, -5.0]), activation=relu).numpy()
        array([[3., 0., 0.]], dtype=float32)

    See: [Tensors and operations](../fundamentals/tensors-and-operations.md)
    """
    if activation is not None and not callable(activation):
        raise TypeError(
            "`activation` must be a callable or None. Received: "
            f"activation={activation!r}"
        )
    kernel = _check_tensor_rank(kernel, 2, "kernel", "features_in, features_out")
    bias = _check_tensor_rank(bias, 1, "bias", "one entry per output")
    x = _check_tensor_rank(x, 2, "x", "examples, features")
    if None not in (x.shape[1], kernel.shape[0]) and x.shape[1] != kernel.shape[0]:
        raise ValueError(
            f"`kernel` must have as many rows as `x` has columns ({x.shape[1]}). "
            f"Received: kernel.shape={_shape(kernel)}"
        )
    if (
        None not in (bias.shape[0], kernel.shape[1])
        and bias.shape[0] != kernel.shape[1]
    ):
        raise ValueError(
            f"`bias` must have one entry per column of `kernel` ({kernel.shape[1]}). "
            f"Received: bias.shape={_shape(bias)}"
        )
    x = tf.cast(x, kernel.dtype)
    # --8<-- [start:dense]
    # (examples, in) @ (in, out) -> (examples, out); the bias row is
    # broadcast to every example.
    outputs = tf.matmul(x, kernel) + bias
    if activation is not None:
        outputs = activation(outputs)
    return outputs
    # --8<-- [end:dense]


def init_mlp_params(
    sizes: Sequence[int], *, seed: int, dtype: str = "float32"
) -> list[tuple[tf.Variable, tf.Variable]]:
    """Create the weights of a multilayer perceptron,
    initialised as Keras initialises `Dense`.

    Each kernel is drawn from the Glorot (Xavier) uniform distribution, on `[-limit,
    limit]` with `limit = sqrt(6 / (fan_in + fan_out))`, and each bias starts at zero.

    Args:
        sizes: the width of every layer, inputs first and outputs last, such as
            `[64, 32, 10]` for 64 inputs, one hidden layer of 32 units and 10 outputs.
        seed: the seed of the random kernels; the same seed gives the same weights.
        dtype: `"float32"` or `"float64"`. Defaults to `"float32"`.

    Returns:
        A list with one `(kernel, bias)` pair of `tf.Variable`s per layer.

    Raises:
        TypeError: if `sizes` is not a sequence of integers or `seed` not an integer.
        ValueError: if `sizes` has fewer than two entries or one is not positive, `seed`
            is negative or `dtype` is not one of the two choices.

    Examples:
        >>> params = init_mlp_params([4, 3, 2], seed=0)
        >>> tuple(tuple(variable.shape) for pair in params for variable in pair)
        ((4, 3), (3,), (3, 2), (2,))

    See: [Tensors and operations](../fundamentals/tensors-and-operations.md)
    """
    if isinstance(sizes, str | bytes) or not isinstance(sizes, Sequence):
        raise TypeError(
            f"`sizes` must be a sequence of layer widths. Received: sizes={sizes!r}"
        )
    if len(sizes) < 2:
        raise ValueError(
            "`sizes` must list at least two layer widths (inputs and outputs). "
            f"Received: sizes={list(sizes)!r}"
        )
    widths = [check_positive_int(size, f"sizes[{i}]") for i, size in enumerate(sizes)]
    seed = check_non_negative_int(seed, "seed")
    dtype = check_one_of(dtype, "dtype", ("float32", "float64"))
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(widths):
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)
        params.append(
            (tf.Variable(kernel), tf.Variable(tf.zeros(fan_out, dtype=dtype)))
        )
    return params


def mlp_forward(x: Any, params: Params) -> tf.Tensor:
    """Run a multilayer perceptron: dense layers with ReLU
    between them, logits at the end.

    Args:
        x: the inputs, shape `(examples, features)`.
        params: one `(kernel, bias)` pair per layer, as made by `init_mlp_params`.

    Returns:
        The logits (scores before softmax), shape `(examples, classes)`.

    Raises:
        TypeError: if `params` is not a sequence of pairs.
        ValueError: if `params` is empty or the shapes do not fit together.

    Examples:
        >>> params = init_mlp_params([4, 3, 2], seed=0)
        >>> tuple(mlp_forward(tf.ones((5, 4)), params).shape)
        (5, 2)

    See: [Tensors and operations](../fundamentals/tensors-and-operations.md)
    """
    pairs = _check_params(params)
    # --8<-- [start:mlp_forward]
    hidden = x
    for kernel, bias in pairs[:-1]:
        hidden = dense(hidden, kernel, bias, activation=relu)
    kernel, bias = pairs[-1]
    return dense(hidden, kernel, bias)
    # --8<-- [end:mlp_forward]


def sparse_softmax_cross_entropy(labels: Any, logits: Any) -> tf.Tensor:
    """Return the mean cross-entropy between integer labels and the softmax of logits.

    For one example with correct class `y` the loss is `-log softmax(logits)[y]`; it is
    computed as `logsumexp(logits) - logits[y]`, which stays finite for large scores.

    Args:
        labels: the correct class of each example, integers of shape `(examples,)`.
        logits: the scores, shape `(examples, classes)`.

    Returns:
        A scalar tensor: the loss averaged over the examples.

    Raises:
        TypeError: if `labels` are not integers.
        ValueError: if the ranks are wrong or there is not one label per row of logits.

    Examples:
        >>> logits = tf.constant([[0.0, 0.0], [0.0, 0.0]])
        >>> round(float(sparse_softmax_cross_entropy(tf.constant([0, 1]), logits)), 4)
        0.6931

    See: [How networks learn](../fundamentals/how-networks-learn.md)
    """
    logits = _check_tensor_rank(logits, 2, "logits", "examples, classes")
    labels = _check_labels(labels, logits.shape[0], "logits")
    # --8<-- [start:cross_entropy]
    shifted = logits - tf.reduce_max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - tf.math.log(
        tf.reduce_sum(tf.exp(shifted), axis=1, keepdims=True)
    )
    # For each row, pick the log-probability of that row's correct class.
    correct = tf.gather(log_probabilities, labels, axis=1, batch_dims=1)
    return -tf.reduce_mean(correct)
    # --8<-- [end:cross_entropy]


def sgd_step(x: Any, labels: Any, params: Params, *, learning_rate: float) -> tf.Tensor:
    """Take one step of (minibatch) gradient descent on a multilayer perceptron.

    The loss is `sparse_softmax_cross_entropy` of `mlp_forward`; `tf.GradientTape`
    records the forward pass and returns the gradient, and every parameter moves
    by `-learning_rate * gradient`. The update happens in place, so `params` must
    hold `tf.Variable`s.

    Args:
        x: a minibatch of inputs, shape `(examples, features)`.
        labels: their classes, integers of shape `(examples,)`.
        params: `(kernel, bias)` variable pairs, as made by `init_mlp_params`.
        learning_rate: the step size, a positive number.

    Returns:
        The minibatch loss before the step, a scalar tensor.

    Raises:
        TypeError: if `learning_rate` is not a number or a parameter is
            not a `tf.Variable`.
        ValueError: if `learning_rate` is not positive or the shapes
            do not fit together.

    Examples:
        >>> params = init_mlp_params([4, 3, 2], seed=0)
        >>> x, labels = tf.ones((5, 4)), tf.constant([0, 1, 0, 1, 1])
        >>> first = sgd_step(x, labels, params, learning_rate=0.1)
        >>> second = sgd_step(x, labels, params, learning_rate=0.1)
        >>> bool(second < first)
        True

    See: [How networks learn](../fundamentals/how-networks-learn.md)
    """
    learning_rate = check_positive_number(learning_rate, "learning_rate")
    pairs = _check_params(params)
    for index, pair in enumerate(pairs):
        if not all(isinstance(value, tf.Variable) for value in pair):
            raise TypeError(
                f"`params[{index}]` must hold tf.Variable objects (sgd_step updates "
                f"them in place). Received: params[{index}] of types "
                f"{[type(value).__name__ for value in pair]}"
            )
    # --8<-- [start:sgd_step]
    with tf.GradientTape() as tape:
        loss = sparse_softmax_cross_entropy(labels, mlp_forward(x, pairs))
    gradients = tape.gradient(loss, pairs)
    for (kernel, bias), (kernel_gradient, bias_gradient) in zip(
        pairs, gradients, strict=True
    ):
        kernel.assign_sub(learning_rate * kernel_gradient)
        bias.assign_sub(learning_rate * bias_gradient)
    return loss
    # --8<-- [end:sgd_step]


def manual_gradients(
    x: Any, labels: Any, params: Params
) -> list[tuple[tf.Tensor, tf.Tensor]]:
    """Backpropagate by hand through a network with one hidden ReLU layer.

    The network is `mlp_forward` with two layers and the loss
    `sparse_softmax_cross_entropy`. The gradient is derived with the chain rule, from
    the loss back to the first layer, without `tf.GradientTape`: the result equals
    what the tape computes.

    Args:
        x: the inputs, shape `(examples, features)`.
        labels: their classes, integers of shape `(examples,)`.
        params: exactly two `(kernel, bias)` pairs: the hidden layer,
            then the output layer.

    Returns:
        The gradient of the loss, one `(kernel_gradient, bias_gradient)` pair per layer,
        in the structure of `params`.

    Raises:
        TypeError: if `params` is not a sequence of pairs or `labels` are not integers.
        ValueError: if `params` does not hold two layers or the shapes
            do not fit together.

    Examples:
        >>> params = init_mlp_params([4, 3, 2], seed=0, dtype="float64")
        >>> x = tf.ones((5, 4), dtype="float64")
        >>> gradients = manual_gradients(x, tf.constant([0, 1, 0, 1, 1]), params)
        >>> tuple(tuple(gradient.shape) for pair in gradients for gradient in pair)
        ((4, 3), (3,), (3, 2), (2,))

    See: [How networks learn](../fundamentals/how-networks-learn.md)
    """
    pairs = _check_params(params)
    if len(pairs) != 2:
        raise ValueError(
            "`params` must hold exactly two (kernel, bias) pairs (one hidden layer). "
            f"Received: len(params)={len(pairs)}"
        )
    (kernel_1, bias_1), (kernel_2, bias_2) = pairs
    x = _check_tensor_rank(x, 2, "x", "examples, features")
    labels = _check_labels(labels, x.shape[0], "x")
    x = tf.cast(x, kernel_1.dtype)
    # --8<-- [start:manual_gradients]
    # Forward pass, keeping every intermediate value the backward pass needs.
    z_1 = dense(x, kernel_1, bias_1)
    h = relu(z_1)
    z_2 = dense(h, kernel_2, bias_2)
    examples = tf.cast(tf.shape(x)[0], z_2.dtype)

    # Backward pass. Mean softmax cross-entropy: dL/dz_2 =
    # (softmax(z_2) - one_hot(y)) / N.
    d_z_2 = (
        softmax(z_2) - tf.one_hot(labels, kernel_2.shape[1], dtype=z_2.dtype)
    ) / examples
    # z_2 = h @ W_2 + b_2: the kernel gradient is h^T @ dL/dz_2; the bias was added
    # to every row, so its gradient sums over the rows; the gradient flowing back to
    # h is dL/dz_2 @ W_2^T.
    d_kernel_2 = tf.matmul(h, d_z_2, transpose_a=True)
    d_bias_2 = tf.reduce_sum(d_z_2, axis=0)
    d_h = tf.matmul(d_z_2, kernel_2, transpose_b=True)
    # ReLU passes the gradient where its input was positive and blocks it elsewhere.
    d_z_1 = d_h * tf.cast(z_1 > 0, d_h.dtype)
    d_kernel_1 = tf.matmul(x, d_z_1, transpose_a=True)
    d_bias_1 = tf.reduce_sum(d_z_1, axis=0)
    return [(d_kernel_1, d_bias_1), (d_kernel_2, d_bias_2)]
    # --8<-- [end:manual_gradients]


# --- Convolution and pooling
# --------------------------------------------------------------------


def _check_padding(padding: Any) -> str:
    value = padding.lower() if isinstance(padding, str) else padding
    return check_one_of(value, "padding", ("valid", "same"))


def _check_images(x: Any) -> tf.Tensor:
    x = _check_tensor_rank(x, 4, "x", "batch, height, width, channels")
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None or height == 0 or width == 0:
        raise ValueError(
            "`x` must have a known, positive height and width (the windows are sliced "
            f"with Python integers). Received: x.shape={_shape(x)}"
        )
    return x


def _check_window_fits(
    x: tf.Tensor, span: tuple[int, int], padding: str, name: str, received: str
) -> None:
    if padding == "valid" and (span[0] > x.shape[1] or span[1] > x.shape[2]):
        raise ValueError(
            f"`{name}` must fit inside `x` when padding='valid': it spans "
            f"{span[0]}x{span[1]} pixels, but `x` is {x.shape[1]}x{x.shape[2]}. Use "
            f"padding='same' or a smaller window. Received: {received}"
        )


def _output_size_and_padding(
    size: int, span: int, stride: int, padding: str
) -> tuple[int, int, int]:
    """Return, along one axis, the output length and the
    padding before and after the input.

    `span` is how many input pixels one window covers, `(k - 1) * d + 1` for a
    kernel of `k` taps with dilation `d`. The arithmetic is TensorFlow's (see the
    `tf.nn` notes on padding).
    """
    # --8<-- [start:padding]
    if padding == "valid":
        # No padding: count the start positions, one every `stride`
        # pixels, whose window fits.
        return (size - span) // stride + 1, 0, 0
    # "same": one output per stride step, ceil(size / stride), whatever the
    # window, with the least padding that needs. An odd total puts the extra pixel
    # after (bottom or right).
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, total // 2, total - total // 2
    # --8<-- [end:padding]


def _extract_windows(
    x: tf.Tensor,
    window: tuple[int, int],
    strides: tuple[int, int],
    dilation: tuple[int, int],
    padding: str,
    pad_value: float,
) -> tf.Tensor:
    """Gather, for every output position, the input values under its window (im2col).

    Returns a tensor of shape `(batch, out_height, out_width, taps, channels)`, where
    the `taps = window[0] * window[1]` positions of the window are in row-major order.
    """
    # --8<-- [start:windows]
    (kernel_h, kernel_w), (stride_h, stride_w), (dilation_h, dilation_w) = (
        window,
        strides,
        dilation,
    )
    span_h, span_w = (kernel_h - 1) * dilation_h + 1, (kernel_w - 1) * dilation_w + 1
    out_h, top, bottom = _output_size_and_padding(x.shape[1], span_h, stride_h, padding)
    out_w, left, right = _output_size_and_padding(x.shape[2], span_w, stride_w, padding)
    x = tf.pad(
        x, [[0, 0], [top, bottom], [left, right], [0, 0]], constant_values=pad_value
    )
    taps = []
    for i in range(kernel_h):
        for j in range(kernel_w):
            # Tap (i, j) of every window is the input shifted by (i, j) times the
            # dilation and read every `stride` pixels: one strided slice holds it for
            # all output positions.
            row, col = i * dilation_h, j * dilation_w
            rows = slice(row, row + (out_h - 1) * stride_h + 1, stride_h)
            cols = slice(col, col + (out_w - 1) * stride_w + 1, stride_w)
            taps.append(x[:, rows, cols, :])
    return tf.stack(taps, axis=3)
    # --8<-- [end:windows]


def conv2d(
    x: Any,
    kernel: Any,
    *,
    strides: Size2D = 1,
    padding: str = "valid",
    dilation: Size2D = 1,
) -> tf.Tensor:
    """Compute a 2D convolution from slicing, stacking and one
    `tf.einsum`, as `tf.nn.conv2d` does.

    Each output value is a weighted sum of the input values in a small window around its
    position, over all input channels, with the same weights at every position. As in
    every deep learning library, the kernel is not flipped: mathematically this is a
    cross-correlation. The windows are gathered into one tensor first (im2col), which
    costs `kernel_h * kernel_w` times the input's memory; `tf.nn.conv2d` computes the
    same values far more efficiently.

    Args:
        x: the images, shape `(batch, height, width, channels_in)` (NHWC); height and
            width must be known. Cast to the kernel's dtype.
        kernel: the weights, shape `(kernel_h, kernel_w, channels_in, channels_out)`
            (HWIO), floating point.
        strides: the step between neighbouring windows, an int or a `(height, width)`
            pair. Defaults to 1.
        padding: `"valid"` (windows inside the input only) or `"same"` (zero padding so
            that the output has `ceil(size / stride)` positions along each axis, with
            any odd pixel of padding at the bottom or right, as TensorFlow pads).
            Case-insensitive. Defaults to `"valid"`.
        dilation: the spacing between the kernel's taps, an int or a `(height, width)`
            pair; 1 is an ordinary convolution. Defaults to 1.

    Returns:
        A tensor of shape `(batch, out_height, out_width, channels_out)`.

    Raises:
        TypeError: if `kernel` is not floating point, or `strides` or `dilation` are not
            integers.
        ValueError: if a rank is wrong, the channels of `x` and `kernel` differ, a
            stride or dilation is not positive, `padding` is unknown, or with
            `padding="valid"` the (dilated) kernel is larger than the input.

    Examples:
        >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
        >>> window_sum = tf.ones((2, 2, 1, 1))
        >>> conv2d(x, window_sum, strides=2)[0, :, :, 0].numpy()
        array([[10., 18.],
               [42., 50.]], dtype=float32)
        >>> same = conv2d(x, window_sum, padding="same")
        >>> bool(tf.reduce_all(same == tf.nn.conv2d(x, window_sum, 1, "SAME")))
        True

    See: [Convolution and pooling](../vision/convolution-and-pooling.md)
    """
    kernel = _check_tensor_rank(
        kernel, 4, "kernel", "height, width, channels_in, channels_out"
    )
    if not kernel.dtype.is_floating:
        raise TypeError(
            "`kernel` must hold floating-point numbers. Received: "
            f"kernel.dtype={kernel.dtype.name}"
        )
    x = _check_images(x)
    if None not in (x.shape[3], kernel.shape[2]) and x.shape[3] != kernel.shape[2]:
        raise ValueError(
            "`kernel` must have as many input channels (its third axis) as `x` has "
            f"channels ({x.shape[3]}). Received: kernel.shape={_shape(kernel)}"
        )
    strides = check_size_pair(strides, "strides")
    dilation = check_size_pair(dilation, "dilation")
    padding = _check_padding(padding)
    window = (int(kernel.shape[0]), int(kernel.shape[1]))
    span = ((window[0] - 1) * dilation[0] + 1, (window[1] - 1) * dilation[1] + 1)
    _check_window_fits(
        x,
        span,
        padding,
        "kernel",
        f"kernel.shape={_shape(kernel)}, dilation={dilation}",
    )
    x = tf.cast(x, kernel.dtype)
    # --8<-- [start:conv2d]
    windows = _extract_windows(x, window, strides, dilation, padding, pad_value=0.0)
    # One (channels_in, channels_out) weight matrix per tap, in the
    # windows' row-major order.
    weights = tf.reshape(
        kernel, (window[0] * window[1], kernel.shape[2], kernel.shape[3])
    )
    # For each output position: sum over taps t and input channels c of window * weight.
    return tf.einsum("bhwtc,tco->bhwo", windows, weights)
    # --8<-- [end:conv2d]


def _check_pool_args(
    x: Any, pool_size: Any, strides: Any, padding: Any
) -> tuple[tf.Tensor, tuple[int, int], tuple[int, int], str]:
    x = _check_images(x)
    if not x.dtype.is_floating:
        raise TypeError(
            f"`x` must hold floating-point numbers. Received: x.dtype={x.dtype.name}"
        )
    window = check_size_pair(pool_size, "pool_size")
    steps = window if strides is None else check_size_pair(strides, "strides")
    padding = _check_padding(padding)
    _check_window_fits(x, window, padding, "pool_size", f"pool_size={pool_size!r}")
    return x, window, steps, padding


def max_pool2d(
    x: Any, *, pool_size: Size2D, strides: Size2D | None = None, padding: str = "valid"
) -> tf.Tensor:
    """Replace every window of each channel by its maximum, as `tf.nn.max_pool2d` does.

    Args:
        x: the images or feature maps, floating point, shape `(batch, height, width,
            channels)` with known height and width.
        pool_size: the window, an int or a `(height, width)` pair.
        strides: the step between windows, an int or a pair. Defaults to `None`, meaning
            `pool_size` (windows that touch without overlapping).
        padding: `"valid"` or `"same"`, with TensorFlow's arithmetic; padded positions
            never win the maximum. Case-insensitive. Defaults to `"valid"`.

    Returns:
        A tensor of shape `(batch, out_height, out_width, channels)`.

    Raises:
        TypeError: if `x` is not floating point or a size is not an integer.
        ValueError: if `x` is not of rank 4, a size is not positive, `padding` is
            unknown, or with `padding="valid"` the window is larger than the input.

    Examples:
        >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
        >>> max_pool2d(x, pool_size=2)[0, :, :, 0].numpy()
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)

    See: [Convolution and pooling](../vision/convolution-and-pooling.md)
    """
    x, window, strides, padding = _check_pool_args(x, pool_size, strides, padding)
    # --8<-- [start:max_pool2d]
    # Pad with -inf, so that a padded position never wins: TensorFlow
    # ignores padding in pools.
    windows = _extract_windows(x, window, strides, (1, 1), padding, pad_value=-np.inf)
    return tf.reduce_max(windows, axis=3)
    # --8<-- [end:max_pool2d]


def average_pool2d(
    x: Any, *, pool_size: Size2D, strides: Size2D | None = None, padding: str = "valid"
) -> tf.Tensor:
    """Replace every window of each channel by its mean, as `tf.nn.avg_pool2d` does.

    It takes the arguments of `max_pool2d`, returns a tensor of the same shape and
    raises the same errors. With `padding="same"`, a window that overlaps the padding
    averages only the input pixels it covers, as TensorFlow does: the padded zeros are
    not counted.

    Examples:
        >>> x = tf.reshape(tf.range(16.0), (1, 4, 4, 1))
        >>> pooled = average_pool2d(x, pool_size=3, strides=3, padding="same")
        >>> pooled[0, :, :, 0].numpy()
        array([[ 2.5,  4.5],
               [10.5, 12.5]], dtype=float32)

    See: [Convolution and pooling](../vision/convolution-and-pooling.md)
    """
    x, window, strides, padding = _check_pool_args(x, pool_size, strides, padding)
    windows = _extract_windows(x, window, strides, (1, 1), padding, pad_value=0.0)
    # How many real (unpadded) pixels each window covers: the same windows
    # over an image of ones.
    ones = tf.ones_like(x[:1, :, :, :1])
    counts = _extract_windows(ones, window, strides, (1, 1), padding, pad_value=0.0)
    return tf.reduce_sum(windows, axis=3) / tf.reduce_sum(counts, axis=3)
