"""Output sizes under stride, padding and dilation: the formula, conv2d and tf.nn.conv2d
agree."""

import keras
import tensorflow as tf

from dlcv.scratch import conv2d

keras.utils.set_random_seed(0)


# --8<-- [start:sizes]
def output_size(size, kernel, stride, dilation, padding):
    """Dumoulin and Visin's formula, with TensorFlow's choice of padding."""
    span = (kernel - 1) * dilation + 1  # input pixels one window covers
    if padding == "valid":
        before = after = 0
    else:  # "same": ceil(size / stride) outputs, padding split with the odd pixel after
        total = max((-(-size // stride) - 1) * stride + span - size, 0)
        before, after = total // 2, total - total // 2
    return (size + before + after - span) // stride + 1, before, after


x = tf.zeros((1, 8, 8, 1))  # an 8x8 input
print(
    "kernel  stride  dilation  padding  pad before+after  formula  conv2d  tf.nn.conv2d"
)
for kernel, stride, dilation, padding in [
    (3, 1, 1, "valid"),
    (3, 1, 1, "same"),
    (4, 1, 1, "same"),
    (3, 2, 1, "valid"),
    (3, 2, 1, "same"),
    (3, 1, 2, "valid"),
    (3, 1, 2, "same"),
    (3, 3, 2, "same"),
]:
    formula, before, after = output_size(8, kernel, stride, dilation, padding)
    weights = tf.zeros((kernel, kernel, 1, 1))
    ours = conv2d(x, weights, strides=stride, padding=padding, dilation=dilation).shape[
        1
    ]
    theirs = tf.nn.conv2d(
        x, weights, stride, padding.upper(), dilations=dilation
    ).shape[1]
    pads = f"{before}+{after}"
    print(
        f"{kernel:>6}  {stride:>6}  {dilation:>8}  {padding:<7}  {pads:>16}  "
        f"{formula:>7}  {ours:>6}  {theirs:>12}"
    )
# --8<-- [end:sizes]
