"""What a benchmark run measured: its records, a readable table, and JSON that
reads back.

`dlcv.bench` takes the measurements; this module holds what they produce, so a report
saved on one machine can be read, printed and plotted (`dlcv.plot_roofline`) on
another.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import tensorflow as tf

from dlcv._table import align_columns
from dlcv._validation import _is_int, _is_real

__all__ = [
    "BenchReport",
    "Measurement",
    "format_report",
    "report_from_json",
    "report_to_json",
]


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
        flops_per_second: `flops / seconds`, derived: the constructor does not take it.
        bytes_per_second: `bytes / seconds`, derived likewise.
        device: the device that ran it, e.g. `"/device:CPU:0"`.

    See: [Accelerators compared](../hardware/accelerators.md)
    """

    kind: str
    dtype: str
    shape: tuple[int, ...]
    seconds: float
    flops: float
    bytes: float
    device: str
    # Derived, so that a rate can never disagree with the time and the work.
    flops_per_second: float = dataclasses.field(init=False)
    bytes_per_second: float = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "flops_per_second", self.flops / self.seconds)
        object.__setattr__(self, "bytes_per_second", self.bytes / self.seconds)

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

    See: [Accelerators compared](../hardware/accelerators.md)
    """

    hardware: dict[str, Any]
    measurements: tuple[Measurement, ...]
    skipped: tuple[str, ...] = ()


def _describe(measurement: Measurement) -> str:
    s = measurement.shape
    if measurement.kind == "matmul":
        return f"{s[0]}x{s[1]} @ {s[1]}x{s[2]}"
    if measurement.kind == "conv2d":
        return f"{s[0]}x{s[1]}x{s[2]}x{s[3]} * {s[4]}x{s[5]} -> {s[6]}"
    mib = s[0] * tf.as_dtype(measurement.dtype).size / 2**20
    return f"y = s*x, {mib:g} MiB"


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
        >>> from dlcv.bench import run_benchmarks
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> row = format_report(report).splitlines()[3]
        >>> print(row)  # doctest: +NORMALIZE_WHITESPACE
        benchmark dtype shape ms/op GFLOP/s GB/s FLOP/byte

    See: [Accelerators compared](../hardware/accelerators.md)
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
    lines.extend(align_columns([header, *rows], "<<<>>>>"))
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
        >>> from dlcv.bench import run_benchmarks
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> report_from_json(report_to_json(report)) == report
        True

    See: [Accelerators compared](../hardware/accelerators.md)
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

    See: [Accelerators compared](../hardware/accelerators.md)
    """
    if not isinstance(text, str):
        raise TypeError(
            f"`text` must be a JSON string. Received: text={type(text).__name__}"
        )
    fields = {field.name for field in dataclasses.fields(Measurement)}
    # The rates are in the JSON too, but the constructor derives them again.
    given = [field.name for field in dataclasses.fields(Measurement) if field.init]
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
                Measurement(
                    **{name: entry[name] for name in given if name != "shape"},
                    shape=tuple(entry["shape"]),
                )
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
