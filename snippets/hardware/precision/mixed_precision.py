"""What a dtype policy changes, where float16 breaks, and training under the policy dlcv
picks."""

import keras
import numpy as np
import tensorflow as tf

import dlcv

keras.utils.set_random_seed(0)

for policy in ("float32", "mixed_float16", "mixed_bfloat16"):
    layer = keras.layers.Dense(4, dtype=policy)
    y = layer(np.ones((1, 8), dtype="float32"))
    print(
        f"{policy:>15}: weights stored as {layer.kernel.dtype}, "
        f"computed in {layer.compute_dtype}, output {y.dtype.name}"
    )

print()
for value in (70000.0, 1e-8, 1 + 1e-3):
    f16 = float(tf.cast(value, tf.float16))
    bf16 = float(tf.cast(value, tf.bfloat16))
    print(f"{value:>10g} → float16 {f16:<10g} bfloat16 {bf16:g}")

print()
setup = dlcv.setup_hardware()  # float32 on a CPU, mixed_bfloat16 on an H100 or a TPU
images, labels = dlcv.load_digits_images()
with setup.strategy.scope():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10),
            # keep the output in float32
            keras.layers.Activation("softmax", dtype="float32"),
        ]
    )
    optimizer = keras.optimizers.Adam(1e-2)
    if setup.precision == "mixed_float16":
        # float16 gradients underflow without it; bfloat16 has float32's range and needs
        # none.
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
history = dlcv.train(
    model,
    tf.data.Dataset.from_tensor_slices((images, labels)),
    loss="sparse_categorical_crossentropy",
    optimizer=optimizer,
    epochs=3,
    global_batch_size=setup.global_batch_size(64),
    strategy=setup.strategy,
    verbose=0,
)
print(
    f"hidden layer computes in {model.layers[1].compute_dtype}; "
    f"final loss {history.last('loss'):.4f}"
)
