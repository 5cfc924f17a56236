"""Small, honest micro-benchmarks: what a device sustains on
products, convolutions and memory.

Every measurement runs a chain of identical operations inside one traced `tf.function`,
so neither Python nor per-call overhead is timed, and ends by copying one element of the
last result back to the host, so the clock stops only once the device has really
finished. Counting conventions, used throughout:

* One multiply-add is two floating-point operations (FLOPs).
* Bytes are the least traffic an operation needs: every operand read once and the result
  written once. Caches can make the real traffic smaller, write-allocate caches larger.
* Arithmetic intensity is FLOPs per byte; it places a measurement on a roofline.

Run `python -m dlcv.bench --help` for the command-line interface.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import numbers
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv._cpuinfo import max_clock_hz, read_cpuinfo
from dlcv._validation import (
    _is_int,
    check_non_negative_int,
    check_one_of,
    check_positive_int,
)
from dlcv.hardware import _check_device as _check_device_name
from dlcv.hardware import describe_hardware

__all__ = [
    "BenchReport",
    "CPUPeak",
    "Measurement",
    "estimate_cpu_peak",
    "format_report",
    "measure_bandwidth",
    "plot_roofline",
    "report_from_json",
    "report_to_json",
    "run_benchmarks",
    "time_conv2d",
    "time_matmul",
]

DTYPES = ("float32", "float16", "bfloat16", "float64")
KINDS = ("matmul", "conv2d", "bandwidth")

# Each timed call runs the operation often enough to last about this long, so the
# fixed cost of one call (tens to hundreds of microseconds) stays a small fraction
# of what is measured.
_TARGET_CALL_SECONDS = 0.01
_MAX_CHAIN = 1000


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One timed operation: how long it took, and the work and traffic it stands for.

    Attributes:
        kind: `"matmul"`, `"conv2d"` or `"bandwidth"`.
        dtype: the element type, e.g. `"float32"`.
        shape: what was computed: `(n, n, n)` for an n x n by n x n product; `(batch,
            height, width, in_channels, kernel_height, kernel_width, out_channels)` for
            a convolution; `(elements,)` for the bandwidth kernel.
        seconds: the median time of one operation, in seconds.
        flops: floating-point operations in one operation (a
            multiply-add counts as two).
        bytes: bytes one operation must move at least: operands read once,
            result written once.
        flops_per_second: `flops / seconds`.
        bytes_per_second: `bytes / seconds`.
        device: the device that ran it, e.g. `"/device:CPU:0"`.
    """

    kind: str
    dtype: str
    shape: tuple[int, ...]
    seconds: float
    flops: float
    bytes: float
    flops_per_second: float
    bytes_per_second: float
    device: str

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: FLOPs per byte moved."""
        return self.flops / self.bytes


@dataclasses.dataclass(frozen=True)
class BenchReport:
    """The result of `run_benchmarks`: the machine, and what was measured on it.

    Attributes:
        hardware: `describe_hardware()` as a JSON-ready dictionary.
        measurements: the measurements, in the order they were taken.
        skipped: one line per measurement the device could not run (e.g.
            an unsupported dtype).
    """

    hardware: dict[str, Any]
    measurements: tuple[Measurement, ...]
    skipped: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CPUPeak:
    """A CPU's theoretical float32 peak, and the facts it is derived from.

    Attributes:
        cores: physical cores this process may use.
        clock_hz: the clock frequency assumed, in hertz.
        clock_source: where that clock came from.
        simd_width: float32 lanes in one vector register (16 with AVX-512, 8 with AVX2).
        fma_units: fused multiply-add units per core, as the caller stated.
        flops_per_second: `cores * clock_hz * fma_units * simd_width * 2`.
    """

    cores: int
    clock_hz: float
    clock_source: str
    simd_width: int
    fma_units: int
    flops_per_second: float


def _check_device(device: Any) -> str | None:
    # A device that does not exist would not fail: TensorFlow would run
    # on another, silently.
    return None if device is None else _check_device_name(device, "device")


def _placement(device: str | None) -> contextlib.AbstractContextManager[Any]:
    return tf.device(device) if device is not None else contextlib.nullcontext()


def _device_name(tensor: tf.Tensor) -> str:
    spec = tf.DeviceSpec.from_string(tensor.device)
    if spec.device_type:
        return f"/device:{spec.device_type}:{spec.device_index}"
    return str(tensor.device)


def _orthogonal(n: int, dtype: str, seed: int) -> tf.Tensor:
    # A product of random Householder reflections I - 2vv'/v'v: dense, orthogonal, and
    # built in O(n^2) operations (a QR factorisation would take seconds at n = 4096).
    compute = tf.float64 if dtype == "float64" else tf.float32
    q = tf.eye(n, dtype=compute)
    for k in range(4):
        v = tf.random.stateless_normal((n, 1), seed=(seed, k), dtype=compute)
        q -= (2.0 / tf.reduce_sum(v * v)) * tf.matmul(
            tf.matmul(q, v), v, transpose_b=True
        )
    return tf.cast(q, dtype)


# --8<-- [start:time_matmul]
def _matmul_chain(
    n: int, dtype: str
) -> tuple[tf.Tensor, Callable[[tf.Tensor], tf.Tensor]]:
    """A random n x n matrix x, and the step y -> y @ q that a chain repeats.

    q is orthogonal, so repeated products neither overflow nor shrink towards
    zero, and each product needs the previous one: nothing can be skipped,
    reordered or computed only once.
    """
    x = tf.cast(
        tf.random.stateless_uniform((n, n), seed=(1, 0), minval=-1, maxval=1), dtype
    )
    q = _orthogonal(n, dtype, seed=2)
    return x, lambda y: tf.matmul(y, q)


def _time_chain(
    step: Callable[[tf.Tensor], tf.Tensor], x: tf.Tensor, *, repeats: int, warmup: int
) -> tuple[float, str]:
    """The median seconds per `step`, and the device that ran it."""

    def chain(x: tf.Tensor, count: tf.Tensor) -> tf.Tensor:
        _, y = tf.while_loop(
            lambda i, _: i < count, lambda i, y: (i + 1, step(y)), (tf.constant(0), x)
        )
        # One element of the last result: copying it to the host waits for the whole
        # chain, at the cost of a single number.
        return tf.reshape(y, [-1])[0]

    # Trace the graph now, so tracing is never inside the timed calls.
    run = tf.function(chain).get_concrete_function(x, tf.TensorSpec((), tf.int32))
    one = tf.constant(1)
    for _ in range(warmup):  # caches, clocks, kernel selection
        run(x, one).numpy()
    # Lengthen the chain until one call lasts about _TARGET_CALL_SECONDS, so that
    # the fixed cost of a call hardly counts. Doubling at least guards against
    # one slow first call.
    count = 1
    while count < _MAX_CHAIN:
        start = time.perf_counter()
        run(x, tf.constant(count)).numpy()
        elapsed = time.perf_counter() - start
        if elapsed >= _TARGET_CALL_SECONDS / 2:
            break
        count = min(
            _MAX_CHAIN,
            max(2 * count, math.ceil(count * _TARGET_CALL_SECONDS / elapsed)),
        )
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        last = run(x, tf.constant(count))
        last.numpy()  # waits until the device has finished
        times.append((time.perf_counter() - start) / count)
    return statistics.median(times), _device_name(last)


# --8<-- [end:time_matmul]


def _measurement(
    kind: str,
    dtype: str,
    shape: tuple[int, ...],
    seconds: float,
    flops: float,
    nbytes: float,
    device: str,
) -> Measurement:
    return Measurement(
        kind=kind,
        dtype=dtype,
        shape=shape,
        seconds=seconds,
        flops=flops,
        bytes=nbytes,
        flops_per_second=flops / seconds,
        bytes_per_second=nbytes / seconds,
        device=device,
    )


def _check_timing_args(dtype: Any, repeats: Any, warmup: Any, device: Any) -> None:
    check_one_of(dtype, "dtype", DTYPES)
    check_positive_int(repeats, "repeats")
    check_non_negative_int(warmup, "warmup")
    _check_device(device)


def time_matmul(
    n: int,
    *,
    dtype: str = "float32",
    repeats: int = 10,
    warmup: int = 2,
    device: str | None = None,
) -> Measurement:
    """Time the product of two n x n matrices, and the FLOP/s it sustains.

    Each timed call runs a chain of products y <- y @ q inside one traced `tf.function`,
    often enough to last about 10 ms, then copies one element of the result to the host:
    Python and per-call overhead are not timed, and the clock stops only once the device
    has really finished (GPUs otherwise return before the work is done). q is
    orthogonal, so the values keep their size however long the chain.

    One product counts `2 * n**3` FLOPs (n multiply-adds for each of the n**2 entries)
    and `3 * n**2` elements of traffic (two operands read, one result written), so its
    arithmetic intensity is `2 * n**3 / (3 * n**2 * bytes_per_element) = 2 * n / (3 *
    bytes_per_element)`.

    Args:
        n: the matrices' size.
        dtype: the element type: `"float32"`, `"float16"`, `"bfloat16"` or `"float64"`.
            Defaults to `"float32"`.
        repeats: how many timed calls to take the median of. Defaults to 10.
        warmup: how many untimed calls to run first (caches, clocks, autotuning).
            Defaults to 2.
        device: the device to run on, e.g. `"/device:GPU:0"`, or `None` for TensorFlow's
            default placement. Defaults to `None`.

    Returns:
        A `Measurement` of kind `"matmul"` with the median time per product.

    Raises:
        TypeError: if `n`, `repeats` or `warmup` is not an integer, or
            `device` not a string.
        ValueError: if `n` or `repeats` is not positive, `warmup` is negative, `dtype`
            is not supported or `device` is not a device of this process.

    Examples:
        >>> timing = time_matmul(64, repeats=3)
        >>> timing.kind, timing.shape, timing.flops == 2 * 64**3, timing.seconds > 0
        ('matmul', (64, 64, 64), True, True)

    See: docs/hardware/gpus-tpus-and-cuda.md
    """
    n = check_positive_int(n, "n")
    _check_timing_args(dtype, repeats, warmup, device)
    with _placement(device):
        x, step = _matmul_chain(n, dtype)
        seconds, used = _time_chain(step, x, repeats=repeats, warmup=warmup)
    itemsize = tf.as_dtype(dtype).size
    return _measurement(
        "matmul", dtype, (n, n, n), seconds, 2 * n**3, 3 * n**2 * itemsize, used
    )


def time_conv2d(
    size: int = 56,
    *,
    batch: int = 8,
    channels: int = 64,
    kernel_size: int = 3,
    dtype: str = "float32",
    repeats: int = 10,
    warmup: int = 2,
    device: str | None = None,
) -> Measurement:
    """Time a 2-D convolution (NHWC, stride 1, "same"
    padding), and the FLOP/s it sustains.

    The convolution maps `channels` channels to as many, so a chain y <- conv(y) can
    repeat it, timed as in `time_matmul`. Its kernel is an orthogonal channel mix at
    the centre tap plus small random weights elsewhere, so the values keep their
    size along the chain.

    FLOPs = `2 * N * H_out * W_out * K_h * K_w * C_in * C_out` (one multiply-add per
    kernel weight per output position, counting two; padded positions are counted too);
    bytes = input + kernel + output, each once.

    Args:
        size: the images' height and width. Defaults to 56.
        batch: images per batch (N). Defaults to 8.
        channels: input and output channels (C_in = C_out). Defaults to 64.
        kernel_size: the kernel's height and width (K_h = K_w). Defaults to 3.
        dtype: the element type, as for `time_matmul`. Defaults to `"float32"`.
        repeats: how many timed calls to take the median of. Defaults to 10.
        warmup: how many untimed calls to run first. Defaults to 2.
        device: the device to run on, or `None` for TensorFlow's default placement.
            Defaults to `None`.

    Returns:
        A `Measurement` of kind `"conv2d"` with the median time per convolution.

    Raises:
        TypeError: if a size, `repeats` or `warmup` is not an integer, or
            `device` not a string.
        ValueError: if a size or `repeats` is not positive, `warmup` is negative,
            `dtype` is not supported or `device` is not a device of this process.

    Examples:
        >>> timing = time_conv2d(8, batch=2, channels=4, repeats=2)
        >>> timing.shape, timing.flops == 2 * 2 * 8 * 8 * 3 * 3 * 4 * 4
        ((2, 8, 8, 4, 3, 3, 4), True)

    See: docs/hardware/accelerators.md
    """
    size = check_positive_int(size, "size")
    batch = check_positive_int(batch, "batch")
    channels = check_positive_int(channels, "channels")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    _check_timing_args(dtype, repeats, warmup, device)
    k, c = kernel_size, channels
    with _placement(device):
        x = tf.random.stateless_uniform(
            (batch, size, size, c), seed=(3, 0), minval=-1, maxval=1
        )
        x = tf.cast(x, dtype)
        small = 0.01 / math.sqrt(k * k * c)
        kernel = tf.random.stateless_uniform(
            (k, k, c, c), seed=(4, 0), minval=-small, maxval=small
        )
        centre = tf.one_hot(k // 2 * k + k // 2, k * k, dtype=tf.float32)
        mix = _orthogonal(c, "float32", seed=5)
        kernel = tf.cast(kernel + tf.reshape(centre, (k, k, 1, 1)) * mix, dtype)
        seconds, used = _time_chain(
            lambda y: tf.nn.conv2d(y, kernel, strides=1, padding="SAME"),
            x,
            repeats=repeats,
            warmup=warmup,
        )
    itemsize = tf.as_dtype(dtype).size
    flops = 2 * batch * size * size * k * k * c * c
    nbytes = (2 * batch * size * size * c + k * k * c * c) * itemsize
    shape = (batch, size, size, c, k, k, c)
    return _measurement("conv2d", dtype, shape, seconds, flops, nbytes, used)


def measure_bandwidth(
    mebibytes: int = 256,
    *,
    dtype: str = "float32",
    repeats: int = 10,
    warmup: int = 2,
    device: str | None = None,
) -> Measurement:
    """Measure memory bandwidth with the STREAM "scale"
    kernel, y = s * x, on a large array.

    Each step reads the array once and writes it once, so it counts `2 * mebibytes *
    2**20` bytes (and one FLOP per element, which puts it on a roofline at intensity `1
    / (2 * bytes_per_element)`). The chain y <- s * y, with s = 1 given at run time, is
    timed as in `time_matmul`. Arrays that fit in a cache measure the cache, not main
    memory: on CPUs, pick a size several times the last-level cache.

    Args:
        mebibytes: the array's size in MiB (2**20 bytes). Defaults to 256.
        dtype: the element type, as for `time_matmul`. Defaults to `"float32"`.
        repeats: how many timed calls to take the median of. Defaults to 10.
        warmup: how many untimed calls to run first. Defaults to 2.
        device: the device to run on, or `None` for TensorFlow's default placement.
            Defaults to `None`.

    Returns:
        A `Measurement` of kind `"bandwidth"`; its `bytes_per_second` is the bandwidth.

    Raises:
        TypeError: if `mebibytes`, `repeats` or `warmup` is not an integer, or
            `device` not a string.
        ValueError: if `mebibytes` or `repeats` is not positive, `warmup` is negative,
            `dtype` is not supported or `device` is not a device of this process.

    Examples:
        >>> timing = measure_bandwidth(1, repeats=2)
        >>> timing.kind, timing.bytes == 2 * 2**20, timing.bytes_per_second > 0
        ('bandwidth', True, True)

    See: docs/hardware/accelerators.md
    """
    mebibytes = check_positive_int(mebibytes, "mebibytes")
    _check_timing_args(dtype, repeats, warmup, device)
    itemsize = tf.as_dtype(dtype).size
    elements = mebibytes * 2**20 // itemsize
    with _placement(device):
        x = tf.cast(tf.random.stateless_uniform((elements,), seed=(6, 0)), dtype)
        # A run-time 1, not a constant: TensorFlow cannot simplify the
        # multiplication away.
        scale = tf.Variable(1.0, dtype=dtype, trainable=False)
        seconds, used = _time_chain(
            lambda y: y * scale, x, repeats=repeats, warmup=warmup
        )
    nbytes = 2 * elements * itemsize
    return _measurement(
        "bandwidth", dtype, (elements,), seconds, elements, nbytes, used
    )


def _check_choices(values: Any, name: str, options: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of names. Received: "
            f"{name}={values!r}"
        )
    return tuple(check_one_of(value, name, options) for value in values)


def _check_sizes(values: Any, name: str) -> tuple[int, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of positive integers. "
            f"Received: {name}={values!r}"
        )
    return tuple(check_positive_int(value, name) for value in values)


def _describe(measurement: Measurement) -> str:
    s = measurement.shape
    if measurement.kind == "matmul":
        return f"{s[0]}x{s[1]} @ {s[1]}x{s[2]}"
    if measurement.kind == "conv2d":
        return f"{s[0]}x{s[1]}x{s[2]}x{s[3]} * {s[4]}x{s[5]} -> {s[6]}"
    mib = s[0] * tf.as_dtype(measurement.dtype).size / 2**20
    return f"y = s*x, {mib:g} MiB"


def _progress_line(measurement: Measurement) -> str:
    line = f"{measurement.kind} {measurement.dtype} {_describe(measurement)}: "
    line += f"{measurement.seconds * 1e3:.3g} ms, "
    if measurement.kind == "bandwidth":
        return line + f"{measurement.bytes_per_second / 1e9:.1f} GB/s"
    return line + f"{measurement.flops_per_second / 1e9:.1f} GFLOP/s"


def run_benchmarks(
    *,
    quick: bool = False,
    dtypes: Sequence[str] = DTYPES,
    sizes: Sequence[int] | None = None,
    device: str | None = None,
    progress: Callable[[str], object] | None = None,
) -> BenchReport:
    """Measure matrix products, a convolution and memory bandwidth on one device.

    Matrix products run for every dtype and size, convolutions for every dtype,
    bandwidth in float32. A dtype the device cannot run (no kernel for it) is skipped
    and listed in the report's `skipped`, not raised.

    Args:
        quick: small sizes and 3 repeats (seconds on a laptop CPU) instead of 10 repeats
            on sizes up to 4096 (minutes on a CPU). Defaults to False.
        dtypes: the element types to measure. Defaults to all four of `DTYPES`.
        sizes: the matrix sizes n. Defaults to (128, 256, 512) when `quick`, else
            (256, 512, 1024, 2048, 4096).
        device: the device to run on, or `None` for TensorFlow's default placement.
            Defaults to `None`.
        progress: called with one line of text after each measurement, e.g. `print`, or
            `None` for silence. Defaults to `None`.

    Returns:
        A `BenchReport` holding `describe_hardware()` and the measurements.

    Raises:
        TypeError: if a size is not an integer, or `device` not a string.
        ValueError: if `dtypes` or `sizes` is empty or holds an unknown dtype or a size
            that is not positive, or `device` is not a device of this process.

    Examples:
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> tuple(m.kind for m in report.measurements)
        ('matmul', 'conv2d', 'bandwidth')

    See: docs/hardware/accelerators.md
    """
    dtypes = _check_choices(dtypes, "dtypes", DTYPES)
    sizes = _check_sizes(sizes, "sizes") if sizes is not None else None
    device = _check_device(device)
    if progress is not None and not callable(progress):
        raise TypeError(
            f"`progress` must be callable or None. Received: progress={progress!r}"
        )
    if sizes is None:
        sizes = (128, 256, 512) if quick else (256, 512, 1024, 2048, 4096)
    repeats, warmup = (3, 1) if quick else (10, 2)
    conv_size, conv_batch, conv_channels = (28, 4, 32) if quick else (56, 8, 64)
    mebibytes = 32 if quick else 256

    timings: list[tuple[str, Callable[[], Measurement]]] = []
    for dtype in dtypes:
        for n in sizes:
            matmul = partial(
                time_matmul,
                n,
                dtype=dtype,
                repeats=repeats,
                warmup=warmup,
                device=device,
            )
            timings.append((f"matmul {dtype} n={n}", matmul))
    for dtype in dtypes:
        conv2d = partial(
            time_conv2d,
            conv_size,
            batch=conv_batch,
            channels=conv_channels,
            dtype=dtype,
            repeats=repeats,
            warmup=warmup,
            device=device,
        )
        timings.append((f"conv2d {dtype}", conv2d))
    bandwidth = partial(
        measure_bandwidth, mebibytes, repeats=repeats, warmup=warmup, device=device
    )
    timings.append(("bandwidth float32", bandwidth))

    measurements, skipped = [], []
    unsupported = (
        tf.errors.NotFoundError,
        tf.errors.InvalidArgumentError,
        tf.errors.UnimplementedError,
    )
    for index, (label, timing) in enumerate(timings, start=1):
        try:
            measurement = timing()
        except unsupported as exc:
            reason = (
                str(exc.message).strip().splitlines()[0]
                if exc.message
                else type(exc).__name__
            )
            skipped.append(f"{label}: {reason}")
            line = f"{label}: skipped ({reason})"
        else:
            measurements.append(measurement)
            line = _progress_line(measurement)
        if progress is not None:
            progress(f"[{index}/{len(timings)}] {line}")
    # Through JSON and back, so the report compares equal to
    # `report_from_json` of itself.
    hardware = json.loads(json.dumps(dataclasses.asdict(describe_hardware())))
    return BenchReport(hardware, tuple(measurements), tuple(skipped))


def _check_report(report: Any) -> BenchReport:
    if not isinstance(report, BenchReport):
        raise TypeError(
            f"`report` must be a BenchReport. Received: report={type(report).__name__} "
            "object"
        )
    return report


def _device_description(report: BenchReport, device: str) -> str:
    for entry in report.hardware.get("devices", []):
        if entry.get("name") == device:
            return f"{device} ({entry.get('description', '?')})"
    return device


def format_report(report: BenchReport) -> str:
    """Format a `BenchReport` as a readable, aligned table.

    Args:
        report: what `run_benchmarks` returned.

    Returns:
        A header naming the device and versions, then one row per measurement: time per
        operation, GFLOP/s, GB/s (the least traffic, as counted by the measurement) and
        arithmetic intensity. No trailing newline.

    Raises:
        TypeError: if `report` is not a `BenchReport`.

    Examples:
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> row = format_report(report).splitlines()[3]
        >>> print(row)  # doctest: +NORMALIZE_WHITESPACE
        benchmark dtype shape ms/op GFLOP/s GB/s FLOP/byte

    See: docs/hardware/accelerators.md
    """
    report = _check_report(report)
    hw = report.hardware
    devices = sorted({m.device for m in report.measurements})
    lines = [
        "Device      "
        + (", ".join(_device_description(report, d) for d in devices) or "none"),
        f"Software    TensorFlow {hw.get('tensorflow_version', '?')}, "
        f"Keras {hw.get('keras_version', '?')}, Python {hw.get('python_version', '?')}",
        "",
    ]
    header = ("benchmark", "dtype", "shape", "ms/op", "GFLOP/s", "GB/s", "FLOP/byte")
    rows = [
        (
            m.kind,
            m.dtype,
            _describe(m),
            f"{m.seconds * 1e3:.3f}",
            f"{m.flops_per_second / 1e9:,.1f}",
            f"{m.bytes_per_second / 1e9:,.1f}",
            f"{m.intensity:,.2f}",
        )
        for m in report.measurements
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        left = [
            f"{cell:<{width}}" for cell, width in zip(row[:3], widths[:3], strict=True)
        ]
        right = [
            f"{cell:>{width}}" for cell, width in zip(row[3:], widths[3:], strict=True)
        ]
        lines.append("  ".join(left + right))
    lines.extend(f"skipped: {line}" for line in report.skipped)
    return "\n".join(lines)


def report_to_json(report: BenchReport) -> str:
    """Serialise a `BenchReport` as JSON: `{"hardware":
    ..., "measurements": [...], ...}`.

    Args:
        report: what `run_benchmarks` returned.

    Returns:
        The JSON text, indented; `report_from_json` reads it back.

    Raises:
        TypeError: if `report` is not a `BenchReport`.

    Examples:
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> report_from_json(report_to_json(report)) == report
        True

    See: docs/hardware/accelerators.md
    """
    report = _check_report(report)
    return json.dumps(dataclasses.asdict(report), indent=2)


def _check_measurement_values(entry: dict[str, Any]) -> None:
    """Raise `TypeError` if a measurement read from JSON
    holds a value of the wrong kind.
    """
    for name in ("kind", "dtype", "device"):
        if not isinstance(entry[name], str):
            raise TypeError(f"measurement field {name}={entry[name]!r}, not a string")
    shape = entry["shape"]
    if not isinstance(shape, list) or not all(
        _is_int(size) and size > 0 for size in shape
    ):
        raise TypeError(
            f"measurement field shape={shape!r}, not a list of positive integers"
        )
    for name in ("seconds", "flops", "bytes", "flops_per_second", "bytes_per_second"):
        value = entry[name]
        # Every one of them divides or is divided by another, so zero
        # is as wrong as "fast".
        if not (_is_real(value) and math.isfinite(value) and value > 0):
            raise TypeError(
                f"measurement field {name}={value!r}, not a positive number"
            )


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def report_from_json(text: str) -> BenchReport:
    """Read a `BenchReport` back from what `report_to_json` wrote.

    Args:
        text: the JSON text.

    Returns:
        The `BenchReport`.

    Raises:
        TypeError: if `text` is not a string.
        ValueError: if `text` is not such JSON.

    Examples:
        >>> report_from_json('{"hardware": {}, "measurements": []}').measurements
        ()

    See: docs/hardware/accelerators.md
    """
    if not isinstance(text, str):
        raise TypeError(
            f"`text` must be a JSON string. Received: text={type(text).__name__}"
        )
    fields = {field.name for field in dataclasses.fields(Measurement)}
    try:
        data = json.loads(text)
        entries = data["measurements"]
        if not isinstance(entries, list):
            raise TypeError(f"measurements={entries!r}, not a list")
        for entry in entries:
            if set(entry) != fields:
                raise KeyError(f"measurement fields {sorted(entry)}")
            _check_measurement_values(entry)
        if not isinstance(data["hardware"], dict):
            raise TypeError(f"hardware={data['hardware']!r}, not an object")
        report = BenchReport(
            dict(data["hardware"]),
            tuple(
                Measurement(**{**entry, "shape": tuple(entry["shape"])})
                for entry in entries
            ),
            tuple(data.get("skipped", ())),
        )
        if not all(isinstance(line, str) for line in report.skipped):
            raise TypeError(f"skipped lines {list(report.skipped)!r}")
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(
            "`text` must be JSON written by report_to_json. Received: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return report


def _check_peak(value: Any, name: str) -> float | None:
    if value is None:
        return None
    message = (
        f"`{name}` must be a positive number, finite, or None. Received: "
        f"{name}={value!r}"
    )
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(message)
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(message)
    return float(value)


def plot_roofline(
    report: BenchReport,
    *,
    peak_flops: float | None = None,
    peak_bandwidth: float | None = None,
) -> Figure:
    """Plot the measurements on a roofline: FLOP/s against
    arithmetic intensity, log-log.

    The roof is `min(peak_flops, peak_bandwidth * intensity)` (Williams, Waterman and
    Patterson, 2009). A peak that is not given is replaced by the best measured value
    (the highest FLOP/s of any measurement, the highest bandwidth of a `"bandwidth"`
    measurement), and the legend and title then say "measured roof". Intensity follows
    the measurements' own counts: an n x n matrix product does `2 n**3` FLOPs on `3
    n**2` elements, so its intensity is `2 n**3 / (3 n**2 * bytes_per_element)`. Small
    operations whose operands stay in a cache can sit above a roof drawn from
    main-memory bandwidth.

    Args:
        report: what `run_benchmarks` returned.
        peak_flops: the device's peak in FLOP/s, e.g. from its datasheet. Defaults to
            the best measured FLOP/s.
        peak_bandwidth: the device's peak memory bandwidth in bytes/s. Defaults to the
            best measured bandwidth.

    Returns:
        A Matplotlib `Figure` (not attached to `pyplot`); save it
        with `dlcv.save_figure`.

    Raises:
        TypeError: if `report` is not a `BenchReport`, or a peak is not a number.
        ValueError: if a peak is not positive and finite, or the report has nothing to
            plot or no bandwidth measurement and no `peak_bandwidth`.

    Examples:
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> fig = plot_roofline(report)
        >>> sum(len(points.get_offsets()) for points in fig.axes[0].collections)
        3

    See: docs/hardware/accelerators.md
    """
    report = _check_report(report)
    peak_flops = _check_peak(peak_flops, "peak_flops")
    peak_bandwidth = _check_peak(peak_bandwidth, "peak_bandwidth")
    points = [m for m in report.measurements if m.flops > 0 and m.bytes > 0]
    if not points:
        raise ValueError("`report` must hold at least one measurement. Received: none")
    streams = [m.bytes_per_second for m in points if m.kind == "bandwidth"]
    if peak_bandwidth is None and not streams:
        raise ValueError(
            "`report` must hold a bandwidth measurement, or `peak_bandwidth` be given. "
            "Received: no bandwidth measurement"
        )
    flops_roof = (
        peak_flops
        if peak_flops is not None
        else max(m.flops_per_second for m in points)
    )
    bandwidth_roof = peak_bandwidth if peak_bandwidth is not None else max(streams)
    measured = [
        name
        for name, given in (("FLOP/s", peak_flops), ("bandwidth", peak_bandwidth))
        if given is None
    ]
    kind_of_roof = "peak roof" if not measured else "measured roof"
    if measured and len(measured) < 2:
        kind_of_roof = f"roof (measured {measured[0]})"

    ridge = flops_roof / bandwidth_roof
    intensities = [m.intensity for m in points]
    low, high = min([*intensities, ridge]) / 4, max([*intensities, ridge]) * 4
    x = np.geomspace(low, high, 200)

    fig = Figure()
    ax = fig.subplots()
    ax.plot(
        x,
        np.minimum(flops_roof, bandwidth_roof * x),
        color="black",
        label=(
            f"{kind_of_roof}: {flops_roof / 1e9:,.0f} GFLOP/s, "
            f"{bandwidth_roof / 1e9:,.1f} GB/s"
        ),
    )
    # One colour per dtype, one marker per kind: one collection (and
    # legend entry) per pair.
    dtypes = list(dict.fromkeys(m.dtype for m in points))
    markers = {"matmul": "o", "conv2d": "s", "bandwidth": "^"}
    for kind in dict.fromkeys(m.kind for m in points):
        for dtype in dtypes:
            group = [m for m in points if m.kind == kind and m.dtype == dtype]
            if group:
                ax.scatter(
                    [m.intensity for m in group],
                    [m.flops_per_second for m in group],
                    marker=markers.get(kind, "o"),
                    color=f"C{dtypes.index(dtype) % 10}",
                    edgecolors="black",
                    linewidths=0.5,
                    zorder=3,
                    label=f"{kind}, {dtype}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
    ax.set_ylabel("FLOP/s")
    devices = ", ".join(
        _device_description(report, d) for d in sorted({m.device for m in points})
    )
    ax.set_title(f"Roofline of {devices}: {kind_of_roof}")
    ax.legend(loc="lower right", fontsize="small", ncols=2)
    return fig


def estimate_cpu_peak(
    *, fma_units: int, clock_hz: float | None = None
) -> CPUPeak | None:
    """Derive this CPU's theoretical float32 peak: cores x
    clock x FMA units x SIMD width x 2.

    The SIMD width comes from the `/proc/cpuinfo` flags (`avx512f`: 16 float32 lanes;
    `avx2` with `fma`: 8), the physical cores from this process's CPU affinity
    divided by the threads per core, and the clock from the kernel's
    `cpuinfo_max_freq`, the highest clock the core may run at. That is an upper
    bound: many CPUs lower their clock under heavy AVX-512 load. The number of FMA
    units per core is a per-model fact that no flag reveals (one on some Intel Xeon
    Silver and Bronze and on client Core CPUs with AVX-512, two on Xeon Gold and
    Platinum, for example), so the caller must state it. `/proc/cpuinfo`'s "cpu MHz"
    is the current clock, not the maximum, and is not used.

    Args:
        fma_units: fused multiply-add units per core (vector FMA pipes).
        clock_hz: the clock to assume instead of `cpuinfo_max_freq`, e.g. a datasheet's
            all-core turbo. Defaults to None.

    Returns:
        A `CPUPeak`, or `None` when the peak cannot be derived: not Linux on x86, no FMA
        or AVX2, or no clock known.

    Raises:
        TypeError: if `fma_units` is not an integer, or `clock_hz` is not a number.
        ValueError: if `fma_units` is not positive, or `clock_hz` is not a
            positive, finite number.

    Examples:
        >>> peak = estimate_cpu_peak(fma_units=2, clock_hz=3.0e9)
        >>> peak is None or peak.flops_per_second == (
        ...     peak.cores * 3.0e9 * 2 * peak.simd_width * 2)
        True

    See: docs/hardware/accelerators.md
    """
    fma_units = check_positive_int(fma_units, "fma_units")
    clock_hz = _check_peak(clock_hz, "clock_hz")
    fields = read_cpuinfo()
    flags = set(fields.get("flags", "").split())
    if "avx512f" in flags:
        simd_width = 16
    elif {"avx2", "fma"} <= flags:
        simd_width = 8
    else:
        return None
    if clock_hz is not None:
        source = "given"
    elif (maximum := max_clock_hz()) is not None:
        clock_hz, source = maximum
    else:
        return None
    logical = (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count()
    )
    try:
        threads_per_core = max(1, int(fields["siblings"]) // int(fields["cpu cores"]))
    except (KeyError, ValueError):
        threads_per_core = 1
    cores = max(1, (logical or 1) // threads_per_core)
    flops = cores * clock_hz * fma_units * simd_width * 2
    return CPUPeak(cores, clock_hz, source, simd_width, fma_units, flops)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlcv.bench",
        description=(
            "Measure matrix-product and convolution throughput and memory bandwidth on "
            "this machine. Progress goes to stderr, the table (or JSON) to stdout."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, 3 repeats (seconds)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON instead of a table"
    )
    parser.add_argument(
        "--dtype",
        action="append",
        choices=DTYPES,
        help="a dtype to measure (repeatable)",
    )
    parser.add_argument(
        "--size",
        action="append",
        type=int,
        help="a matrix size n to measure (repeatable)",
    )
    parser.add_argument("--device", help="a TensorFlow device name, e.g. /device:GPU:0")
    args = parser.parse_args(argv)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        report = run_benchmarks(
            quick=args.quick,
            dtypes=args.dtype or DTYPES,
            sizes=args.size,
            device=args.device,
            progress=progress,
        )
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    print(report_to_json(report) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
