"""Tests for dlcv._cpuinfo, the one reader of /proc/cpuinfo and the maximum clock."""

import pytest

import dlcv._cpuinfo
import dlcv.hardware
from dlcv._cpuinfo import max_clock_hz, parse_cpuinfo, read_cpuinfo

CPUINFO = (
    "processor\t: 0\nmodel name\t: Test CPU @ 2.30GHz\ncpu MHz\t\t: 2300.000\n"
    "flags\t\t: fpu avx2 fma\npower management:\n\n"
    "processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n\n"
    "Hardware\t: Test board\n"
)


@pytest.fixture
def files(tmp_path, monkeypatch):
    cpuinfo, frequency = tmp_path / "cpuinfo", tmp_path / "cpuinfo_max_freq"
    monkeypatch.setattr(dlcv._cpuinfo, "CPUINFO", cpuinfo)
    monkeypatch.setattr(dlcv._cpuinfo, "MAX_FREQUENCY", frequency)
    return cpuinfo, frequency


def test_the_first_processor_decides_and_later_only_keys_are_kept():
    fields = parse_cpuinfo(CPUINFO)
    assert fields["processor"] == "0"
    assert fields["model name"] == "Test CPU @ 2.30GHz"
    assert fields["flags"] == "fpu avx2 fma"
    assert fields["cpu MHz"] == "2300.000"
    assert fields["power management"] == ""
    assert fields["Hardware"] == "Test board"
    assert parse_cpuinfo("") == {}


def test_missing_or_unreadable_files_give_nothing(files):
    cpuinfo, frequency = files
    assert read_cpuinfo() == {}
    assert max_clock_hz() is None
    cpuinfo.mkdir()  # exists, but is not a file
    frequency.write_text("unknown\n")
    assert read_cpuinfo() == {}
    assert max_clock_hz() is None


def test_the_readers_read_the_files(files):
    cpuinfo, frequency = files
    cpuinfo.write_text(CPUINFO)
    frequency.write_text("3500000\n")  # kHz
    assert read_cpuinfo()["flags"] == "fpu avx2 fma"
    assert max_clock_hz() == (3.5e9, str(frequency))
    assert dlcv.hardware._cpu_model() == "Test CPU @ 2.30GHz"
