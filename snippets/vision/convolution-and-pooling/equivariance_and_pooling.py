"""Convolution commutes with shifts, max pooling absorbs small ones, and weights are
shared."""

import keras
import numpy as np
import tensorflow as tf
from skimage import data

from dlcv.scratch import conv2d, max_pool2d

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

image = tf.constant(data.camera()[None, :, :, None] / 255.0, tf.float32)  # 1x512x512x1
kernel = tf.constant(rng.normal(size=(5, 5, 1, 4)), tf.float32)  # 4 random 5x5 filters


def shift(t, dy, dx):
    """Move an NHWC tensor's content down by dy and right by dx (wrapping around)."""
    return tf.roll(t, (dy, dx), axis=(1, 2))


def largest(a, b):
    return float(tf.reduce_max(tf.abs(a - b)))


dy, dx = 3, 5
conv_then_shift = shift(conv2d(image, kernel, padding="same"), dy, dx)
shift_then_conv = conv2d(shift(image, dy, dx), kernel, padding="same")
# Away from the borders (where padding and the wrap-around differ), the two agree.
margin = 8
inside = (slice(None), slice(margin, -margin), slice(margin, -margin))
print(f"convolution, shift by ({dy}, {dx}): largest difference")
print(
    f"  away from the borders: "
    f"{largest(conv_then_shift[inside], shift_then_conv[inside]):.1e}"
)
print(f"  everywhere:            {largest(conv_then_shift, shift_then_conv):.1e}")

# A dense layer mapping a 32x32 crop to 32x32 outputs has no such property.
crop = image[:, 200:232, 200:232, 0]
dense = tf.constant(rng.normal(size=(32 * 32, 32 * 32)) / 32, tf.float32)


def dense_map(t):
    return tf.reshape(tf.reshape(t, (1, -1)) @ dense, (1, 32, 32, 1))


a = shift(dense_map(crop), dy, dx)[inside]
b = dense_map(shift(crop[..., None], dy, dx))[inside]
print(f"dense layer, same shift: largest difference {largest(a, b):.1e}")

# Shift the photo by one pixel and count the pooled outputs that keep their value.
features = conv2d(image, kernel, padding="same")
moved = conv2d(shift(image, 0, 1), kernel, padding="same")
print()
keep = (slice(None), slice(4, -4), slice(4, -4))  # ignore the wrapped-around border
print("max pooling (stride 1)  outputs unchanged by a 1-pixel shift")
for size in [1, 2, 3, 4]:
    before = max_pool2d(features, pool_size=size, strides=1)
    after = max_pool2d(moved, pool_size=size, strides=1)
    unchanged = np.mean(np.abs(before[keep] - after[keep]) < 1e-6)
    label = "none" if size == 1 else f"{size}x{size}"
    print(f"{label:>22}  {unchanged:>8.0%}")

# Strided pooling is equivariant only to shifts by a multiple of its stride.
pooled = max_pool2d(features, pool_size=2)  # 2x2, stride 2
print("2x2 pooling, stride 2:")
for pixels in (2, 1):
    pooled_moved = max_pool2d(
        conv2d(shift(image, 0, pixels), kernel, padding="same"), pool_size=2
    )
    closest = min(
        largest(shift(pooled, 0, s)[keep], pooled_moved[keep]) for s in (0, 1)
    )
    print(
        f"  input shifted {pixels} px: nearest shifted pooled map differs by "
        f"{closest:.1e}"
    )

# Weights needed to map a 224x224 RGB image to 64 feature maps of the same size.
height, width, channels_in, channels_out, k = 224, 224, 3, 64, 3
dense_weights = (height * width * channels_in + 1) * (height * width * channels_out)
# local, not shared
local_weights = height * width * channels_out * (k * k * channels_in + 1)
conv_layer = keras.layers.Conv2D(channels_out, k, padding="same")
conv_layer.build((None, height, width, channels_in))
print()
print(f"dense layer, every input to every output: {dense_weights:>18,}")
print(f"3x3 windows, separate weights per pixel:  {local_weights:>18,}")
print(f"3x3 convolution (keras.layers.Conv2D):    {conv_layer.count_params():>18,}")
