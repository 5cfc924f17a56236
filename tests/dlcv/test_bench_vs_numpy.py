"""benchmarks/bench_vs_numpy.py says which BLAS kernel NumPy ran, and when one was forced."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_vs_numpy", ROOT / "benchmarks/bench_vs_numpy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_variable_that_forces_a_blas_kernel_is_named() -> None:
    bench = _bench()
    assert bench.forced_kernel({"OPENBLAS_CORETYPE": "Haswell", "PATH": "/bin"}) == [
        "OPENBLAS_CORETYPE=Haswell"
    ]
    assert bench.forced_kernel({"MKL_ENABLE_INSTRUCTIONS": "AVX2"}) == [
        "MKL_ENABLE_INSTRUCTIONS=AVX2"
    ]
    assert bench.forced_kernel({"PATH": "/bin", "OPENBLAS_CORETYPE": ""}) == []


def test_the_kernel_numpy_runs_is_named_by_library_and_architecture() -> None:
    bench = _bench()
    pools = [{"internal_api": "openblas", "architecture": "SkylakeX", "filepath": "/x/numpy.libs"}]
    assert bench.blas_kernel(pools) == "openblas SkylakeX"
    assert bench.blas_kernel([]) == "unknown"
    # On this machine, whatever it is, NumPy's own BLAS is found and named.
    assert bench.blas_kernel() != ""
