"""Small, honest micro-benchmarks: how fast this machine multiplies matrices."""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
import time

import tensorflow as tf

from dlcv._validation import check_non_negative_int, check_one_of, check_positive_int

__all__ = [
    "MatmulTiming",
    "time_matmul",
]

_DTYPES = ("float32", "float16", "bfloat16", "float64")


@dataclasses.dataclass(frozen=True)
class MatmulTiming:
    """The measured speed of one n x n by n x n matrix product.

    Attributes:
        n: the matrices' size.
        dtype: their element type, e.g. `"float32"`.
        seconds: the median time of one product, in seconds.
        flops_per_second: floating-point operations per second, counting `2 * n**3` per product.
        device: the device that computed it, e.g. `"/device:CPU:0"`.
    """

    n: int
    dtype: str
    seconds: float
    flops_per_second: float
    device: str


def time_matmul(
    n: int,
    *,
    dtype: str = "float32",
    repeats: int = 10,
    warmup: int = 2,
    device: str | None = None,
) -> MatmulTiming:
    """Time the product of two random n x n matrices.

    The product runs inside a traced `tf.function`, so Python overhead is not timed, and each
    timed call reduces the product to a scalar that is copied back to the host: the clock stops
    only once the device has really finished (GPUs otherwise return before the work is done).

    Args:
        n: the matrices' size.
        dtype: the element type: `"float32"`, `"float16"`, `"bfloat16"` or `"float64"`.
            Defaults to `"float32"`.
        repeats: how many timed products to take the median of. Defaults to 10.
        warmup: how many untimed products to run first (caches, clocks, autotuning).
            Defaults to 2.
        device: the device to run on, e.g. `"/device:GPU:0"`, or `None` for TensorFlow's
            default placement. Defaults to `None`.

    Returns:
        A `MatmulTiming` with the median time per product and the resulting FLOP/s.

    Raises:
        TypeError: if `n`, `repeats` or `warmup` is not an integer.
        ValueError: if `n` or `repeats` is not positive, `warmup` is negative or `dtype` is
            not supported.

    Example:
        >>> timing = time_matmul(64, repeats=3)
        >>> timing.n, timing.dtype, timing.seconds > 0
        (64, 'float32', True)

    See: docs/hardware/gpus-tpus-and-cuda.md
    """
    n = check_positive_int(n, "n")
    dtype = check_one_of(dtype, "dtype", _DTYPES)
    repeats = check_positive_int(repeats, "repeats")
    warmup = check_non_negative_int(warmup, "warmup")
    if device is not None and not isinstance(device, str):
        raise TypeError(f"`device` must be a device name or None. Received: device={device!r}")

    placement = tf.device(device) if device is not None else contextlib.nullcontext()
    with placement:
        # --8<-- [start:time_matmul]
        a = tf.cast(tf.random.stateless_uniform((n, n), seed=(1, 0)), dtype)
        b = tf.cast(tf.random.stateless_uniform((n, n), seed=(2, 0)), dtype)

        def product_total(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
            # Summing costs n**2 additions next to the product's 2 * n**3 operations, and
            # gives a scalar that is cheap to copy back to the host.
            return tf.reduce_sum(tf.matmul(x, y))

        # Trace the graph now, so tracing is never inside the timed calls.
        step = tf.function(product_total).get_concrete_function(a, b)
        for _ in range(warmup):
            step(a, b).numpy()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            total = step(a, b)
            total.numpy()  # waits until the device has finished the product
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        flops_per_second = 2 * n**3 / seconds
        # --8<-- [end:time_matmul]

    spec = tf.DeviceSpec.from_string(total.device)
    used = f"/device:{spec.device_type}:{spec.device_index}" if spec.device_type else total.device
    return MatmulTiming(
        n=n, dtype=dtype, seconds=seconds, flops_per_second=flops_per_second, device=used
    )
