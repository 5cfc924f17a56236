"""Property-based checks of the public API's argument checks (Hypothesis).

For a sample of public functions whose arguments are plain numbers, strings and tuples, any
value outside the documented range must raise a `TypeError` or `ValueError` whose message names
the argument in backticks: never another exception, never a silent pass, never work done on a
value that makes no sense. Each row gives every other argument a valid value, so the drawn
value is the only thing wrong. The strategies draw only invalid values (wrong types, zero,
negative, NaN, infinity, booleans, strings, None where None is not allowed, integers beyond
64 bits, nested lists), so no drawn call can start heavy work.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlcv import (
    bench,
    bench_report,
    data,
    detection,
    hardware,
    interpret,
    roofline,
    segmentation,
)
from dlcv.data import folders

# Deterministic (derandomize) and with no example database on disk: CI sees the same examples.
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- Invalid values, by what the argument accepts -------------------------------------------

OTHER_TYPES = st.sampled_from(
    [None, "1", "", "ten", b"1", [1], [[1, 2]], [], (1,), {"a": 1}, 1j, object(), np.array([1])]
)
BOOLS = st.sampled_from([True, False, np.True_])
NON_FINITE = st.sampled_from([math.nan, -math.nan, math.inf, -math.inf, np.float32("nan")])
BEYOND_64_BITS = st.integers(min_value=2**63, max_value=2**200)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


def _without_none(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy.filter(lambda value: value is not None)


# Every name some argument of the table accepts: a drawn string must be none of them.
VALID_NAMES = {
    *("raise", "skip"),
    *folders._INTERPOLATIONS,
    *detection.BOX_FORMATS,
    *hardware.STRATEGY_NAMES,
    *("CPU", "GPU", "TPU", *bench.DTYPES, "mixed_float16", "mixed_bfloat16", "auto"),
}
NOT_AN_INT = OTHER_TYPES | BOOLS | ANY_FLOAT
NOT_A_NUMBER = OTHER_TYPES | BOOLS

INVALID: dict[str, st.SearchStrategy[Any]] = {
    "positive int": NOT_AN_INT | st.integers(max_value=0) | BEYOND_64_BITS,
    "positive int or None": _without_none(NOT_AN_INT) | st.integers(max_value=0) | BEYOND_64_BITS,
    "non-negative int": NOT_AN_INT | st.integers(max_value=-1) | BEYOND_64_BITS,
    "int or None": _without_none(NOT_AN_INT),
    "int of at least 8": NOT_AN_INT | st.integers(max_value=7) | BEYOND_64_BITS,
    "fraction": NOT_A_NUMBER
    | NON_FINITE
    | st.floats(max_value=0.0)
    | st.floats(min_value=1.0)
    | st.integers(max_value=0)
    | st.integers(min_value=1),
    "unit interval": NOT_A_NUMBER
    | NON_FINITE
    | st.floats(max_value=-1e-9, allow_infinity=False)
    | st.floats(min_value=1.000001, allow_infinity=False),
    "non-negative number": NOT_A_NUMBER | NON_FINITE | st.floats(max_value=-1e-300),
    "positive number or None": _without_none(NOT_A_NUMBER)
    | NON_FINITE
    | st.floats(max_value=0.0, allow_infinity=False),
    "number, not NaN": NOT_A_NUMBER | st.sampled_from([math.nan, np.float64("nan")]),
    "one of the names": st.text(max_size=12).filter(lambda text: text not in VALID_NAMES)
    | OTHER_TYPES
    | BOOLS
    | st.integers(),
    "size pair": NOT_AN_INT
    | st.integers(max_value=0)
    | st.tuples(st.integers(max_value=0), st.integers(min_value=1, max_value=8))
    | st.tuples(st.integers(min_value=1, max_value=8), ANY_FLOAT | BOOLS)
    | st.tuples(st.integers(min_value=1, max_value=8))
    | st.lists(st.integers(min_value=1, max_value=8), min_size=3, max_size=4),
    "value range": NOT_A_NUMBER
    | ANY_FLOAT
    | st.tuples(ANY_FLOAT, NON_FINITE)
    | st.tuples(st.floats(min_value=1, max_value=9), st.floats(min_value=-9, max_value=1))
    | st.lists(st.floats(allow_nan=False), min_size=3, max_size=3),
    "positive numbers": st.sampled_from([None, "1", "", b"12", 1, 2.5, {"a": 1}, object()])
    | BOOLS
    | st.lists(st.floats(max_value=0.0) | NON_FINITE | BOOLS | OTHER_TYPES, min_size=1, max_size=3)
    | st.just([]),
    "device list": st.sampled_from(["/cpu:0", "", 0, [0], [], ["/gpu:4096"], [["/cpu:0"]]])
    | st.lists(st.sampled_from(["/cpu:4096", "/gpu:4096", "gpu", "/device:XLA_TPU:9"]), min_size=1),
    "device or None": _without_none(OTHER_TYPES)
    | BOOLS
    | st.integers()
    | st.sampled_from(["/gpu:4096", "/cpu:4096", "/device:TPU:77", "no such device", ""]),
    "compute capability": _without_none(OTHER_TYPES)
    | BOOLS
    | ANY_FLOAT
    | st.integers()
    | st.text(max_size=4)
    | st.tuples(st.integers(max_value=-1), st.integers(min_value=0, max_value=9))
    | st.tuples(ANY_FLOAT | BOOLS, st.integers(min_value=0, max_value=9))
    | st.lists(st.integers(min_value=0, max_value=9), min_size=3, max_size=3),
    "plain prefix": _without_none(OTHER_TYPES).filter(lambda value: not isinstance(value, str))
    | BOOLS
    | st.sampled_from(["", " ", "a/b", "a\\b", "a*", ".hidden", "a\nb", "a\x00b", "\t", "x[1]"]),
    "JSON text": _without_none(OTHER_TYPES)
    | BOOLS
    | st.text(max_size=20)
    | st.sampled_from(
        [
            '{"hardware": {}, "measurements": [{"seconds": "fast"}]}',
            '{"hardware": [], "measurements": []}',
            '{"hardware": {}, "measurements": {}}',
            '{"hardware": {}, "measurements": [], "skipped": [1]}',
            "null",
        ]
    ),
}


# --- The functions, each with valid values for every other argument --------------------------


@dataclass(frozen=True)
class Case:
    function: Callable[..., Any]
    argument: str
    kind: str
    valid: Callable[[Path], dict[str, Any]]

    def __str__(self) -> str:
        return f"{self.function.__name__}-{self.argument}"


def _digits(_: Path) -> dict[str, Any]:
    labels = np.repeat(np.arange(4), 5)
    return {"images": np.zeros((20, 2, 2, 1), np.float32), "labels": labels}


def _examples(_: Path) -> dict[str, Any]:
    return {"examples": tf.data.Dataset.from_tensor_slices((np.zeros((4, 2)), np.arange(4)))}


def _masks(_: Path) -> dict[str, Any]:
    return {"y_true": [[0, 1]], "y_pred": [[0, 1]], "num_classes": 2}


def _boxes(_: Path) -> dict[str, Any]:
    return {"boxes": [[0, 0, 1, 1], [0, 0, 2, 2]], "scores": [0.9, 0.8]}


def _report(_: Path) -> dict[str, Any]:
    measurement = bench_report.Measurement("matmul", "float32", (8, 8, 8), 1e-3, 1e3, 1e2, "x")
    return {"report": bench_report.BenchReport({}, (measurement,))}


def _nothing(_: Path) -> dict[str, Any]:
    return {}


def _cases(
    function: Callable[..., Any],
    valid: Callable[[Path], dict[str, Any]],
    *arguments: tuple[str, str],
) -> list[Case]:
    """One row per `(argument, kind)` of `function`, all with the same valid values."""
    return [Case(function, argument, kind, valid) for argument, kind in arguments]


CASES = [
    Case(data.split_train_test, "test_fraction", "fraction", _digits),
    Case(data.split_train_test, "seed", "non-negative int", _digits),
    Case(data.make_dataset, "batch_size", "positive int", _digits),
    Case(data.make_dataset, "seed", "non-negative int", lambda p: {**_digits(p), "batch_size": 2}),
    Case(data.make_batches, "batch_size", "positive int", _examples),
    Case(
        data.make_batches,
        "shuffle_buffer",
        "positive int or None",
        lambda p: {**_examples(p), "batch_size": 2},
    ),
    Case(
        data.write_shards,
        "examples_per_shard",
        "positive int",
        lambda p: {**_digits(p), "directory": p / "shards"},
    ),
    Case(data.write_shards, "prefix", "plain prefix", lambda p: {**_digits(p), "directory": p}),
    *_cases(
        data.read_shards,
        lambda p: {"pattern_or_paths": "x"},
        ("on_error", "one of the names"),
        ("parallel_reads", "positive int or None"),
    ),
    Case(data.scan_image_folder, "max_file_bytes", "positive int", lambda p: {"directory": p}),
    *(
        Case(
            data.make_folder_dataset,
            argument,
            kind,
            lambda p, valid=valid: {"directory": p, **valid},
        )
        for argument, kind, valid in [
            ("image_size", "size pair", {"batch_size": 2}),
            ("batch_size", "positive int", {"image_size": 8}),
            ("seed", "non-negative int", {"image_size": 8, "batch_size": 2}),
            ("interpolation", "one of the names", {"image_size": 8, "batch_size": 2}),
            ("value_range", "value range", {"image_size": 8, "batch_size": 2}),
            ("on_error", "one of the names", {"image_size": 8, "batch_size": 2}),
        ]
    ),
    Case(segmentation.make_shapes_masks, "count", "positive int", _nothing),
    Case(segmentation.make_shapes_masks, "size", "int of at least 8", lambda p: {"count": 1}),
    Case(segmentation.make_shapes_masks, "max_shapes", "positive int", lambda p: {"count": 1}),
    Case(segmentation.make_shapes_masks, "noise", "non-negative number", lambda p: {"count": 1}),
    Case(segmentation.make_shapes_masks, "seed", "non-negative int", lambda p: {"count": 1}),
    *(
        Case(score, "num_classes", "positive int", _masks)
        for score in (
            segmentation.mask_iou,
            segmentation.dice_coefficient,
            segmentation.pixel_confusion_matrix,
        )
    ),
    Case(segmentation.mask_iou, "ignore_label", "int or None", _masks),
    Case(detection.non_max_suppression, "max_output_size", "non-negative int", _boxes),
    *_cases(
        detection.non_max_suppression,
        lambda p: {**_boxes(p), "max_output_size": 2},
        ("iou_threshold", "unit interval"),
        ("score_threshold", "number, not NaN"),
        ("box_format", "one of the names"),
    ),
    Case(
        detection.match_detections,
        "iou_threshold",
        "unit interval",
        lambda p: {**_boxes(p), "ground_truth_boxes": [[0, 0, 1, 1]]},
    ),
    Case(
        detection.average_precision,
        "num_ground_truths",
        "positive int",
        lambda p: {"scores": [0.9], "is_true_positive": [True]},
    ),
    Case(
        detection.average_precision,
        "recall_points",
        "positive int or None",
        lambda p: {"scores": [0.9], "is_true_positive": [True], "num_ground_truths": 1},
    ),
    Case(
        detection.convert_boxes,
        "source",
        "one of the names",
        lambda p: {"boxes": [[0, 0, 1, 1]], "target": "xywh"},
    ),
    Case(
        detection.box_iou,
        "box_format",
        "one of the names",
        lambda p: {"boxes_a": [[0, 0, 1, 1]], "boxes_b": [[0, 0, 1, 1]]},
    ),
    *(
        Case(detection.make_anchors, argument, kind, lambda p, valid=valid: valid)
        for argument, kind, valid in [
            ("feature_size", "size pair", {"image_size": 8, "scales": [1], "aspect_ratios": [1]}),
            ("image_size", "size pair", {"feature_size": 2, "scales": [1], "aspect_ratios": [1]}),
            (
                "scales",
                "positive numbers",
                {"feature_size": 2, "image_size": 8, "aspect_ratios": [1]},
            ),
            (
                "aspect_ratios",
                "positive numbers",
                {"feature_size": 2, "image_size": 8, "scales": [1]},
            ),
        ]
    ),
    Case(hardware.pick_strategy, "name", "one of the names", _nothing),
    Case(hardware.pick_strategy, "devices", "device list", lambda p: {"name": "mirrored"}),
    Case(hardware.pick_precision, "device_type", "one of the names", _nothing),
    Case(
        hardware.pick_precision,
        "compute_capability",
        "compute capability",
        lambda p: {"device_type": "GPU"},
    ),
    Case(hardware.setup_hardware, "precision", "one of the names", lambda p: {"verbose": False}),
    Case(bench.time_matmul, "n", "positive int", _nothing),
    Case(bench.time_matmul, "repeats", "positive int", lambda p: {"n": 4}),
    Case(bench.time_matmul, "warmup", "non-negative int", lambda p: {"n": 4}),
    Case(bench.time_matmul, "dtype", "one of the names", lambda p: {"n": 4}),
    Case(bench.time_matmul, "device", "device or None", lambda p: {"n": 4}),
    Case(bench.time_conv2d, "size", "positive int", _nothing),
    Case(bench.time_conv2d, "kernel_size", "positive int", _nothing),
    Case(bench.measure_bandwidth, "mebibytes", "positive int", _nothing),
    Case(roofline.estimate_cpu_peak, "fma_units", "positive int", _nothing),
    Case(
        roofline.estimate_cpu_peak,
        "clock_hz",
        "positive number or None",
        lambda p: {"fma_units": 2},
    ),
    Case(roofline.plot_roofline, "peak_flops", "positive number or None", _report),
    Case(roofline.plot_roofline, "peak_bandwidth", "positive number or None", _report),
    Case(bench_report.report_from_json, "text", "JSON text", _nothing),
    Case(interpret.upsample_heatmap, "size", "size pair", lambda p: {"heatmaps": np.zeros((2, 2))}),
    Case(
        interpret.overlay_heatmap,
        "alpha",
        "fraction",
        lambda p: {"image": np.zeros((2, 2, 3)), "heatmap": np.zeros((2, 2))},
    ),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@pytest.mark.parametrize("case", CASES, ids=str)
@PROPERTY_SETTINGS
@given(drawn=st.data())
def test_invalid_value_raises_type_or_value_error_naming_the_argument(
    folder: Path, case: Case, drawn: st.DataObject
) -> None:
    value = drawn.draw(INVALID[case.kind], label=case.argument)
    kwargs = {**case.valid(folder), case.argument: value}
    with pytest.raises((TypeError, ValueError)) as info:
        case.function(**kwargs)
    assert f"`{case.argument}`" in str(info.value), str(info.value)
