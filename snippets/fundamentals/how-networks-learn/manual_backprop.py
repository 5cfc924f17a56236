"""Backpropagation by hand: the chain rule gives the gradient tf.GradientTape gives."""

import numpy as np
import tensorflow as tf

from dlcv.data import load_digits_images
from dlcv.scratch import (
    init_mlp_params,
    manual_gradients,
    mlp_forward,
    sparse_softmax_cross_entropy,
)

images, labels = load_digits_images()
# float64, so that the comparison shows the derivation, not float32 rounding.
x = images[:64].reshape(64, -1).astype("float64")
y = labels[:64]
params = init_mlp_params([64, 16, 10], seed=0, dtype="float64")

with tf.GradientTape() as tape:
    loss = sparse_softmax_cross_entropy(y, mlp_forward(x, params))
automatic = tape.gradient(loss, params)  # reverse-mode automatic differentiation
by_hand = manual_gradients(x, y, params)  # the chain rule, written out in dlcv.scratch

names = ["kernel_1", "bias_1", "kernel_2", "bias_2"]
flat_tape = [g for pair in automatic for g in pair]
flat_hand = [g for pair in by_hand for g in pair]
print(f"loss on 64 digits: {float(loss):.6f}")
print("parameter  shape      max |by hand - tape|")
for name, ours, theirs in zip(names, flat_hand, flat_tape, strict=True):
    shape = str(tuple(ours.shape))
    print(f"{name:<9}  {shape:<9}  {np.abs(ours.numpy() - theirs.numpy()).max():.1e}")

# A third, independent check: nudge one weight up and down and watch the loss move.
kernel_1 = params[0][0]
row, column, h = 36, 5, 1e-6
original = kernel_1[row, column].numpy()
losses = []
for value in (original + h, original - h):
    kernel_1[row, column].assign(value)
    losses.append(float(sparse_softmax_cross_entropy(y, mlp_forward(x, params))))
kernel_1[row, column].assign(original)
slope = (losses[0] - losses[1]) / (2 * h)
print(f"\nd loss / d kernel_1[{row}, {column}]")
print(f"  by hand:             {float(by_hand[0][0][row, column]):+.8f}")
print(f"  central difference:  {slope:+.8f}")
