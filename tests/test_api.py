"""The public API is exactly this list; every module's `__all__` is honest and its examples run."""

import doctest
import importlib
import inspect

import pytest

import dlcv

EXPECTED = [
    "BOX_FORMATS",
    "BenchReport",
    "CPUPeak",
    "DeviceInfo",
    "HardwareInfo",
    "History",
    "ImageFolder",
    "ImageFolderError",
    "ImageIssue",
    "LayerProfile",
    "Measurement",
    "MovingClips",
    "ProbeResult",
    "Profile",
    "ReceptiveField",
    "ReceptiveFieldStep",
    "SHAPE_KINDS",
    "SegmentationScores",
    "Setup",
    "ShardError",
    "ShardProblem",
    "ShardReport",
    "__version__",
    "apply_bottleneck_block",
    "apply_conv_bn",
    "apply_inverted_residual_block",
    "apply_per_frame",
    "apply_residual_block",
    "apply_separable_block",
    "apply_squeeze_excite",
    "apply_upsample_block",
    "apply_vgg_block",
    "average_precision",
    "box_iou",
    "check_shards",
    "class_average_precisions",
    "convert_boxes",
    "count_parameters",
    "describe_hardware",
    "dice_coefficient",
    "estimate_cpu_peak",
    "evaluate",
    "fit_linear_probe",
    "format_hardware",
    "format_profile",
    "format_receptive_field",
    "format_report",
    "grad_cam",
    "layer_outputs",
    "load_digits_images",
    "make_anchors",
    "make_batches",
    "make_clip_dataset",
    "make_dataset",
    "make_folder_dataset",
    "make_moving_clips",
    "make_shapes_masks",
    "mask_iou",
    "match_detections",
    "mean_average_precision",
    "measure_bandwidth",
    "non_max_suppression",
    "overlay_heatmap",
    "pick_precision",
    "pick_strategy",
    "pixel_confusion_matrix",
    "plot_roofline",
    "probe_layers",
    "profile",
    "read_alt_text",
    "read_shards",
    "receptive_field",
    "report_from_json",
    "report_to_json",
    "run_benchmarks",
    "save_figure",
    "scan_image_folder",
    "setup_hardware",
    "split_train_test",
    "time_conv2d",
    "time_matmul",
    "train",
    "upsample_heatmap",
    "use_style",
    "visualize_filter",
    "write_shards",
]
MODULES = [
    "dlcv._cpuinfo",
    "dlcv._keras_graph",
    "dlcv._layer_kinds",
    "dlcv._validation",
    "dlcv.bench",
    "dlcv.bench_report",
    "dlcv.blocks",
    "dlcv.data",
    "dlcv.detection",
    "dlcv.hardware",
    "dlcv.interpret",
    "dlcv.plot",
    "dlcv.probing",
    "dlcv.profiling",
    "dlcv.receptive_fields",
    "dlcv.roofline",
    "dlcv.scratch",
    "dlcv.segmentation",
    "dlcv.training",
    "dlcv.video",
]
# Modules whose names stay namespaced (`dlcv.scratch.dense`): generic names such as `dense` and
# `relu` would read as Keras's own if they sat at the top level.
NAMESPACED = {"dlcv.scratch"}


def test_public_api_is_exactly_the_expected_list():
    assert dlcv.__all__ == EXPECTED
    assert sorted(dlcv.__all__) == dlcv.__all__


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist_and_are_reexported(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    for member in module.__all__:
        assert hasattr(module, member), f"{name}.{member}"
        if not name.startswith("dlcv._") and name not in NAMESPACED:
            assert getattr(dlcv, member) is getattr(module, member)


def test_every_public_name_comes_from_a_module():
    exported = set()
    for name in MODULES:
        if not name.startswith("dlcv._") and name not in NAMESPACED:
            exported |= set(importlib.import_module(name).__all__)
    assert exported | {"__version__"} == set(dlcv.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_use_the_plural_section_title(name):
    # mkdocstrings renders "Examples:" as code; "Example:" becomes a note whose ">>>" lines
    # turn into nested block quotes on the API reference page.
    source = inspect.getsource(importlib.import_module(name))
    singular = [n for n, line in enumerate(source.splitlines(), 1) if line.strip() == "Example:"]
    assert not singular, f"{name}: write 'Examples:' (plural) on lines {singular}"
