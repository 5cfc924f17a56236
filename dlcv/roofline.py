"""Where measurements sit against what a device could do: the roofline plot and the
CPU's theoretical peak.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from dlcv._cpuinfo import max_clock_hz, read_cpuinfo
from dlcv._validation import check_positive_int, check_positive_number
from dlcv.bench_report import BenchReport, _check_report, _device_description

__all__ = ["CPUPeak", "estimate_cpu_peak", "plot_roofline"]


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

    See: [Accelerators compared](../hardware/accelerators.md)
    """

    cores: int
    clock_hz: float
    clock_source: str
    simd_width: int
    fma_units: int
    flops_per_second: float


def _check_peak(value: Any, name: str) -> float | None:
    return None if value is None else check_positive_number(value, name)


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
        >>> from dlcv.bench import run_benchmarks
        >>> report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[32])
        >>> fig = plot_roofline(report)
        >>> sum(len(points.get_offsets()) for points in fig.axes[0].collections)
        3

    See: [Accelerators compared](../hardware/accelerators.md)
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

    # Constrained layout makes room for the legend under the axes.
    fig = Figure(figsize=(5.6, 5.2), layout="constrained")
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
    # Under the axes, where it covers neither the roof nor a point; at the text size of
    # the rest of the figure, so that it stays readable when a page scales the figure.
    fig.legend(loc="outside lower center", ncols=2)
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

    See: [Accelerators compared](../hardware/accelerators.md)
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
