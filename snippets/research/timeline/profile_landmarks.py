"""Profile the landmark ImageNet classifiers that keras.applications builds, and set
their measured cost against the accuracy their papers report."""

# budget: 20 s — builds eight ImageNet-sized models (VGG16 alone initialises 138 M
# weights); about 7 s of CPU time measured on a shared 2-core machine

from collections import Counter

import keras
from matplotlib.figure import Figure

from dlcv.plot import save_figure, use_style
from dlcv.profiling import profile

# PUBLISHED FACTS, typed in from the papers: nothing below is measured by this program.
# Each row: keras.applications name, label, year of the cited publication, input side
# the paper used, top-1 accuracy (%) the paper reports on ImageNet, how the paper
# evaluated.
REPORTED = [
    # Simonyan & Zisserman, ICLR 2015 (arXiv:1409.1556), Table 3, configuration D: 25.6%
    # top-1 error on the ILSVRC-2012 validation set, one model at one test scale (Q =
    # 384).
    ("VGG16", "VGG-16", 2015, 224, 74.4, "one test scale"),
    # Szegedy et al., CVPR 2016 (arXiv:1512.00567), abstract: 21.2% top-1 error, single
    # frame.
    ("InceptionV3", "Inception-v3", 2016, 299, 78.8, "single crop"),
    # He et al., CVPR 2016 (arXiv:1512.03385), Table 3: 22.85% top-1 error, 10-crop
    # testing.
    ("ResNet50", "ResNet-50", 2016, 224, 77.15, "10 crops"),
    # Huang et al., CVPR 2017 (arXiv:1608.06993), Table 3: 25.02% top-1 error, single
    # crop.
    ("DenseNet121", "DenseNet-121", 2017, 224, 74.98, "single crop"),
    # Howard et al., 2017 (arXiv:1704.04861), Table 6: 1.0 MobileNet-224, 70.6%.
    ("MobileNet", "MobileNet", 2017, 224, 70.6, "not stated"),
    # Sandler et al., CVPR 2018 (arXiv:1801.04381), Table 4: MobileNetV2, 72.0%.
    ("MobileNetV2", "MobileNetV2", 2018, 224, 72.0, "not stated"),
    # Tan & Le, ICML 2019 (arXiv:1905.11946v5), Table 2: EfficientNet-B0, 77.1%; Figure
    # 1 says its numbers are single-crop, single-model.
    ("EfficientNetB0", "EfficientNet-B0", 2019, 224, 77.1, "single crop"),
    # Liu et al., CVPR 2022 (arXiv:2201.03545), Table 1: ConvNeXt-T trained on
    # ImageNet-1K, 82.1%.
    ("ConvNeXtTiny", "ConvNeXt-T", 2022, 224, 82.1, "not stated"),
]

# MEASURED here: the architecture alone (weights=None downloads nothing), counted layer
# by layer.
measured = {}
print(
    f"{'Model':<15} {'Input':>7} {'Params (M)':>10} {'MACs (G)':>9} {'FLOPs (G)':>9}  "
    "Layers not counted"
)
for name, label, _, side, _, _ in REPORTED:
    model = getattr(keras.applications, name)(weights=None, input_shape=(side, side, 3))
    result = profile(model)
    # An unsupported layer has no MAC count: list its classes rather than hide it.
    classes = Counter(
        entry.rsplit(" (", 1)[1].rstrip(")") for entry in result.unsupported
    )
    missing = (
        ", ".join(f"{count} x {cls}" for cls, count in sorted(classes.items()))
        or "none"
    )
    print(
        f"{label:<15} {side:>3}x{side:<3} {result.params / 1e6:>10.2f} "
        f"{result.macs / 1e9:>9.3f} {result.flops / 1e9:>9.3f}  {missing}"
    )
    measured[name] = result.macs
    del model, result  # drop each model before building the next

print()
print("Reported by the papers (typed in, not measured here):")
print(f"{'Model':<15} {'Year':>4} {'Top-1 (%)':>9}  Evaluation")
for _, label, year, _, top1, protocol in REPORTED:
    print(f"{label:<15} {year:>4} {top1:>9.2f}  {protocol}")

use_style()
fig = Figure(figsize=(5.6, 5.4))
ax = fig.subplots()
markers = {
    "10 crops": "s",
    "single crop": "o",
    "one test scale": "D",
    "not stated": "^",
}
for protocol, marker in markers.items():
    rows = [row for row in REPORTED if row[5] == protocol]
    ax.scatter(
        [measured[row[0]] / 1e9 for row in rows],
        [row[4] for row in rows],
        marker=marker,
        s=50,
        label=protocol,
    )
for name, label, year, _, top1, _ in REPORTED:
    ax.annotate(
        f"{label} ({year})",
        (measured[name] / 1e9, top1),
        xytext=(6, 4),
        textcoords="offset points",
    )
ax.set_xscale("log")
ax.set_xlim(0.2, 40)
ax.set_xticks([0.3, 1, 3, 10, 30], labels=["0.3", "1", "3", "10", "30"])
ax.set_xlabel("multiply-accumulates per image (G, log scale)")
ax.set_ylabel("reported ImageNet top-1 (%)")
ax.set_title("Reported accuracy against measured cost")
fig.legend(title="paper's evaluation", loc="outside lower center", ncols=2)
save_figure(
    fig,
    "accuracy_vs_macs.png",
    caption="Reported accuracy against measured cost",
    alt=(
        "Scatter plot with one labelled point per model: reported ImageNet top-1 "
        "accuracy on the vertical axis against measured multiply-accumulates per image "
        "on a logarithmic horizontal axis. MobileNet, MobileNetV2 and EfficientNet-B0 "
        "sit at the cheap left end below a billion MACs; VGG-16 sits far right at "
        "about fifteen billion MACs with lower accuracy than ResNet-50, Inception-v3 "
        "and ConvNeXt-T, which cost four to six billion. ConvNeXt-T is the highest "
        "point. Marker shapes show how each paper evaluated: ten crops, a single crop, "
        "one test scale, or not stated."
    ),
)
