"""Symmetric int8 quantization by hand, per tensor and per channel, next to what
Keras's `model.quantize("int8")` stores."""

import keras
import numpy as np
from matplotlib.figure import Figure

import dlcv
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
# A kernel whose 16 output units have weights of very different sizes, as trained
# layers can: unit j's weights have a spread between 0.01 and 1.
spread = np.logspace(-2, 0, 16, dtype="float32")
kernel = rng.normal(size=(64, 16)).astype("float32") * spread
x = rng.random((256, 64)).astype("float32")

use_style()
fig = Figure(figsize=(5.6, 2.6))
ax = fig.subplots()
for name, axis in [("per tensor", None), ("per channel", -1)]:
    q, scale = dlcv.quantize_int8(kernel, channel_axis=axis)
    error = np.abs(dlcv.dequantize_int8(q, scale) - kernel)
    # each unit's worst error, relative to that unit's largest weight
    relative = error.max(axis=0) / np.abs(kernel).max(axis=0)
    ax.plot(spread, relative, marker="o", label=name)
    print(
        f"{name:>11}: {scale.size:>2} scales; worst unit's error "
        f"{relative.max():.1%} of its largest weight, median unit "
        f"{np.median(relative):.2%}; {np.mean(q == 0):.0%} of weights became 0"
    )

ax.set(
    xscale="log",
    yscale="log",
    xlabel="spread of the unit's weights",
    ylabel="error / largest weight",
)
ax.legend()
save_figure(
    fig,
    "int8_error_per_unit.png",
    alt=(
        "Worst rounding error of each of 16 units, relative to its largest weight, "
        "against the spread of its weights on log axes. With one scale per tensor the "
        "error falls from about 0.6 for the smallest units to 0.004 for the largest; "
        "with one scale per channel it stays near 0.004 for every unit."
    ),
    caption="Int8 rounding error per unit: one scale per tensor or one per unit",
)

model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16)])
model.layers[0].set_weights([kernel, np.zeros(16, "float32")])
float_out = np.asarray(model(x))
float_bytes = dlcv.weight_bytes(model)
# Only Dense layers have an int8 mode here; Keras would warn about the others.
model.quantize("int8", filters=lambda layer: isinstance(layer, keras.layers.Dense))
layer = model.layers[0]
print()
print("Keras stores:", ", ".join(f"{w.name} {w.dtype}{w.shape}" for w in layer.weights))
q, scale = dlcv.quantize_int8(kernel, channel_axis=-1)
stored = np.asarray(layer.kernel)
print(f"int8 values equal to dlcv.quantize_int8's: {np.mean(stored == q):.2%}")
# Keras keeps the reciprocal, 127 / max|w|, and multiplies by it to quantize.
product = np.asarray(layer.kernel_scale) * scale[0]
print(f"kernel_scale * dlcv's scale: 1 to within {np.abs(product - 1).max():.0e}")
int8_out = np.asarray(model(x))
print(
    f"int8 layer's outputs: at most {np.abs(int8_out - float_out).max():.3f} from "
    f"float32's, whose largest is {np.abs(float_out).max():.2f}"
)
print(f"weight bytes: {dlcv.weight_bytes(model):,} in int8, {float_bytes:,} in float32")
