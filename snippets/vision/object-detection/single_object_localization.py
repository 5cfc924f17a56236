"""Localization: a small convnet that predicts the class and the box of one shape per
image."""

# budget: 30 s — trains a two-headed convnet for six epochs on 2,000 generated images

import keras
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcv.detection import box_iou, mean_average_precision
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
SIZE, CLASSES = 32, ["square", "disk", "triangle"]


# --8<-- [start:localizer]
def make_shapes(count: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy grey images, each with one square, disk or triangle; its class and "xyxy"
    box."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:SIZE, :SIZE]
    images = rng.normal(0.2, 0.1, size=(count, SIZE, SIZE)).astype("float32")
    labels = rng.integers(0, len(CLASSES), size=count)
    boxes = np.zeros((count, 4), "float32")
    for i, label in enumerate(labels):
        radius = rng.uniform(4, 10)
        cx, cy = rng.uniform(radius, SIZE - radius, size=2)
        # from the shape's centre to pixel centres
        dx, dy = cols + 0.5 - cx, rows + 0.5 - cy
        if label == 0:
            mask = (np.abs(dx) <= radius) & (np.abs(dy) <= radius)
        elif label == 1:
            mask = dx**2 + dy**2 <= radius**2
        else:  # apex up, base at the bottom
            mask = (np.abs(dy) <= radius) & (np.abs(dx) <= (dy + radius) / 2)
        images[i][mask] += rng.uniform(0.4, 0.8)
        ys, xs = np.nonzero(mask)
        boxes[i] = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]  # pixel edges
    return images[..., None], labels, boxes / SIZE  # boxes as fractions of the image


x_train, y_train, b_train = make_shapes(2000, seed=1)
x_test, y_test, b_test = make_shapes(500, seed=2)


inputs = keras.Input((SIZE, SIZE, 1))
x = inputs
for filters in [16, 32, 64]:
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D()(x)
# Flatten, not global pooling: the box head needs to know *where* the features are.
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(128, activation="relu")(x)
class_head = keras.layers.Dense(len(CLASSES), activation="softmax", name="classes")(x)
# x1 y1 x2 y2 in [0, 1]
box_head = keras.layers.Dense(4, activation="sigmoid", name="boxes")(x)
model = keras.Model(inputs, {"classes": class_head, "boxes": box_head})

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={
        "classes": keras.losses.SparseCategoricalCrossentropy(),
        # Huber (smooth L1) on normalized corners: quadratic below 2% of the image,
        # linear above.
        "boxes": keras.losses.Huber(delta=0.02),
    },
    loss_weights={"classes": 1.0, "boxes": 20.0},
)
model.fit(
    x_train,
    {"classes": y_train, "boxes": b_train},
    epochs=6,
    batch_size=64,
    verbose=0,
)

predicted = model.predict(x_test, batch_size=250, verbose=0)
probabilities, boxes = predicted["classes"], predicted["boxes"]
# each prediction against its own truth
iou = np.diag(box_iou(boxes * SIZE, b_test * SIZE))
print(f"class accuracy:         {np.mean(probabilities.argmax(axis=1) == y_test):.1%}")
print(f"mean IoU (held out):    {iou.mean():.3f}")
print(f"IoU >= 0.5:             {np.mean(iou >= 0.5):.1%}")
print(f"IoU >= 0.75:            {np.mean(iou >= 0.75):.1%}")

# One detection per image, scored by the class probability, for the detection metrics.
detections = [
    {"boxes": boxes[[i]] * SIZE, "scores": probabilities[i, [k]], "classes": [k]}
    for i, k in enumerate(probabilities.argmax(axis=1))
]
truth = [
    {"boxes": b_test[[i]] * SIZE, "classes": [y_test[i]]} for i in range(len(y_test))
]
print(f"mAP@0.5 (VOC style):    {mean_average_precision(detections, truth):.3f}")
thresholds = np.linspace(0.5, 0.95, 10)
coco = [
    mean_average_precision(detections, truth, iou_threshold=t, recall_points=101)
    for t in thresholds
]
print(f"mAP@[.5:.95] (COCO):    {np.mean(coco):.3f}")
# --8<-- [end:localizer]

use_style()
fig = Figure(figsize=(5.6, 3.6))
axes = fig.subplots(2, 5)
for ax, i in zip(axes.ravel(), range(10), strict=True):
    ax.imshow(x_test[i, ..., 0], cmap="gray", vmin=0, vmax=1.2)
    for box, style in [(b_test[i], "-"), (boxes[i], "--")]:
        x1, y1, x2, y2 = box * SIZE - 0.5  # imshow puts pixel centres on integers
        color = "tab:green" if style == "-" else "tab:orange"
        ax.add_patch(
            Rectangle(
                (x1, y1), x2 - x1, y2 - y1, fill=False, lw=1.5, ls=style, ec=color
            )
        )
    ax.set_title(f"{CLASSES[probabilities[i].argmax()]}\nIoU {iou[i]:.2f}")
    ax.set_axis_off()
save_figure(
    fig,
    "localization_predictions.png",
    caption="True boxes (solid) and predicted boxes (dashed) on held-out images",
    alt=(
        "Ten held-out generated images, each a noisy grey square with one bright "
        "square, disk or triangle. The true box is drawn as a solid green rectangle "
        "and the predicted box as a dashed orange one; titles give the predicted class "
        "and the IoU of the two boxes."
    ),
)
