"""dlcv: the tested TensorFlow/Keras code behind the dlcv knowledge base.

Every public name is importable from the top level (``dlcv.train``,
``dlcv.pick_strategy``…). Submodules load on first use, so ``python -m dlcv.bench`` runs
its module once, cleanly. ``dlcv.scratch`` (layers written from tensor operations, for
teaching) stays namespaced.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

# The installed distribution's version, which setuptools-scm took from the git tag at
# build time. A checkout imported without installing it has no such record: it says
# so rather than guess.
_DISTRIBUTION = "dlcv-kb"
try:
    __version__ = importlib.metadata.version(_DISTRIBUTION)
except importlib.metadata.PackageNotFoundError:
    __version__ = "0.0.0+unknown"

# Public name → the module that defines it.
_SOURCES = {
    "dlcv.bench": (
        "measure_bandwidth",
        "run_benchmarks",
        "time_conv2d",
        "time_matmul",
    ),
    "dlcv.bench_report": (
        "BenchReport",
        "Measurement",
        "format_report",
        "report_from_json",
        "report_to_json",
    ),
    "dlcv.blocks": (
        "apply_bottleneck_block",
        "apply_conv_bn",
        "apply_inverted_residual_block",
        "apply_residual_block",
        "apply_separable_block",
        "apply_squeeze_excite",
        "apply_upsample_block",
        "apply_vgg_block",
    ),
    "dlcv.data": (
        "ImageFolder",
        "ImageFolderError",
        "ImageIssue",
        "ShardError",
        "ShardProblem",
        "ShardReport",
        "check_shards",
        "load_digits_images",
        "make_batches",
        "make_dataset",
        "make_folder_dataset",
        "read_shards",
        "scan_image_folder",
        "split_train_test",
        "write_shards",
    ),
    "dlcv.detection": (
        "BOX_FORMATS",
        "average_precision",
        "box_iou",
        "class_average_precisions",
        "convert_boxes",
        "make_anchors",
        "match_detections",
        "mean_average_precision",
        "non_max_suppression",
    ),
    "dlcv.hardware": (
        "DeviceInfo",
        "HardwareInfo",
        "Setup",
        "describe_hardware",
        "format_hardware",
        "pick_precision",
        "pick_strategy",
        "setup_hardware",
    ),
    "dlcv.interpret": (
        "grad_cam",
        "overlay_heatmap",
        "upsample_heatmap",
        "visualize_filter",
    ),
    "dlcv.plot": ("read_alt_text", "save_figure", "use_style"),
    "dlcv.probing": (
        "ProbeResult",
        "count_parameters",
        "fit_linear_probe",
        "layer_outputs",
        "probe_layers",
    ),
    "dlcv.profiling": ("LayerProfile", "Profile", "format_profile", "profile"),
    "dlcv.receptive_fields": (
        "ReceptiveField",
        "ReceptiveFieldStep",
        "format_receptive_field",
        "receptive_field",
    ),
    "dlcv.roofline": ("CPUPeak", "estimate_cpu_peak", "plot_roofline"),
    "dlcv.segmentation": (
        "SHAPE_KINDS",
        "SegmentationScores",
        "dice_coefficient",
        "make_shapes_masks",
        "mask_iou",
        "pixel_confusion_matrix",
    ),
    "dlcv.training": ("History", "evaluate", "train"),
    "dlcv.video": (
        "MovingClips",
        "apply_per_frame",
        "make_clip_dataset",
        "make_moving_clips",
    ),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = sorted([*_MODULE_OF, "__version__"])


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'dlcv' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see
    from dlcv.bench import (
        measure_bandwidth,
        run_benchmarks,
        time_conv2d,
        time_matmul,
    )
    from dlcv.bench_report import (
        BenchReport,
        Measurement,
        format_report,
        report_from_json,
        report_to_json,
    )
    from dlcv.blocks import (
        apply_bottleneck_block,
        apply_conv_bn,
        apply_inverted_residual_block,
        apply_residual_block,
        apply_separable_block,
        apply_squeeze_excite,
        apply_upsample_block,
        apply_vgg_block,
    )
    from dlcv.data import (
        ImageFolder,
        ImageFolderError,
        ImageIssue,
        ShardError,
        ShardProblem,
        ShardReport,
        check_shards,
        load_digits_images,
        make_batches,
        make_dataset,
        make_folder_dataset,
        read_shards,
        scan_image_folder,
        split_train_test,
        write_shards,
    )
    from dlcv.detection import (
        BOX_FORMATS,
        average_precision,
        box_iou,
        class_average_precisions,
        convert_boxes,
        make_anchors,
        match_detections,
        mean_average_precision,
        non_max_suppression,
    )
    from dlcv.hardware import (
        DeviceInfo,
        HardwareInfo,
        Setup,
        describe_hardware,
        format_hardware,
        pick_precision,
        pick_strategy,
        setup_hardware,
    )
    from dlcv.interpret import (
        grad_cam,
        overlay_heatmap,
        upsample_heatmap,
        visualize_filter,
    )
    from dlcv.plot import read_alt_text, save_figure, use_style
    from dlcv.probing import (
        ProbeResult,
        count_parameters,
        fit_linear_probe,
        layer_outputs,
        probe_layers,
    )
    from dlcv.profiling import LayerProfile, Profile, format_profile, profile
    from dlcv.receptive_fields import (
        ReceptiveField,
        ReceptiveFieldStep,
        format_receptive_field,
        receptive_field,
    )
    from dlcv.roofline import CPUPeak, estimate_cpu_peak, plot_roofline
    from dlcv.segmentation import (
        SHAPE_KINDS,
        SegmentationScores,
        dice_coefficient,
        make_shapes_masks,
        mask_iou,
        pixel_confusion_matrix,
    )
    from dlcv.training import History, evaluate, train
    from dlcv.video import (
        MovingClips,
        apply_per_frame,
        make_clip_dataset,
        make_moving_clips,
    )
