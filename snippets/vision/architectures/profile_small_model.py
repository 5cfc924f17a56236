"""Build a small classifier from dlcv's blocks and count what each layer costs."""

import keras

from dlcv.blocks import (
    apply_conv_bn,
    apply_residual_block,
    apply_separable_block,
    apply_squeeze_excite,
)
from dlcv.profiling import format_profile, profile

keras.utils.set_random_seed(0)

inputs = keras.Input((64, 64, 3))
x = apply_conv_bn(inputs, 32, strides=2, name="stem")  # 32x32
x = apply_residual_block(x, 32, name="res1")
# 16x16, SE on the branch
x = apply_residual_block(x, 64, strides=2, se_ratio=8, name="res2")
x = apply_separable_block(x, 128, strides=2, name="sep")  # 8x8
x = apply_squeeze_excite(x, ratio=8, name="se")
x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
outputs = keras.layers.Dense(10, activation="softmax", name="classes")(x)
model = keras.Model(inputs, outputs, name="small")

result = profile(model)
print(format_profile(result))
print()
print(f"Parameters equal Keras's count: {result.params == model.count_params()}")
# Squeeze-and-excitation layers are the ones named *se_*: cheap in MACs, not free in
# weights.
se_rows = [row for row in result.layers if "se_" in row.name]
se_params = sum(row.params for row in se_rows)
se_macs = sum(row.macs or 0 for row in se_rows)
print(
    f"Squeeze-and-excitation: {se_params / result.params:.1%} of the parameters, ",
    end="",
)
print(f"{se_macs / result.macs:.2%} of the MACs")
print(f"Unsupported layers: {list(result.unsupported) or 'none'}")
