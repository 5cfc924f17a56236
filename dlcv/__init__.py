"""dlcv: the tested TensorFlow/Keras code behind the dlcv knowledge base."""

from dlcv.bench import (
    BenchReport,
    CPUPeak,
    Measurement,
    estimate_cpu_peak,
    format_report,
    measure_bandwidth,
    plot_roofline,
    report_from_json,
    report_to_json,
    run_benchmarks,
    time_conv2d,
    time_matmul,
)
from dlcv.data import load_digits_images, make_dataset, split_train_test
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
from dlcv.inspect import layer_outputs
from dlcv.plot import read_alt_text, save_figure, use_style
from dlcv.training import History, evaluate, train

__version__ = "0.1.0"

__all__ = [
    "BenchReport",
    "CPUPeak",
    "DeviceInfo",
    "HardwareInfo",
    "History",
    "Measurement",
    "Setup",
    "__version__",
    "describe_hardware",
    "estimate_cpu_peak",
    "evaluate",
    "format_hardware",
    "format_report",
    "layer_outputs",
    "load_digits_images",
    "make_dataset",
    "measure_bandwidth",
    "pick_precision",
    "pick_strategy",
    "plot_roofline",
    "read_alt_text",
    "report_from_json",
    "report_to_json",
    "run_benchmarks",
    "save_figure",
    "setup_hardware",
    "split_train_test",
    "time_conv2d",
    "time_matmul",
    "train",
    "use_style",
]
