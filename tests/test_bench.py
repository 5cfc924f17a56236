"""Tests for dlcv.bench."""

import dataclasses

import pytest

from dlcv.bench import MatmulTiming, time_matmul


def test_time_matmul_reports_consistent_numbers():
    timing = time_matmul(128, repeats=3, warmup=1)
    assert isinstance(timing, MatmulTiming)
    assert (timing.n, timing.dtype) == (128, "float32")
    assert timing.seconds > 0
    assert timing.flops_per_second == pytest.approx(2 * 128**3 / timing.seconds)
    assert timing.device.startswith("/device:")
    with pytest.raises(dataclasses.FrozenInstanceError):
        timing.n = 1


def test_time_matmul_on_an_explicit_device_and_dtype():
    timing = time_matmul(32, dtype="float64", repeats=1, warmup=0, device="/device:CPU:0")
    assert timing.device == "/device:CPU:0"
    assert timing.dtype == "float64"


def test_bigger_products_take_longer():
    small = time_matmul(64, repeats=5)
    large = time_matmul(512, repeats=5)
    # 512 cubed is 512 times 64 cubed: even with overheads the big product must be slower.
    assert large.seconds > small.seconds


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"n": 0}, ValueError, "`n` must be a positive integer"),
        ({"n": 2.5}, TypeError, "`n` must be a positive integer"),
        ({"n": 8, "dtype": "int8"}, ValueError, "`dtype` must be one of 'float32'"),
        ({"n": 8, "repeats": 0}, ValueError, "`repeats` must be a positive integer"),
        ({"n": 8, "warmup": -1}, ValueError, "`warmup` must be a non-negative integer"),
        ({"n": 8, "device": 0}, TypeError, "`device` must be a device name"),
    ],
)
def test_time_matmul_rejects_bad_arguments(kwargs, error, phrase):
    with pytest.raises(error, match=phrase):
        time_matmul(**kwargs)
