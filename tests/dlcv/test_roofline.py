"""Tests for dlcv.roofline: the roofline plot and the CPU's theoretical peak."""

import math
import os

import pytest
from helpers.arguments import rejects_bad_arguments
from helpers.bench_reports import HARDWARE, make_measurement, make_report

import dlcv._cpuinfo
from dlcv.bench_report import BenchReport
from dlcv.roofline import estimate_cpu_peak, plot_roofline


def roofline_points(fig):
    return [tuple(p) for c in fig.axes[0].collections for p in c.get_offsets()]


def test_roofline_places_every_measurement_under_a_measured_roof():
    report = make_report()
    fig = plot_roofline(report)
    ax = fig.axes[0]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    points = roofline_points(fig)
    expected = [(m.intensity, m.flops_per_second) for m in report.measurements]
    for point, want in zip(sorted(points), sorted(expected), strict=True):
        assert point == pytest.approx(want)
    assert "measured roof" in ax.get_title()
    (roof,) = ax.get_lines()
    assert "measured roof" in roof.get_label()
    # The flat part of the roof is the best measured FLOP/s, the slope the measured bandwidth.
    assert max(roof.get_ydata()) == pytest.approx(4e9)
    x, y = roof.get_xdata()[0], roof.get_ydata()[0]
    assert y == pytest.approx(8e9 * x)


def test_roofline_with_given_peaks():
    fig = plot_roofline(make_report(), peak_flops=1e12, peak_bandwidth=1e11)
    ax = fig.axes[0]
    assert "peak roof" in ax.get_title()
    assert max(ax.get_lines()[0].get_ydata()) == pytest.approx(1e12)
    half = plot_roofline(make_report(), peak_flops=1e12)
    assert "measured bandwidth" in half.axes[0].get_title()


def test_roofline_rejects_what_it_cannot_draw():
    with pytest.raises(ValueError, match="`peak_flops` must be a positive number"):
        plot_roofline(make_report(), peak_flops=0)
    empty = BenchReport(HARDWARE, ())
    with pytest.raises(ValueError, match="must hold at least one measurement"):
        plot_roofline(empty)
    no_stream = BenchReport(HARDWARE, (make_measurement(),))
    with pytest.raises(ValueError, match="must hold a bandwidth measurement"):
        plot_roofline(no_stream)
    assert roofline_points(plot_roofline(no_stream, peak_bandwidth=1e10)) == [(20.0, 2e9)]


@pytest.fixture
def fake_cpu(tmp_path, monkeypatch):
    def make(flags, *, max_khz=None, siblings=2, cores=2):
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(
            f"processor\t: 0\nmodel name\t: Test\nsiblings\t: {siblings}\n"
            f"cpu cores\t: {cores}\ncpu MHz\t\t: 2300.000\nflags\t\t: {flags}\n\n"
            "processor\t: 1\nflags\t\t: sse\n"
        )
        frequency = tmp_path / "cpuinfo_max_freq"
        if max_khz is not None:
            frequency.write_text(f"{max_khz}\n")
        monkeypatch.setattr(dlcv._cpuinfo, "CPUINFO", cpuinfo)
        monkeypatch.setattr(dlcv._cpuinfo, "MAX_FREQUENCY", frequency)
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})

    return make


def test_estimate_cpu_peak_multiplies_the_documented_factors(fake_cpu):
    fake_cpu("fpu sse avx2 fma avx512f", max_khz=3_000_000, siblings=4, cores=2)
    peak = estimate_cpu_peak(fma_units=2)
    # 4 logical CPUs, 2 threads per core: 2 cores x 3 GHz x 2 FMA units x 16 lanes x 2.
    assert (peak.cores, peak.clock_hz, peak.simd_width) == (2, 3e9, 16)
    assert peak.flops_per_second == 2 * 3e9 * 2 * 16 * 2
    assert peak.clock_source.endswith("cpuinfo_max_freq")


def test_estimate_cpu_peak_with_avx2_and_a_given_clock(fake_cpu):
    fake_cpu("sse avx avx2 fma")
    assert estimate_cpu_peak(fma_units=2) is None  # no maximum clock: no guess
    peak = estimate_cpu_peak(fma_units=1, clock_hz=2.5e9)
    assert (peak.cores, peak.simd_width, peak.clock_source) == (4, 8, "given")
    assert peak.flops_per_second == 4 * 2.5e9 * 1 * 8 * 2


def test_estimate_cpu_peak_without_fma_is_none(fake_cpu):
    fake_cpu("sse sse2 avx", max_khz=3_000_000)
    assert estimate_cpu_peak(fma_units=2) is None


test_bad_arguments_are_rejected = rejects_bad_arguments(
    [
        (estimate_cpu_peak, {"fma_units": 0}, ValueError, "`fma_units` must be a positive"),
        (
            estimate_cpu_peak,
            {"fma_units": 2, "clock_hz": -1.0},
            ValueError,
            "`clock_hz` must be a positive number",
        ),
        (estimate_cpu_peak, {"fma_units": 2, "clock_hz": math.inf}, ValueError, "`clock_hz`"),
        (estimate_cpu_peak, {"fma_units": 2, "clock_hz": math.nan}, ValueError, "`clock_hz`"),
        (estimate_cpu_peak, {"fma_units": 2, "clock_hz": "3 GHz"}, TypeError, "`clock_hz`"),
        (estimate_cpu_peak, {"fma_units": 2, "clock_hz": True}, TypeError, "`clock_hz`"),
    ]
)
