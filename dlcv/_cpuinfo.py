"""What Linux says about this machine's CPU: `/proc/cpuinfo` and the maximum clock.

The one reader of these files for `dlcv.hardware` (the CPU's model name),
`dlcv.roofline` (SIMD flags, cores and clock for the peak) and
`benchmarks/bench_vs_numpy.py` (the nominal clock). Elsewhere, or where the files
cannot be read, the readers return nothing rather than guess.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CPUINFO", "MAX_FREQUENCY", "max_clock_hz", "parse_cpuinfo", "read_cpuinfo"]

# Module attributes, read at each call, so tests can point them at fixtures.
CPUINFO = Path("/proc/cpuinfo")
MAX_FREQUENCY = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")


def parse_cpuinfo(text: str) -> dict[str, str]:
    """Map each `key : value` line of `/proc/cpuinfo` text to its value.

    The file repeats one block per logical CPU; a key keeps the first value given
    for it, so the first processor's block decides, and a key that only a later
    block holds (some ARM kernels name the model once, at the end) is still found.

    Examples:
        >>> parse_cpuinfo("processor : 0\\nflags : fma avx2\\n\\nprocessor : 1\\n"
        ...               "flags : sse\\nHardware : Test board\\n")
        {'processor': '0', 'flags': 'fma avx2', 'Hardware': 'Test board'}
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def read_cpuinfo() -> dict[str, str]:
    """Read `/proc/cpuinfo` as `parse_cpuinfo` does; `{}` where it does not exist.

    Examples:
        >>> fields = read_cpuinfo()
        >>> fields == {} or "processor" in fields
        True
    """
    try:
        return parse_cpuinfo(CPUINFO.read_text(errors="replace"))
    except OSError:
        return {}


def max_clock_hz() -> tuple[float, str] | None:
    """The highest clock the first core may run at, in hertz, and the file that said
    so (the kernel's `cpuinfo_max_freq`); `None` where the kernel does not report it.

    Examples:
        >>> clock = max_clock_hz()
        >>> clock is None or (clock[0] > 0 and clock[1].endswith("cpuinfo_max_freq"))
        True
    """
    try:
        khz = int(MAX_FREQUENCY.read_text().strip())
    except (OSError, ValueError):
        return None
    return khz * 1e3, str(MAX_FREQUENCY)
