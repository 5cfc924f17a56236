"""IoU and Dice on masks small enough to check by hand; why pixel accuracy misleads."""

import numpy as np
from matplotlib.figure import Figure

from dlcv.plot import save_figure, use_style
from dlcv.segmentation import (
    dice_coefficient,
    make_shapes_masks,
    mask_iou,
    pixel_confusion_matrix,
)

y_true = np.array(
    [
        [0, 0, 1, 1],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
        [2, 2, 0, 0],
    ]
)
y_pred = np.array(
    [
        [0, 0, 1, 1],
        [0, 1, 1, 1],
        [0, 0, 0, 2],
        [2, 0, 0, 0],
    ]
)
confusion = pixel_confusion_matrix(y_true, y_pred, num_classes=3)
print("confusion matrix (rows: true class, columns: predicted class)")
print(confusion)
iou = mask_iou(y_true, y_pred, num_classes=3)
dice = dice_coefficient(y_true, y_pred, num_classes=3)
for c in range(3):
    print(f"class {c}: IoU {iou.per_class[c]:.3f}  Dice {dice.per_class[c]:.3f}")
print(f"mean:    IoU {iou.mean:.3f}  Dice {dice.mean:.3f}")

_, masks = make_shapes_masks(200, size=64, seed=1)
lazy = np.zeros_like(masks)  # a "model" that predicts background everywhere
accuracy = np.mean(lazy == masks)
lazy_iou = mask_iou(masks, lazy, num_classes=4)
print()
print(
    f"all-background prediction: pixel accuracy {accuracy:.1%}, mean IoU "
    f"{lazy_iou.mean:.3f}"
)
print("  IoU per class:", np.round(lazy_iou.per_class, 3))

# A 16x16 square predicted k pixels to the right of where it is, on a 64x64 image.
shifts = np.arange(0, 17)
scores = []
for k in shifts:
    truth = np.zeros((64, 64), dtype=int)
    guess = np.zeros((64, 64), dtype=int)
    truth[24:40, 16:32] = 1
    guess[24:40, 16 + k : 32 + k] = 1
    scores.append(
        (
            mask_iou(truth, guess, num_classes=2).per_class[1],
            dice_coefficient(truth, guess, num_classes=2).per_class[1],
        )
    )
print()
print("shift  IoU    Dice")
for k, (j, d) in zip(shifts, scores, strict=True):
    if k % 4 == 0:
        print(f"{k:>5}  {j:.3f}  {d:.3f}")

use_style()
fig = Figure(figsize=(5.6, 3.0))
left, right = fig.subplots(1, 2)
j = np.linspace(0, 1, 101)
left.plot(j, 2 * j / (1 + j), label="Dice")
left.plot(j, j, linestyle="--", color="grey", label="IoU")
left.set_xlabel("IoU")
left.set_ylabel("Dice")
left.set_aspect("equal")
left.legend(loc="lower right")
left.set_title("Two scales")
iou_curve, dice_curve = np.array(scores).T
right.plot(shifts, iou_curve, marker="o", label="IoU")
right.plot(shifts, dice_curve, marker="s", label="Dice")
right.set_xlabel("shift (pixels)")
right.set_ylabel("score")
right.set_ylim(-0.02, 1.02)
right.legend()
right.set_title("Sliding off")
save_figure(
    fig,
    "iou_versus_dice.png",
    caption="Dice against IoU, and both for a square sliding off its target",
    alt=(
        "Left: Dice plotted against IoU, a concave curve from (0, 0) to (1, 1) that "
        "lies above the diagonal everywhere in between, so Dice is never lower than "
        "IoU. Right: IoU and Dice of a 16 by 16 square predicted 0 to 16 pixels to the "
        "right of the true one; both fall from 1 to 0 as the shift grows, Dice falling "
        "in a straight line and IoU falling faster at first and staying below Dice."
    ),
)
