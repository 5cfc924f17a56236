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

The results are `dlcv.bench_report` records, printed as a table or saved as JSON;
`dlcv.roofline` draws them against the device's peaks.

Run `python -m dlcv.bench --help` for the command-line interface.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple, TypedDict, Unpack

import tensorflow as tf

from dlcv._validation import (
    check_non_negative_int,
    check_one_of,
    check_positive_int,
)
from dlcv.bench_report import (
    BenchReport,
    Measurement,
    _describe,
    format_report,
    report_to_json,
)
from dlcv.hardware import _check_device as _check_device_name, describe_hardware

__all__ = [
    "measure_bandwidth",
    "run_benchmarks",
    "time_conv2d",
    "time_matmul",
]

DTYPES = ("float32", "float16", "bfloat16", "float64")

# Each timed call runs the operation often enough to last about this long, so the
# fixed cost of one call (tens to hundreds of microseconds) stays a small fraction
# of what is measured.
_TARGET_CALL_SECONDS = 0.01
_MAX_CHAIN = 1000


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


class _TimingOptions(TypedDict, total=False):
    """How every timing runs; `_time_operation` states the defaults."""

    dtype: str
    repeats: int
    warmup: int
    device: str | None


class _Operation(NamedTuple):
    """What a timing repeats: the input, the step `y -> f(y)` that a chain applies, and
    the shape, FLOPs and bytes of one step (see the module's counting conventions).
    """

    x: tf.Tensor
    step: Callable[[tf.Tensor], tf.Tensor]
    shape: tuple[int, ...]
    flops: float
    bytes: float


def _time_operation(
    caller: str,
    kind: str,
    prepare: Callable[[str], _Operation],
    timing: _TimingOptions,
) -> Measurement:
    """Check the timing options given to `caller`, build the operation in `dtype` on
    `device`, and time it as a `Measurement` of `kind`. The options' defaults are here.
    """
    unknown = sorted(set(timing) - _TimingOptions.__optional_keys__)
    if unknown:
        raise TypeError(
            f"`{caller}` takes the timing options `dtype`, `repeats`, `warmup` and "
            f"`device`. Received: {unknown[0]}={timing[unknown[0]]!r}"  # type: ignore[literal-required]
        )
    dtype = check_one_of(timing.get("dtype", "float32"), "dtype", DTYPES)
    repeats = check_positive_int(timing.get("repeats", 10), "repeats")
    warmup = check_non_negative_int(timing.get("warmup", 2), "warmup")
    device = _check_device(timing.get("device"))
    with _placement(device):
        operation = prepare(dtype)
        seconds, used = _time_chain(
            operation.step, operation.x, repeats=repeats, warmup=warmup
        )
    return Measurement(
        kind, dtype, operation.shape, seconds, operation.flops, operation.bytes, used
    )


def time_matmul(n: int, **timing: Unpack[_TimingOptions]) -> Measurement:
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
        **timing: how to time it, by keyword; `time_conv2d` and `measure_bandwidth`
            take the same.

            - `dtype`: the element type: `"float32"`, `"float16"`, `"bfloat16"` or
              `"float64"`. Defaults to `"float32"`.
            - `repeats`: how many timed calls to take the median of. Defaults to 10.
            - `warmup`: how many untimed calls to run first (caches, clocks,
              autotuning). Defaults to 2.
            - `device`: the device to run on, e.g. `"/device:GPU:0"`, or `None` for
              TensorFlow's default placement. Defaults to `None`.

    Returns:
        A `Measurement` of kind `"matmul"` with the median time per product.

    Raises:
        TypeError: if `n`, `repeats` or `warmup` is not an integer, `device` not a
            string, or an option is not one of the four above.
        ValueError: if `n` or `repeats` is not positive, `warmup` is negative, `dtype`
            is not supported or `device` is not a device of this process.

    Examples:
        >>> timing = time_matmul(64, repeats=3)
        >>> timing.kind, timing.shape, timing.flops == 2 * 64**3, timing.seconds > 0
        ('matmul', (64, 64, 64), True, True)

    See: [GPUs, TPUs and CUDA](../hardware/gpus-tpus-and-cuda.md)
    """
    n = check_positive_int(n, "n")

    def prepare(dtype: str) -> _Operation:
        x, step = _matmul_chain(n, dtype)
        itemsize = tf.as_dtype(dtype).size
        return _Operation(x, step, (n, n, n), 2 * n**3, 3 * n**2 * itemsize)

    return _time_operation("time_matmul", "matmul", prepare, timing)


def time_conv2d(
    size: int = 56,
    *,
    batch: int = 8,
    channels: int = 64,
    kernel_size: int = 3,
    **timing: Unpack[_TimingOptions],
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
        **timing: `dtype`, `repeats`, `warmup` and `device`, as for `time_matmul`.

    Returns:
        A `Measurement` of kind `"conv2d"` with the median time per convolution.

    Raises:
        TypeError: if a size is not an integer, or as `time_matmul` raises.
        ValueError: if a size is not positive, or as `time_matmul` raises.

    Examples:
        >>> timing = time_conv2d(8, batch=2, channels=4, repeats=2)
        >>> timing.shape, timing.flops == 2 * 2 * 8 * 8 * 3 * 3 * 4 * 4
        ((2, 8, 8, 4, 3, 3, 4), True)

    See: [Accelerators compared](../hardware/accelerators.md)
    """
    size = check_positive_int(size, "size")
    batch = check_positive_int(batch, "batch")
    channels = check_positive_int(channels, "channels")
    kernel_size = check_positive_int(kernel_size, "kernel_size")
    k, c = kernel_size, channels

    def prepare(dtype: str) -> _Operation:
        x = tf.random.stateless_uniform(
            (batch, size, size, c), seed=(3, 0), minval=-1, maxval=1
        )
        small = 0.01 / math.sqrt(k * k * c)
        kernel = tf.random.stateless_uniform(
            (k, k, c, c), seed=(4, 0), minval=-small, maxval=small
        )
        centre = tf.one_hot(k // 2 * k + k // 2, k * k, dtype=tf.float32)
        mix = _orthogonal(c, "float32", seed=5)
        kernel = tf.cast(kernel + tf.reshape(centre, (k, k, 1, 1)) * mix, dtype)
        itemsize = tf.as_dtype(dtype).size
        return _Operation(
            tf.cast(x, dtype),
            lambda y: tf.nn.conv2d(y, kernel, strides=1, padding="SAME"),
            (batch, size, size, c, k, k, c),
            2 * batch * size * size * k * k * c * c,
            (2 * batch * size * size * c + k * k * c * c) * itemsize,
        )

    return _time_operation("time_conv2d", "conv2d", prepare, timing)


def measure_bandwidth(
    mebibytes: int = 256, **timing: Unpack[_TimingOptions]
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
        **timing: `dtype`, `repeats`, `warmup` and `device`, as for `time_matmul`.

    Returns:
        A `Measurement` of kind `"bandwidth"`; its `bytes_per_second` is the bandwidth.

    Raises:
        TypeError: if `mebibytes` is not an integer, or as `time_matmul` raises.
        ValueError: if `mebibytes` is not positive, or as `time_matmul` raises.

    Examples:
        >>> timing = measure_bandwidth(1, repeats=2)
        >>> timing.kind, timing.bytes == 2 * 2**20, timing.bytes_per_second > 0
        ('bandwidth', True, True)

    See: [Accelerators compared](../hardware/accelerators.md)
    """
    mebibytes = check_positive_int(mebibytes, "mebibytes")

    def prepare(dtype: str) -> _Operation:
        itemsize = tf.as_dtype(dtype).size
        elements = mebibytes * 2**20 // itemsize
        x = tf.cast(tf.random.stateless_uniform((elements,), seed=(6, 0)), dtype)
        # A run-time 1, not a constant: TensorFlow cannot simplify the
        # multiplication away.
        scale = tf.Variable(1.0, dtype=dtype, trainable=False)
        return _Operation(
            x, lambda y: y * scale, (elements,), elements, 2 * elements * itemsize
        )

    return _time_operation("measure_bandwidth", "bandwidth", prepare, timing)


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

    See: [Accelerators compared](../hardware/accelerators.md)
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

    def timed(dtype: str) -> _TimingOptions:
        return {"dtype": dtype, "repeats": repeats, "warmup": warmup, "device": device}

    timings: list[tuple[str, Callable[[], Measurement]]] = []
    for dtype in dtypes:
        for n in sizes:
            matmul = partial(time_matmul, n, **timed(dtype))
            timings.append((f"matmul {dtype} n={n}", matmul))
    for dtype in dtypes:
        conv2d = partial(
            time_conv2d,
            conv_size,
            batch=conv_batch,
            channels=conv_channels,
            **timed(dtype),
        )
        timings.append((f"conv2d {dtype}", conv2d))
    timings.append(
        ("bandwidth float32", partial(measure_bandwidth, mebibytes, **timed("float32")))
    )

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
