"""The public API is exactly this list; every module's `__all__` is honest and its examples run.

`EXPECTED` is the contract, written out on purpose: `dlcv/__init__.pyi` is the package's
one list of its public names (the lazy imports and `dlcv.__all__` come from it), and this
test, kept apart from it, fails when a name is dropped or added there by accident.
"""

import ast
import doctest
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import dlcv

EXPECTED = [
    "BOX_FORMATS",
    "BenchReport",
    "CPUPeak",
    "DeviceInfo",
    "FaceClassifier",
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
    "adam_update",
    "adamw_update",
    "apply_bottleneck_block",
    "apply_conv_bn",
    "apply_inverted_residual_block",
    "apply_per_frame",
    "apply_residual_block",
    "apply_separable_block",
    "apply_squeeze_excite",
    "apply_temperature",
    "apply_upsample_block",
    "apply_vgg_block",
    "average_precision",
    "box_iou",
    "check_shards",
    "class_average_precisions",
    "convert_boxes",
    "count_parameters",
    "dequantize_int8",
    "describe_hardware",
    "dice_coefficient",
    "diffusion_reverse_step",
    "digits_convnet",
    "digits_mlp",
    "distillation_loss",
    "estimate_cpu_peak",
    "evaluate",
    "expected_calibration_error",
    "extract_patches",
    "fgsm",
    "fit_linear_probe",
    "fit_temperature",
    "format_hardware",
    "format_profile",
    "format_receptive_field",
    "format_report",
    "forward_noise",
    "gaussian_blur",
    "gaussian_kl_divergence",
    "gaussian_noise",
    "gaussian_reparameterize",
    "grad_cam",
    "layer_outputs",
    "linear_noise_schedule",
    "load_digits_images",
    "local_tf_configs",
    "magnitude_prune",
    "make_anchors",
    "make_batches",
    "make_clip_dataset",
    "make_dataset",
    "make_folder_dataset",
    "make_moving_clips",
    "make_shapes_masks",
    "make_views",
    "mask_iou",
    "match_detections",
    "mean_average_precision",
    "measure_bandwidth",
    "multi_head_self_attention",
    "non_max_suppression",
    "nt_xent_loss",
    "overlay_heatmap",
    "pgd",
    "pick_precision",
    "pick_strategy",
    "pixel_confusion_matrix",
    "plot_roofline",
    "probe_layers",
    "profile",
    "quantize_int8",
    "read_alt_text",
    "read_shards",
    "receptive_field",
    "reliability_bins",
    "report_from_json",
    "report_to_json",
    "run_benchmarks",
    "save_figure",
    "scaled_dot_product_attention",
    "scan_image_folder",
    "setup_hardware",
    "sgd_update",
    "split_train_test",
    "split_train_val_test",
    "time_conv2d",
    "time_matmul",
    "train",
    "train_face_classifier",
    "upsample_heatmap",
    "use_style",
    "visualize_filter",
    "warmup_cosine_decay",
    "weight_bytes",
    "write_shards",
]
MODULES = [
    "dlcv._cpuinfo",
    "dlcv._keras_graph",
    "dlcv._layer_kinds",
    "dlcv._table",
    "dlcv._validation",
    "dlcv.attention",
    "dlcv.bench",
    "dlcv.bench_report",
    "dlcv.blocks",
    "dlcv.calibration",
    "dlcv.compression",
    "dlcv.contrastive",
    "dlcv.data",
    "dlcv.data._files",
    "dlcv.data._images",
    "dlcv.data.arrays",
    "dlcv.data.folders",
    "dlcv.data.shards",
    "dlcv.detection",
    "dlcv.generative",
    "dlcv.hardware",
    "dlcv.interpret",
    "dlcv.optimizers",
    "dlcv.plot",
    "dlcv.probing",
    "dlcv.profiling",
    "dlcv.receptive_fields",
    "dlcv.robustness",
    "dlcv.roofline",
    "dlcv.scratch",
    "dlcv.segmentation",
    "dlcv.training",
    "dlcv.video",
]
# Modules whose names stay namespaced (`dlcv.scratch.dense`): generic names such as `dense` and
# `relu` would read as Keras's own if they sat at the top level.
NAMESPACED = {"dlcv.scratch"}


def is_reexported(name: str) -> bool:
    """Whether `dlcv` serves the module's names: not private (`dlcv._validation`,
    `dlcv.data._files`), not namespaced.
    """
    return not any(part.startswith("_") for part in name.split(".")) and name not in NAMESPACED


def test_public_api_is_exactly_the_expected_list():
    assert dlcv.__all__ == EXPECTED
    assert sorted(dlcv.__all__) == dlcv.__all__


def test_importing_dlcv_loads_no_module_until_a_name_is_used():
    code = (
        "import sys, dlcv\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dlcv.', 'tensorflow'))))\n"
        "assert set(dlcv.__all__) <= set(dir(dlcv)), 'dir() lists the public names'\n"
        "try:\n"
        "    dlcv.no_such_name\n"
        "except AttributeError:\n"
        "    pass\n"
        "else:\n"
        "    raise SystemExit('an unknown name must raise AttributeError')\n"
        "dlcv.read_alt_text\n"
        "print(sorted(m for m in sys.modules if m.startswith(('dlcv.', 'tensorflow', 'keras'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    before, after = proc.stdout.splitlines()
    assert before == "[]"
    # The name's own module and what it imports, not the rest of dlcv (nor TensorFlow, which
    # dlcv.plot does not need).
    assert after == "['dlcv._validation', 'dlcv.plot']"


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist_and_are_reexported(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    for member in module.__all__:
        assert hasattr(module, member), f"{name}.{member}"
        if is_reexported(name):
            assert getattr(dlcv, member) is getattr(module, member)


def test_every_public_name_comes_from_a_module():
    exported = set()
    for name in MODULES:
        if is_reexported(name):
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


# `python dlcv/bench.py` puts dlcv/ itself first on sys.path, so a module there named like one of
# the standard library's is what every later `import <name>` loads: a dlcv/inspect.py once made
# NumPy's `import inspect` load dlcv's (which imports Keras, which imports NumPy) and fail.
PACKAGE_DIR = Path(dlcv.__file__).resolve().parent


def test_no_module_is_named_like_a_standard_library_module():
    names = [info.name for info in pkgutil.walk_packages(dlcv.__path__, "dlcv.")]
    assert set(MODULES) <= set(names)  # the walk sees the package's modules
    clashes = [name for name in names if name.rsplit(".", 1)[-1] in sys.stdlib_module_names]
    assert not clashes, f"rename these, they shadow the standard library: {clashes}"


def _stdlib_imports() -> list[str]:
    """The standard-library modules that dlcv's modules import."""
    found = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return sorted(found & sys.stdlib_module_names - {"__future__", "antigravity", "this"})


def test_running_a_module_as_a_script_imports_the_standard_library():
    # What running any dlcv module as a script does to sys.path, then the standard-library
    # imports of dlcv and NumPy's (which import many more): none may load a file from dlcv/.
    modules = _stdlib_imports()
    assert "dataclasses" in modules
    code = (
        "import importlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "for name in ['numpy', *sys.argv[2:]]:\n"
        "    importlib.import_module(name)\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    if (getattr(module, '__file__', None) or '').startswith(sys.argv[1]):\n"
        "        print(name, module.__file__)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, f"{PACKAGE_DIR}/", *modules],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == "", f"loaded from dlcv/ instead of the standard library:\n{proc.stdout}"
