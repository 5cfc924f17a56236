"""Tests for dlcv.bench."""

import dataclasses
import json
import math
import os
import subprocess
import sys

import pytest
import tensorflow as tf

import dlcv._cpuinfo
import dlcv.bench
from dlcv.bench import (
    BenchReport,
    Measurement,
    estimate_cpu_peak,
    format_report,
    measure_bandwidth,
    plot_roofline,
    report_from_json,
    report_to_json,
    run_benchmarks,
    time_conv2d,
    time_matmul,
)


def make_measurement(kind="matmul", dtype="float32", flops=2e6, nbytes=1e5, seconds=1e-3):
    return Measurement(
        kind=kind,
        dtype=dtype,
        shape=(100, 100, 100) if kind == "matmul" else (1000,),
        seconds=seconds,
        flops=flops,
        bytes=nbytes,
        flops_per_second=flops / seconds,
        bytes_per_second=nbytes / seconds,
        device="/device:CPU:0",
    )


HARDWARE = {
    "tensorflow_version": "2.21.0",
    "keras_version": "3.15.1",
    "python_version": "3.11.7",
    "devices": [{"name": "/device:CPU:0", "device_type": "CPU", "description": "Test CPU"}],
}


def make_report():
    return BenchReport(
        HARDWARE,
        (
            make_measurement(),
            make_measurement(dtype="float16", flops=2e6, nbytes=5e4, seconds=5e-4),
            make_measurement("bandwidth", flops=1e6, nbytes=8e6, seconds=1e-3),
        ),
    )


def test_time_matmul_counts_flops_and_bytes():
    timing = time_matmul(128, repeats=3, warmup=1)
    assert isinstance(timing, Measurement)
    assert (timing.kind, timing.dtype, timing.shape) == ("matmul", "float32", (128, 128, 128))
    assert timing.flops == 2 * 128**3
    assert timing.bytes == 3 * 128**2 * 4
    assert timing.intensity == pytest.approx(2 * 128 / (3 * 4))
    assert timing.seconds > 0
    assert timing.flops_per_second == pytest.approx(timing.flops / timing.seconds)
    assert timing.bytes_per_second == pytest.approx(timing.bytes / timing.seconds)
    assert timing.device.startswith("/device:")
    with pytest.raises(dataclasses.FrozenInstanceError):
        timing.seconds = 1.0


def test_time_matmul_on_an_explicit_device_and_dtype():
    timing = time_matmul(32, dtype="float64", repeats=1, warmup=0, device="/device:CPU:0")
    assert timing.device == "/device:CPU:0"
    assert timing.dtype == "float64"
    assert timing.bytes == 3 * 32**2 * 8


def test_bigger_products_take_longer():
    small = time_matmul(64, repeats=5)
    large = time_matmul(512, repeats=5)
    # 512 cubed is 512 times 64 cubed: even with overheads the big product must be slower.
    assert large.seconds > small.seconds


def test_chained_products_keep_their_size():
    # The chain multiplies by an orthogonal matrix: norms are kept, in low precision too.
    q = dlcv.bench._orthogonal(64, "float32", seed=2)
    assert tf.reduce_max(tf.abs(tf.matmul(q, q, transpose_b=True) - tf.eye(64))) < 1e-5
    x, step = dlcv.bench._matmul_chain(64, "bfloat16")
    y = x
    for _ in range(200):
        y = step(y)
    ratio = tf.norm(tf.cast(y, tf.float32)) / tf.norm(tf.cast(x, tf.float32))
    assert 0.5 < float(ratio) < 2.0


def test_time_conv2d_counts_flops_and_bytes():
    timing = time_conv2d(6, batch=2, channels=3, kernel_size=5, repeats=2, warmup=1)
    assert timing.kind == "conv2d"
    assert timing.shape == (2, 6, 6, 3, 5, 5, 3)
    # 2 * N * H_out * W_out * K_h * K_w * C_in * C_out, with "same" padding H_out = H.
    assert timing.flops == 2 * 2 * 6 * 6 * 5 * 5 * 3 * 3
    assert timing.bytes == (2 * (2 * 6 * 6 * 3) + 5 * 5 * 3 * 3) * 4
    assert timing.flops_per_second == pytest.approx(timing.flops / timing.seconds)


@pytest.mark.parametrize(("dtype", "itemsize"), [("float32", 4), ("float16", 2)])
def test_measure_bandwidth_counts_a_read_and_a_write(dtype, itemsize):
    timing = measure_bandwidth(1, dtype=dtype, repeats=2, warmup=1)
    assert timing.kind == "bandwidth"
    assert timing.shape == (2**20 // itemsize,)
    assert timing.bytes == 2 * 2**20
    assert timing.flops == 2**20 // itemsize
    assert timing.intensity == pytest.approx(1 / (2 * itemsize))
    assert timing.bytes_per_second == pytest.approx(timing.bytes / timing.seconds)


@pytest.mark.parametrize(
    ("function", "kwargs", "error", "phrase"),
    [
        (time_matmul, {"n": 0}, ValueError, "`n` must be a positive integer"),
        (time_matmul, {"n": 2.5}, TypeError, "`n` must be a positive integer"),
        (time_matmul, {"n": 8, "dtype": "int8"}, ValueError, "`dtype` must be one of 'float32'"),
        (time_matmul, {"n": 8, "repeats": 0}, ValueError, "`repeats` must be a positive integer"),
        (time_matmul, {"n": 8, "warmup": -1}, ValueError, "`warmup` must be a non-negative"),
        (time_matmul, {"n": 8, "device": 0}, TypeError, "`device` must be a device name"),
        (time_conv2d, {"size": 0}, ValueError, "`size` must be a positive integer"),
        (time_conv2d, {"channels": True}, TypeError, "`channels` must be a positive integer"),
        (time_conv2d, {"kernel_size": -3}, ValueError, "`kernel_size` must be a positive"),
        (measure_bandwidth, {"mebibytes": 0}, ValueError, "`mebibytes` must be a positive"),
        (measure_bandwidth, {"dtype": "int32"}, ValueError, "`dtype` must be one of"),
        (run_benchmarks, {"dtypes": []}, ValueError, "`dtypes` must be a non-empty sequence"),
        (run_benchmarks, {"dtypes": "float32"}, ValueError, "`dtypes` must be a non-empty"),
        (run_benchmarks, {"dtypes": ["int8"]}, ValueError, "`dtypes` must be one of"),
        (run_benchmarks, {"sizes": [64, 0]}, ValueError, "`sizes` must be a positive integer"),
        (run_benchmarks, {"sizes": []}, ValueError, "`sizes` must be a non-empty sequence"),
        (run_benchmarks, {"progress": "yes"}, TypeError, "`progress` must be callable"),
        (format_report, {"report": {}}, TypeError, "`report` must be a BenchReport"),
        (report_to_json, {"report": None}, TypeError, "`report` must be a BenchReport"),
        (report_from_json, {"text": b"{}"}, TypeError, "`text` must be a JSON string"),
        (report_from_json, {"text": "{}"}, ValueError, "must be JSON written by report_to_json"),
        (report_from_json, {"text": "[1"}, ValueError, "must be JSON written by report_to_json"),
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
        (time_matmul, {"n": 8, "device": "/gpu:4096"}, ValueError, "`device` must name a device"),
        (time_conv2d, {"device": "/cpu:9"}, ValueError, "`device` must name a device"),
        (measure_bandwidth, {"device": "/tpu:0"}, ValueError, "`device` must name a device"),
        (run_benchmarks, {"device": "/gpu:4096"}, ValueError, "`device` must name a device"),
    ],
)
def test_bad_arguments_are_rejected(function, kwargs, error, phrase):
    with pytest.raises(error, match=phrase):
        function(**kwargs)


def test_run_benchmarks_measures_every_kind_and_reports_progress():
    lines = []
    report = run_benchmarks(quick=True, dtypes=["float32", "bfloat16"], sizes=[16, 32],
                            progress=lines.append)  # fmt: skip
    kinds = [(m.kind, m.dtype) for m in report.measurements]
    assert kinds == [
        ("matmul", "float32"),
        ("matmul", "float32"),
        ("matmul", "bfloat16"),
        ("matmul", "bfloat16"),
        ("conv2d", "float32"),
        ("conv2d", "bfloat16"),
        ("bandwidth", "float32"),
    ]
    assert [m.shape[0] for m in report.measurements[:4]] == [16, 32, 16, 32]
    assert len(lines) == 7
    assert lines[0].startswith("[1/7] matmul float32 16x16 @ 16x16: ")
    assert lines[0].endswith("GFLOP/s")
    assert lines[-1].endswith("GB/s")
    assert report.hardware["devices"][0]["device_type"] == "CPU"
    assert report.skipped == ()


def test_run_benchmarks_skips_what_the_device_cannot_run(monkeypatch):
    def unsupported(*args, **kwargs):
        raise tf.errors.NotFoundError(None, None, "No registered 'Conv2D' OpKernel\nmore")

    monkeypatch.setattr(dlcv.bench, "time_conv2d", unsupported)
    lines = []
    report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[16], progress=lines.append)
    assert [m.kind for m in report.measurements] == ["matmul", "bandwidth"]
    assert report.skipped == ("conv2d float32: No registered 'Conv2D' OpKernel",)
    assert "skipped" in lines[1]
    assert "skipped: conv2d float32" in format_report(report)


def test_format_report_is_an_aligned_table():
    report = make_report()
    lines = format_report(report).splitlines()
    assert lines[0] == "Device      /device:CPU:0 (Test CPU)"
    assert "TensorFlow 2.21.0" in lines[1]
    table = lines[3:]
    assert table[0].split() == ["benchmark", "dtype", "shape", "ms/op", "GFLOP/s", "GB/s",
                                "FLOP/byte"]  # fmt: skip
    assert len(table) == 1 + len(report.measurements)
    assert len({len(line) for line in table}) == 1  # right-aligned numbers: equal widths
    assert table[1].split()[:2] == ["matmul", "float32"]
    assert table[1].split()[-3:] == ["2.0", "0.1", "20.00"]
    assert "y = s*x" in table[3]


def test_json_round_trip_keeps_everything():
    report = make_report()
    text = report_to_json(report)
    data = json.loads(text)
    assert data["hardware"]["devices"][0]["description"] == "Test CPU"
    assert data["measurements"][0]["flops_per_second"] == pytest.approx(2e9)
    assert report_from_json(text) == report
    data["measurements"][0]["unexpected"] = 1
    with pytest.raises(ValueError, match="must be JSON written by report_to_json"):
        report_from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seconds", "fast"),
        ("seconds", 0),
        ("seconds", -1.0),
        ("flops", None),
        ("bytes", True),
        ("flops_per_second", [1]),
        ("shape", "64x64"),
        ("shape", [64, -1]),
        ("kind", 3),
        ("device", None),
    ],
)
def test_json_with_a_value_of_the_wrong_kind_is_refused(field, value):
    data = json.loads(report_to_json(make_report()))
    data["measurements"][0][field] = value
    with pytest.raises(ValueError, match=rf"must be JSON written by report_to_json.*{field}="):
        report_from_json(json.dumps(data))


def test_json_round_trip_of_a_real_run():
    report = run_benchmarks(quick=True, dtypes=["float32"], sizes=[16])
    assert report_from_json(report_to_json(report)) == report


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


def test_cli_prints_json_with_the_device_description():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "dlcv.bench", "--quick", "--json", "--dtype", "float32"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["hardware"]["devices"][0]["device_type"] == "CPU"
    assert data["hardware"]["tensorflow_version"] == tf.__version__
    kinds = [m["kind"] for m in data["measurements"]]
    assert kinds == ["matmul"] * 3 + ["conv2d", "bandwidth"]
    assert "[5/5] bandwidth float32" in result.stderr


def test_cli_table_help_and_bad_arguments(capsys):
    assert dlcv.bench._main(["--quick", "--dtype", "float32", "--size", "16"]) == 0
    captured = capsys.readouterr()
    assert "[1/3] matmul float32" in captured.err
    assert captured.out.splitlines()[3].split()[0] == "benchmark"
    with pytest.raises(SystemExit) as exit_info:
        dlcv.bench._main(["--help"])
    assert exit_info.value.code == 0
    assert "--quick" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        dlcv.bench._main(["--size", "0"])
    assert exit_info.value.code == 2
    assert "`sizes` must be a positive integer" in capsys.readouterr().err
