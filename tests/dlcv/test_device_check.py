"""The device check's arithmetic: which datasheet peak applies, and the fraction reached."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "device_check.py"
_SPEC = importlib.util.spec_from_file_location("device_check", _PATH)
assert _SPEC and _SPEC.loader
device_check = importlib.util.module_from_spec(_SPEC)
sys.modules["device_check"] = device_check
_SPEC.loader.exec_module(device_check)


def _bench(description: str, rates: list[float], device: str = "/device:GPU:0") -> dict:
    devices = [{"device_type": "CPU", "description": "a CPU"}]
    devices.append({"device_type": "GPU", "description": description})
    measurements = [
        {"kind": "matmul", "dtype": "bfloat16", "device": device, "flops_per_second": rate}
        for rate in rates
    ]
    measurements.append(
        {"kind": "matmul", "dtype": "float16", "device": device, "flops_per_second": 2e15}
    )
    return {"hardware": {"devices": devices}, "measurements": measurements}


def test_peak_fraction_uses_the_best_bf16_rate_of_a_listed_gpu() -> None:
    result = device_check.peak_fraction(
        _bench("NVIDIA H200 (compute capability 9.0)", [3e14, 6.5e14])
    )
    assert result["datasheet"] == "H200"
    assert result["fraction_of_peak"] == pytest.approx(6.5e14 / 989e12)


@pytest.mark.parametrize("name", ["NVIDIA H100 NVL", "NVIDIA H100 PCIe", "NVIDIA L4"])
def test_peak_fraction_claims_no_peak_for_unlisted_or_lower_rated_parts(name: str) -> None:
    result = device_check.peak_fraction(_bench(name, [1e14]))
    assert result["datasheet"] is None
    assert "fraction_of_peak" not in result


def test_peak_fraction_is_none_without_a_gpu_measurement() -> None:
    assert device_check.peak_fraction(_bench("NVIDIA H200", [1e14], "/device:CPU:0")) is None
