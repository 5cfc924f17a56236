"""What the generated segmentation data looks like: images, their masks and the class
balance."""

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dlcv.plot import save_figure, use_style
from dlcv.segmentation import SHAPE_KINDS, make_shapes_masks

images, masks = make_shapes_masks(500, size=64, seed=0)
class_names = ("background", *SHAPE_KINDS)
print(f"images: {images.shape} {images.dtype}, masks: {masks.shape} {masks.dtype}")

pixels = np.bincount(masks.ravel(), minlength=len(class_names))
images_with = [
    (masks == label).any(axis=(1, 2)).sum() for label in range(len(class_names))
]
print(f"{'class':<11} {'label':>5} {'pixels':>8} {'share':>7} {'images':>7}")
for label, name in enumerate(class_names):
    share = pixels[label] / pixels.sum()
    print(
        f"{name:<11} {label:>5} {pixels[label]:>8} {share:>7.1%} "
        f"{images_with[label]:>7}"
    )

use_style()
# One fixed colour per class, the same in every mask figure on the page.
colours = ["#222222", "#e69f00", "#56b4e9", "#009e73"]
mask_colours = ListedColormap(colours)
fig = Figure(figsize=(5.6, 2.7))
axes = fig.subplots(2, 6)
for column in range(6):
    axes[0, column].imshow(images[column])
    axes[1, column].imshow(
        masks[column], cmap=mask_colours, vmin=0, vmax=3, interpolation="nearest"
    )
    for ax in axes[:, column]:
        ax.set_xticks([])
        ax.set_yticks([])
axes[0, 0].set_ylabel("image")
axes[1, 0].set_ylabel("mask")
handles = [
    Patch(color=c, label=name) for c, name in zip(colours, class_names, strict=True)
]
fig.legend(handles=handles, loc="outside lower center", ncols=len(class_names))
save_figure(
    fig,
    "shapes_and_masks.png",
    caption="Generated images and their masks",
    alt=(
        "Six generated 64 by 64 images, each with one or two bright disks, squares or "
        "triangles on a dark, noisy gradient background, and below each its mask: "
        "background in dark grey, disks in orange, squares in blue and triangles in "
        "green. Where shapes overlap, the mask follows the shape drawn on top."
    ),
)
