"""A small U-Net, assembled from dlcv.blocks, learns to label every pixel of generated
images."""

# budget: 40 s — trains a segmentation network (560 steps on 1,500 images) on 2 CPU
# cores

import keras
import numpy as np
import tensorflow as tf
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from dlcv.blocks import apply_conv_bn, apply_upsample_block
from dlcv.plot import save_figure, use_style
from dlcv.segmentation import SHAPE_KINDS, dice_coefficient, make_shapes_masks, mask_iou

keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()
SIZE, CLASSES = 32, 1 + len(SHAPE_KINDS)

x_train, y_train = make_shapes_masks(1500, size=SIZE, seed=0)
x_test, y_test = make_shapes_masks(200, size=SIZE, seed=1)  # held out: another seed


def build_unet(
    size: int, classes: int, widths: tuple[int, ...] = (8, 16, 32)
) -> keras.Model:
    """An encoder that halves the resolution at each level, and a decoder that climbs
    back."""
    inputs = keras.Input((size, size, 3))
    x, skips = inputs, []
    for level, width in enumerate(widths[:-1]):
        x = apply_conv_bn(x, width, name=f"enc{level}_1")
        x = apply_conv_bn(x, width, name=f"enc{level}_2")
        skips.append(x)  # kept before pooling, for the decoder
        x = keras.layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    x = apply_conv_bn(x, widths[-1], name="bottom_1")
    x = apply_conv_bn(x, widths[-1], name="bottom_2")
    for level in reversed(range(len(widths) - 1)):
        x = apply_upsample_block(x, skips[level], widths[level], name=f"dec{level}")
    # One score per class at every pixel: a 1x1 convolution is a dense layer applied per
    # pixel.
    logits = keras.layers.Conv2D(classes, 1, name="class_scores")(x)
    return keras.Model(inputs, logits, name="small_unet")


model = build_unet(SIZE, CLASSES)
print(f"{model.count_params():,} parameters; output {model.output_shape}")

epochs, batch_size = 3, 8
steps = epochs * len(x_train) // batch_size
model.compile(
    optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(3e-3, steps)
    ),
    # Cross-entropy at every pixel, averaged: the masks stay integer labels.
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
batches = tf.data.Dataset.from_tensor_slices((x_train, y_train))
batches = batches.shuffle(len(x_train), seed=0).batch(batch_size)
history = model.fit(batches, epochs=epochs, shuffle=False, verbose=0)
print(
    "training loss per epoch:",
    " ".join(f"{loss:.3f}" for loss in history.history["loss"]),
)

scores = model(x_test, training=False)  # (200, 32, 32, 4): a score per class and pixel
predicted = np.argmax(scores, axis=-1)
iou = mask_iou(y_test, predicted, num_classes=CLASSES)
dice = dice_coefficient(y_test, predicted, num_classes=CLASSES)
print(f"\n{'class':<11} {'IoU':>6} {'Dice':>6}")
for name, j, d in zip(
    ("background", *SHAPE_KINDS), iou.per_class, dice.per_class, strict=True
):
    print(f"{name:<11} {j:>6.3f} {d:>6.3f}")
print(f"{'mean':<11} {iou.mean:>6.3f} {dice.mean:>6.3f}")
print(f"pixel accuracy: {np.mean(predicted == y_test):.1%}")

use_style()
mask_colours = ListedColormap(["#222222", "#e69f00", "#56b4e9", "#009e73"])
# The first three test images, then the three with the most mislabelled pixels.
wrong = np.sum(predicted != y_test, axis=(1, 2))
shown = [0, 1, 2, *np.argsort(-wrong, kind="stable")[:3]]
fig = Figure(figsize=(5.6, 3.4))
axes = fig.subplots(3, len(shown))
for column, i in enumerate(shown):
    axes[0, column].imshow(x_test[i])
    axes[1, column].imshow(y_test[i], cmap=mask_colours, vmin=0, vmax=3)
    axes[2, column].imshow(predicted[i], cmap=mask_colours, vmin=0, vmax=3)
    axes[2, column].set_xlabel(f"{wrong[i]} wrong")
    for ax in axes[:, column]:
        ax.set_xticks([])
        ax.set_yticks([])
for row, label in enumerate(("image", "true mask", "predicted")):
    axes[row, 0].set_ylabel(label)
save_figure(
    fig,
    "predicted_masks.png",
    caption="Held-out images, their true masks and the U-Net's masks",
    alt=(
        "Three rows for six held-out 32 by 32 images, the first three of the test set "
        "and the three with the most mislabelled pixels: the images, with bright "
        "disks, squares and triangles on dark backgrounds; their true masks; and the "
        "masks the small U-Net predicted, in the same colours (background dark grey, "
        "disks orange, squares blue, triangles green), each with its count of wrong "
        "pixels. The first three predictions match their masks almost exactly. The "
        "worst three show overlapping shapes or a shape cut by the image border, and "
        "their errors are whole shapes, or large parts of them, given the colour of "
        "another kind, while the outlines are mostly right."
    ),
)
