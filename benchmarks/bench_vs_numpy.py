"""dlcv.bench.time_matmul against NumPy's `@` on the same float32 shapes, in the same run.

Each size is measured in alternating rounds (NumPy, then dlcv, then NumPy again ...), so that
a change in the machine's load during the run hits both; each round is itself a median of
timed repeats. The table reports each side's best round (other processes can only slow a
round down), then every round as NumPy/dlcv GFLOP/s, and how much CPU time other processes
took during the run: the comparison holds only where that is near 0%. Both sides use all the cores
this process may use. The script also prints this CPU's theoretical float32 peak when it can
be derived (see `dlcv.roofline.estimate_cpu_peak`).

Run:  python benchmarks/bench_vs_numpy.py [--sizes 512 1024 2048 4096] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np

from dlcv._cpuinfo import read_cpuinfo
from dlcv.bench import time_matmul
from dlcv.roofline import estimate_cpu_peak

# Both libraries keep worker threads spinning for a moment after a call; pausing between the
# two sides keeps one library's spinning threads from slowing the other down.
PAUSE_S = 0.5


def time_numpy(n: int, *, repeats: int, warmup: int) -> float:
    """Median FLOP/s of `a @ b` on two n x n float32 matrices, timed like dlcv does."""
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    for _ in range(warmup):
        a @ b
    start = time.perf_counter()
    a @ b
    # As in dlcv: enough products per timed sample to last about 10 ms.
    count = max(1, math.ceil(0.01 / (time.perf_counter() - start)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            a @ b
        times.append((time.perf_counter() - start) / count)
    return 2 * n**3 / statistics.median(times)


def nominal_clock_hz() -> float | None:
    """The "cpu MHz" line of /proc/cpuinfo: the current (in a VM, usually nominal) clock."""
    try:
        return float(read_cpuinfo()["cpu MHz"]) * 1e6
    except (KeyError, ValueError):
        return None


def busy_seconds() -> float:
    """CPU seconds all processes have spent so far, from /proc/stat (0 where it is missing)."""
    path = Path("/proc/stat")
    if not path.is_file():
        return 0.0
    fields = [int(v) for v in path.read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _blas_pools() -> list[dict[str, object]] | None:
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
    except ImportError:
        return None
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    # TensorFlow or SciPy may load a BLAS of their own; NumPy's lives under numpy's folders.
    own = [p for p in pools if "numpy" in str(p.get("filepath", "")).lower()]
    return own or pools


def describe_blas() -> str:
    pools = _blas_pools()
    if pools is None:
        return "unknown (threadpoolctl not installed)"
    return ", ".join(
        f"{p['internal_api']} {p['version']} ({p.get('architecture', '?')}, "
        f"{p['num_threads']} threads)"
        for p in pools
    )


def blas_kernel(pools: list[dict[str, object]] | None = None) -> str:
    """NumPy's BLAS library and the kernel it runs, short: "openblas Haswell" (threadpoolctl).

    Example:
        >>> blas_kernel([{"internal_api": "openblas", "architecture": "SkylakeX"}])
        'openblas SkylakeX'
    """
    pools = _blas_pools() if pools is None else pools
    if not pools:
        return "unknown"
    return "; ".join(f"{p['internal_api']} {p.get('architecture') or '?'}" for p in pools)


# Variables that make a BLAS run a kernel other than the one it would pick for this processor.
KERNEL_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_CBWR",
    "MKL_DEBUG_CPU_TYPE",
    "NPY_DISABLE_CPU_FEATURES",
)


def forced_kernel(environ: dict[str, str] | None = None) -> list[str]:
    """The ``NAME=value`` settings in ``environ`` (default: this process's) that force a kernel.

    Example:
        >>> forced_kernel({"OPENBLAS_CORETYPE": "Haswell", "PATH": "/bin"})
        ['OPENBLAS_CORETYPE=Haswell']
    """
    environ = dict(os.environ) if environ is None else environ
    return [f"{name}={environ[name]}" for name in KERNEL_VARIABLES if environ.get(name)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 2048, 4096])
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per size")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per round")
    parser.add_argument(
        "--fma-units",
        type=int,
        default=2,
        help="FMA units per core assumed for the peak (2 on Xeon Gold/Platinum; default 2)",
    )
    args = parser.parse_args()

    print(f"NumPy {np.__version__}, BLAS: {describe_blas()}")
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"{name}={os.environ.get(name, '(unset)')}")
    kernel = blas_kernel()
    forced = forced_kernel()
    if forced:
        # A forced kernel can be far slower than this processor's own (OpenBLAS's Haswell
        # kernel ran at about half the speed on one machine), which inflates the ratio.
        print(
            f"WARNING: {', '.join(forced)} forces NumPy's BLAS kernel ({kernel}); the "
            "dlcv/NumPy ratio compares against that kernel, not this processor's own."
        )
    print(f"float32, {args.rounds} alternating rounds of {args.repeats} timed repeats per size")
    print()
    start, busy_before, own_before = time.perf_counter(), busy_seconds(), sum(os.times()[:2])
    print(
        f"{'n':>5}  {'NumPy GFLOP/s':>13}  {'dlcv GFLOP/s':>12}  {'dlcv/NumPy':>10}  "
        f"{'NumPy kernel':<20}  rounds"
    )
    shown_kernel = kernel + (" (forced)" if forced else "")
    for n in args.sizes:
        ours, theirs = [], []
        for _ in range(args.rounds):
            theirs.append(time_numpy(n, repeats=args.repeats, warmup=2))
            time.sleep(PAUSE_S)
            timing = time_matmul(n, dtype="float32", repeats=args.repeats, warmup=2)
            ours.append(timing.flops_per_second)
            time.sleep(PAUSE_S)
        # The best round of each: other processes can only slow a round down.
        numpy_flops, dlcv_flops = max(theirs), max(ours)
        rounds = " ".join(f"{a / 1e9:.0f}/{b / 1e9:.0f}" for a, b in zip(theirs, ours, strict=True))
        print(
            f"{n:>5}  {numpy_flops / 1e9:>13.1f}  {dlcv_flops / 1e9:>12.1f}  "
            f"{dlcv_flops / numpy_flops:>10.2f}  {shown_kernel:<20}  {rounds}",
            flush=True,
        )

    # Other processes' share of the CPU during the run: numbers compare only on an idle machine.
    elapsed = time.perf_counter() - start
    others = busy_seconds() - busy_before - (sum(os.times()[:2]) - own_before)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"Other processes used {max(0.0, others) / (elapsed * (cpus or 1)):.0%} of the CPU time.")
    print()
    peak = estimate_cpu_peak(fma_units=args.fma_units)
    if peak is not None:
        print(
            f"Theoretical float32 peak: {peak.flops_per_second / 1e9:.1f} GFLOP/s = "
            f"{peak.cores} cores x {peak.clock_hz / 1e9:.2f} GHz ({peak.clock_source}) x "
            f"{peak.fma_units} FMA units (assumed) x {peak.simd_width} lanes x 2"
        )
        return
    print("Theoretical float32 peak: not derivable here (no maximum clock from cpufreq).")
    nominal = nominal_clock_hz()
    at_nominal = estimate_cpu_peak(fma_units=args.fma_units, clock_hz=nominal) if nominal else None
    if at_nominal is not None:
        print(
            f"At the {at_nominal.clock_hz / 1e9:.2f} GHz that /proc/cpuinfo reports (the "
            f"current or nominal clock, which turbo can exceed): "
            f"{at_nominal.flops_per_second / 1e9:.1f} GFLOP/s = {at_nominal.cores} cores x "
            f"{at_nominal.clock_hz / 1e9:.2f} GHz x {at_nominal.fma_units} FMA units (assumed) "
            f"x {at_nominal.simd_width} lanes x 2"
        )


if __name__ == "__main__":
    main()
