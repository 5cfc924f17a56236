"""The convolution written from slices and one einsum computes what tf.nn.conv2d
computes."""

import keras
import numpy as np
import tensorflow as tf
from scipy import ndimage
from skimage import data

from dlcv.scratch import conv2d

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# A real photo (400x600 RGB, scaled to [0, 1]) and 8 random 3x3 filters over its 3
# channels.
image = tf.constant(data.coffee()[None] / 255.0, tf.float32)
kernel = tf.constant(rng.normal(size=(3, 3, 3, 8)), tf.float32)

print("strides  padding  dilation  output shape        largest |ours - tf.nn.conv2d|")
for strides, padding, dilation in [
    (1, "valid", 1),
    (1, "same", 1),
    (2, "same", 1),
    (1, "same", 3),
    ((2, 3), "valid", (2, 1)),
]:
    ours = conv2d(image, kernel, strides=strides, padding=padding, dilation=dilation)
    theirs = tf.nn.conv2d(image, kernel, strides, padding.upper(), dilations=dilation)
    difference = float(tf.reduce_max(tf.abs(ours - theirs)))
    # Rounding differs with the order of the sums: report 0 or a bound, not run-to-run
    # noise.
    verdict = (
        "0" if difference == 0 else "below 1e-5" if difference < 1e-5 else "LARGER"
    )
    shape = str(tuple(ours.shape))
    print(f"{strides!s:<8} {padding:<8} {dilation!s:<9} {shape:<19} {verdict}")

# Deep learning's "convolution" does not flip the kernel: it is a cross-correlation.
gray = data.camera()[100:164, 200:264] / 255.0  # a 64x64 crop
sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
ours = conv2d(gray[None, :, :, None], sobel_x[:, :, None, None], padding="same")[
    0, :, :, 0
]
correlated = ndimage.correlate(gray, sobel_x, mode="constant")  # no flip
convolved = ndimage.convolve(gray, sobel_x, mode="constant")  # flips the kernel first
print()
print(
    "conv2d equals scipy.ndimage.correlate:", np.allclose(ours, correlated, atol=1e-5)
)
print("conv2d equals scipy.ndimage.convolve: ", np.allclose(ours, convolved, atol=1e-5))
print(
    "conv2d equals -convolve (flipped):    ", np.allclose(ours, -convolved, atol=1e-5)
)
