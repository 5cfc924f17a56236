"""Tests for dlcv.bench_report: the report as a table and as JSON."""

import json

import pytest
from helpers.arguments import rejects_bad_arguments
from helpers.bench_reports import make_report

from dlcv.bench import run_benchmarks
from dlcv.bench_report import format_report, report_from_json, report_to_json

test_bad_arguments_are_rejected = rejects_bad_arguments(
    [
        (format_report, {"report": {}}, TypeError, "`report` must be a BenchReport"),
        (report_to_json, {"report": None}, TypeError, "`report` must be a BenchReport"),
        (report_from_json, {"text": b"{}"}, TypeError, "`text` must be a JSON string"),
        (report_from_json, {"text": "{}"}, ValueError, "must be JSON written by report_to_json"),
        (report_from_json, {"text": "[1"}, ValueError, "must be JSON written by report_to_json"),
    ]
)


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
