"""What does the machine that built this page sustain? A quick dlcv.bench run and its
roofline."""

import keras

from dlcv.bench import run_benchmarks
from dlcv.bench_report import format_report
from dlcv.plot import save_figure, use_style
from dlcv.roofline import plot_roofline

# output varies: measured timings
keras.utils.set_random_seed(0)
use_style()

# Matrix products in four dtypes at three sizes, a convolution per dtype, and memory
# bandwidth.
report = run_benchmarks(quick=True)
print(format_report(report))

# With no datasheet peak given, the roof is drawn from the best measured values.
fig = plot_roofline(report)
best_flops = max(m.flops_per_second for m in report.measurements)
bandwidth = max(
    m.bytes_per_second for m in report.measurements if m.kind == "bandwidth"
)
save_figure(
    fig,
    "roofline.png",
    caption="A roofline of the machine that built this page",
    alt=(
        "Log-log roofline of the build machine: arithmetic intensity in FLOP per byte "
        "against "
        f"FLOP/s. A black roof rises with the measured bandwidth, "
        f"{bandwidth / 1e9:.1f} GB/s, and levels off at the best measured rate, "
        f"{best_flops / 1e9:.0f} GFLOP/s. {len(report.measurements)} points sit under "
        f"it: matrix products and convolutions "
        "in each dtype at the right, the bandwidth kernel at the far left."
    ),
)
