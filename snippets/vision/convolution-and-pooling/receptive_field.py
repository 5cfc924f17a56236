"""What one output unit sees: its receptive field, from dlcv.receptive_field and from a
gradient."""

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv.plot import save_figure, use_style
from dlcv.receptive_fields import receptive_field
from dlcv.scratch import conv2d

keras.utils.set_random_seed(0)


# --8<-- [start:receptive_field]
def pixels_seen(layers, size=48):
    """Which input pixels change the centre output of a stack of (kernel, stride,
    dilation) convolutions: the non-zero entries of that output's gradient with respect
    to the input."""
    image = tf.Variable(tf.zeros((1, size, size, 1)))
    with tf.GradientTape() as tape:
        hidden = image
        for kernel, stride, dilation in layers:
            weights = tf.ones((kernel, kernel, 1, 1))
            hidden = conv2d(hidden, weights, strides=stride, dilation=dilation)
        centre = hidden[0, hidden.shape[1] // 2, hidden.shape[2] // 2, 0]
    return tape.gradient(centre, image)[0, :, :, 0].numpy() != 0


stacks = {
    "one 5x5": [(5, 1, 1)],
    "two 3x3": [(3, 1, 1), (3, 1, 1)],
    "3x3, dilation 2": [(3, 1, 2)],
    "3x3, 3x3 stride 2, 3x3": [(3, 1, 1), (3, 2, 1), (3, 1, 1)],
    "3x3, dilation 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
}
print("stack                   weights  receptive field  by gradient  pixels used")
seen = {}
for name, layers in stacks.items():
    seen[name] = pixels_seen(layers)
    rows = np.flatnonzero(seen[name].any(axis=1))
    extent = rows[-1] - rows[0] + 1
    field = receptive_field(layers).size[0]
    weights = sum(kernel * kernel for kernel, _, _ in layers)
    used = f"{seen[name].sum()} of {extent * extent}"
    print(f"{name:<23} {weights:>7}  {field:>15}  {extent:>11}  {used:>11}")
# --8<-- [end:receptive_field]

use_style()
fig = Figure(figsize=(5.6, 4.4))
axes = fig.subplots(2, 3).ravel()  # five stacks on a grid of six
for ax, (name, mask) in zip(axes[: len(stacks)], seen.items(), strict=True):
    weights = sum(kernel * kernel for kernel, _, _ in stacks[name])
    ax.imshow(mask[12:36, 12:36], cmap="Blues", vmin=0, vmax=1.4)
    ax.set_xticks(np.arange(-0.5, 24, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 24, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.3)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.7")
    ax.set_title(f"{name}\n({weights} weights)")
axes[-1].set_axis_off()
save_figure(
    fig,
    "receptive_fields.png",
    caption="The input pixels one output depends on, for five stacks",
    alt=(
        "Five 24x24 pixel grids, each with the input pixels that one output unit "
        "depends on filled in blue. One 5x5 convolution and two stacked 3x3 "
        "convolutions both fill a solid 5x5 square. A single 3x3 convolution with "
        "dilation 2 spans the same 5x5 square but touches only 9 pixels, every second "
        "one, in a sparse lattice. Three 3x3 layers with a stride of 2 in the middle "
        "fill a solid 9x9 square. Three 3x3 layers with dilation 1, 2 and 4 fill a "
        "solid 15x15 square with no holes."
    ),
)
