"""Box formats, an IoU matrix, and non-maximum suppression of made-up candidates on a
photo."""

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from skimage import data

from dlcv.detection import BOX_FORMATS, box_iou, convert_boxes, non_max_suppression
from dlcv.plot import save_figure, use_style

image = data.coins()  # 303 x 384 grey photo of 24 coins, bundled with scikit-image

# --8<-- [start:demo]
# One coin, placed by hand, in pixels: left, top, right, bottom.
coin = np.array([[305.0, 16.0, 365.0, 72.0]])
for box_format in BOX_FORMATS:
    values = convert_boxes(coin, source="xyxy", target=box_format)[0]
    print(f"{box_format:<12} {values}")

# Four coins, boxes placed by hand. A detector's raw output is mimicked by jittering
# each box six times and giving each copy a made-up score: these are not a model's
# predictions.
coins = np.array(
    [
        [305, 16, 365, 72],
        [189, 170, 237, 216],
        [315, 156, 380, 218],
        [18, 233, 75, 288],
    ],
    dtype=float,
)
rng = np.random.default_rng(0)
candidates = np.repeat(coins, 6, axis=0) + rng.uniform(-7, 7, size=(24, 4))
scores = np.repeat([0.95, 0.9, 0.85, 0.8], 6) - rng.uniform(0, 0.4, size=24)

print(
    "\nIoU of the six candidates for the first coin and the first one for the second "
    "coin"
)
print(np.round(box_iou(candidates[:7], candidates[:7]), 2))

kept = non_max_suppression(candidates, scores, max_output_size=10, iou_threshold=0.5)
print(f"\nkept {len(kept)} of {len(candidates)} boxes: indices {kept.tolist()}")
print("scores kept:", np.round(scores[kept], 2).tolist())

# TensorFlow's own NMS wants [y1, x1, y2, x2]; it returns the same indices.
reference = tf.image.non_max_suppression(
    convert_boxes(candidates, source="xyxy", target="yxyx").astype("float32"),
    scores.astype("float32"),
    max_output_size=10,
    iou_threshold=0.5,
)
print("same as tf.image.non_max_suppression:", np.array_equal(kept, reference.numpy()))

# The same boxes in "xywh" order: TensorFlow reads any four numbers as two corners, so
# it raises no error; it just suppresses the wrong boxes.
wrong = tf.image.non_max_suppression(
    convert_boxes(candidates, source="xyxy", target="xywh").astype("float32"),
    scores.astype("float32"),
    max_output_size=10,
    iou_threshold=0.5,
)
print("given xywh boxes, TensorFlow keeps:", wrong.numpy().tolist())


for threshold in [0.1, 0.3, 0.5, 0.7, 0.9]:
    count = len(
        non_max_suppression(
            candidates, scores, max_output_size=24, iou_threshold=threshold
        )
    )
    print(f"iou_threshold={threshold}: {count:>2} boxes kept")
# --8<-- [end:demo]

use_style()
fig = Figure(figsize=(5.6, 2.6))
axes = fig.subplots(1, 2)
for ax, indices, title in [
    (axes[0], np.arange(len(candidates)), f"{len(candidates)} candidates"),
    (axes[1], kept, f"after NMS: {len(kept)} boxes"),
]:
    ax.imshow(image, cmap="gray")
    for i in indices:
        x1, y1, x2, y2 = candidates[i]
        ax.add_patch(
            Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.2, ec="tab:orange")
        )
        if len(indices) < len(candidates):
            ax.text(x1, y1 - 3, f"{scores[i]:.2f}", color="tab:orange")
    ax.set_title(title)
    ax.set_axis_off()
save_figure(
    fig,
    "nms_on_coins.png",
    caption="Candidate boxes before and after non-maximum suppression",
    alt=(
        "Two copies of a grey photo of 24 coins. On the left, four of the coins are "
        "each covered by a cluster of six slightly shifted orange boxes, 24 candidates "
        "in all. On the right, after non-maximum suppression at IoU 0.5, each of the "
        "four coins has a single box labelled with its score."
    ),
)
