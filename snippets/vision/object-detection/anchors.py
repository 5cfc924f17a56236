"""Anchor boxes: a grid of reference boxes, how many there are, and how well they fit
objects."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcv.detection import box_iou, make_anchors
from dlcv.plot import save_figure, use_style

IMAGE = 128

# --8<-- [start:anchors]
# A 128 x 128 image seen through a stride-16 feature map (8 x 8 positions), with
# 3 scales x 3 aspect ratios (width / height) per position, as in Faster R-CNN.
scales, ratios = [16, 32, 64], [0.5, 1.0, 2.0]
anchors = make_anchors(8, image_size=IMAGE, scales=scales, aspect_ratios=ratios)
print("anchors:", anchors.shape)
print("the nine at position (row 3, column 4), x1 y1 x2 y2:")
print(np.round(anchors.reshape(8, 8, 9, 4)[3, 4], 1))

print("\nanchors per image, 9 per position")
for height, width, stride in [
    (128, 128, 16),
    (512, 512, 16),
    (600, 1000, 16),
    (512, 512, 8),
]:
    rows, cols = -(-height // stride), -(-width // stride)  # ceiling division
    grid = make_anchors(
        (rows, cols), image_size=(height, width), scales=scales, aspect_ratios=ratios
    )
    size, feature_map = f"{height} x {width}", f"{rows} x {cols}"
    print(
        f"{size:>10} image, stride {stride:>2}: {feature_map:>7} map -> {len(grid):>6,}"
    )

# Generated objects: 2,000 boxes with sides from 8 to 96 pixels, anywhere in the image.
rng = np.random.default_rng(0)
sizes = np.exp(rng.uniform(np.log(8), np.log(96), size=(2000, 2)))  # width, height
corners = rng.uniform(0, 1, size=(2000, 2)) * (IMAGE - sizes)
objects = np.concatenate([corners, corners + sizes], axis=1)

designs = {  # name: (feature map size, scales, aspect ratios)
    "8 x 8, 1 scale, 1 ratio": (8, [32], [1.0]),
    "8 x 8, 3 scales, 1 ratio": (8, scales, [1.0]),
    "8 x 8, 3 scales, 3 ratios": (8, scales, ratios),
    "16 x 16, 6 scales, 3 ratios": (16, [11, 16, 23, 32, 45, 64], ratios),
}
best = {}
print(f"\n{'design':<28} {'anchors':>7}  mean best IoU  >= 0.5  >= 0.7")
for label, (size, design_scales, design_ratios) in designs.items():
    grid = make_anchors(
        size, image_size=IMAGE, scales=design_scales, aspect_ratios=design_ratios
    )
    iou = best[label] = box_iou(objects, grid).max(axis=1)
    line = f"{label:<28} {len(grid):>7}  {iou.mean():>13.2f}"
    print(f"{line}  {np.mean(iou >= 0.5):>6.0%}  {np.mean(iou >= 0.7):>6.0%}")
# --8<-- [end:anchors]

use_style()
fig = Figure(figsize=(5.6, 6.4))
left, right = fig.subplots(2, 1)
centers = (anchors[::9, :2] + anchors[::9, 2:]) / 2
left.scatter(centers[:, 0], centers[:, 1], s=6, color="0.5")
colors = {16: "tab:blue", 32: "tab:orange", 64: "tab:green"}
for (x1, y1, x2, y2), scale in zip(
    anchors.reshape(8, 8, 9, 4)[3, 4], np.repeat(scales, 3), strict=True
):
    left.add_patch(
        Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.2, ec=colors[scale])
    )
left.set_xlim(0, IMAGE)
left.set_ylim(IMAGE, 0)
left.set_aspect("equal")
left.set_title("8 x 8 anchor centres, and the 9 anchors of one")
for label, values in best.items():
    right.hist(values, bins=np.linspace(0, 1, 41), histtype="step", lw=1.5, label=label)
right.axvline(0.7, color="0.3", ls="--", lw=1)
right.set_xlabel("IoU of each object with its best anchor")
right.set_ylabel("objects")
fig.legend(loc="outside lower center", ncols=2)  # under the plot, clear of the bars
save_figure(
    fig,
    "anchor_coverage.png",
    caption="Anchors on a grid, and how well four anchor designs cover 2,000 objects",
    alt=(
        "Top: an 8 by 8 grid of anchor centres over a 128-pixel square image, with "
        "the nine anchors of one position drawn around it: three sizes (16, 32 and 64 "
        "pixels) in blue, orange and green, each as a tall, a square and a wide box. "
        "Bottom: histograms of the IoU between 2,000 generated object boxes and their "
        "best-matching anchor for four anchor designs; adding scales, then aspect "
        "ratios, then a finer grid with more scales shifts the histogram to the right, "
        "towards and past the dashed line at IoU 0.7."
    ),
)
