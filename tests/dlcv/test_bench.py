"""Tests for dlcv.bench: timings, the benchmark run and its command line."""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf
from helpers.arguments import rejects_bad_arguments

import dlcv.bench
from dlcv.bench import measure_bandwidth, run_benchmarks, time_conv2d, time_matmul
from dlcv.bench_report import Measurement, format_report


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


test_bad_arguments_are_rejected = rejects_bad_arguments(
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
        (time_matmul, {"n": 8, "dtpye": "float16"}, TypeError, "`time_matmul` takes the timing"),
        (time_conv2d, {"repeat": 3}, TypeError, r"`time_conv2d` takes .*Received: repeat=3"),
        (measure_bandwidth, {"devices": None}, TypeError, "`measure_bandwidth` takes the timing"),
        (run_benchmarks, {"dtypes": []}, ValueError, "`dtypes` must be a non-empty sequence"),
        (run_benchmarks, {"dtypes": "float32"}, ValueError, "`dtypes` must be a non-empty"),
        (run_benchmarks, {"dtypes": ["int8"]}, ValueError, "`dtypes` must be one of"),
        (run_benchmarks, {"sizes": [64, 0]}, ValueError, "`sizes` must be a positive integer"),
        (run_benchmarks, {"sizes": []}, ValueError, "`sizes` must be a non-empty sequence"),
        (run_benchmarks, {"progress": "yes"}, TypeError, "`progress` must be callable"),
        (time_matmul, {"n": 8, "device": "/gpu:4096"}, ValueError, "`device` must name a device"),
        (time_conv2d, {"device": "/cpu:9"}, ValueError, "`device` must name a device"),
        (measure_bandwidth, {"device": "/tpu:0"}, ValueError, "`device` must name a device"),
        (run_benchmarks, {"device": "/gpu:4096"}, ValueError, "`device` must name a device"),
    ]
)


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
