"""Profile four standard architectures; compare with Keras's and the papers' counts."""

# budget: 15 s — builds four ImageNet-sized models (VGG16 alone initialises 138 M
# weights)

import keras

from dlcv.profiling import profile

# Multiply-adds for one 224x224 image, as printed in the papers.
PUBLISHED = {
    # He et al. 2016 (arXiv:1512.03385), Sec. 4.1: ResNet-50 "has 3.8 billion FLOPs",
    # the paper's FLOPs being multiply-adds ("3.6 billion FLOPs (multiply-adds)" for
    # ResNet-34).
    "ResNet50": (3.8e9, "He et al. 2016, Sec. 4.1"),
    # He et al. 2016, Sec. 4.1: "VGG-16/19 nets (15.3/19.6 billion FLOPs)".
    "VGG16": (15.3e9, "He et al. 2016, Sec. 4.1"),
    # Howard et al. 2017 (arXiv:1704.04861), Table 8: 1.0 MobileNet-224, 569 million
    # Mult-Adds.
    "MobileNet": (569e6, "Howard et al. 2017, Table 8"),
    # Sandler et al. 2018 (arXiv:1801.04381), Table 4: MobileNetV2, 300M MAdds.
    "MobileNetV2": (300e6, "Sandler et al. 2018, Table 4"),
}

print(
    f"{'Model':<12} {'Params (ours)':>14} {'Params (Keras)':>15} "
    f"{'MACs (ours)':>12} {'MACs (paper)':>13} {'Diff.':>7}  Source"
)
for name, (paper_macs, source) in PUBLISHED.items():
    # weights=None: the architecture only, no download.
    model = getattr(keras.applications, name)(weights=None, input_shape=(224, 224, 3))
    result = profile(model)
    assert not result.unsupported, result.unsupported
    difference = result.macs / paper_macs - 1
    print(
        f"{name:<12} {result.params:>14,} {model.count_params():>15,} "
        f"{result.macs / 1e9:>10.3f} G {paper_macs / 1e9:>11.3f} G {difference:>+7.2%} "
        f" {source}"
    )
    del model, result  # drop each model before building the next
