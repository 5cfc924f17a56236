"""Semantic segmentation: generated images with per-pixel
masks, and the IoU and Dice scores.

A mask here is an integer array with one class label per pixel, shape `(..., H, W)`: 0
for the background and 1, 2 … for the objects. The scores compare a predicted mask with
the true one class by class, from the counts of a confusion matrix summed over every
pixel given, so a batch of masks is scored as one pool of pixels, not image by image, as
`keras.metrics.MeanIoU` does.

A class that appears in neither mask has no defined score (0 pixels out of 0): its entry
in `per_class` is NaN and it is left out of the mean, as Keras also does. A class that
appears in only one of the two masks scores 0.

Only NumPy is needed: masks may be NumPy arrays, TensorFlow tensors or anything
`np.asarray` accepts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from dlcv._validation import (
    check_non_negative_int,
    check_non_negative_number,
    check_positive_int,
)

__all__ = [
    "SHAPE_KINDS",
    "SegmentationScores",
    "dice_coefficient",
    "make_shapes_masks",
    "mask_iou",
    "pixel_confusion_matrix",
]

SHAPE_KINDS = ("disk", "square", "triangle")
"""The shapes `make_shapes_masks` can draw; a shape's class is its
position in `shapes` plus 1.
"""

# Sides of the regular polygon drawn for each kind; 0 means a disk.
_SIDES = {"disk": 0, "square": 4, "triangle": 3}
# The range of a shape's radius, as a fraction of the image side.
_RADIUS = (0.12, 0.24)


class SegmentationScores(NamedTuple):
    """A score for each class and their mean.

    Attributes:
        per_class: float64 array of shape `(num_classes,)`; NaN for a class found in
            neither mask, whose score is undefined.
        mean: the mean over the classes whose score is defined.

    See: [Segmentation](../vision/segmentation.md)
    """

    per_class: np.ndarray
    mean: float


def _check_shapes(shapes: Any) -> tuple[str, ...]:
    kinds = (shapes,) if isinstance(shapes, str) else tuple(shapes)
    if (
        not kinds
        or any(kind not in _SIDES for kind in kinds)
        or len(set(kinds)) != len(kinds)
    ):
        options = ", ".join(repr(kind) for kind in SHAPE_KINDS)
        raise ValueError(
            f"`shapes` must be a non-empty sequence of distinct names among {options}. "
            f"Received: shapes={shapes!r}"
        )
    return kinds


def _shape_pixels(
    kind: str, center: np.ndarray, radius: float, angle: float, grid: np.ndarray
) -> np.ndarray:
    """Boolean mask of the pixels whose centres fall inside one shape.

    Every kind has the area of a disk of `radius`, so no class is favoured by
    its size: a regular polygon with `n` sides and circumradius `R` has area
    `n/2 R^2 sin(2 pi/n)`.
    """
    offset = (
        grid - center
    )  # (H, W, 2): row and column of each pixel centre from the shape's
    sides = _SIDES[kind]
    if sides == 0:
        return np.asarray(np.sum(offset**2, axis=-1) <= radius**2)
    circumradius = radius * math.sqrt(
        math.pi / (sides / 2 * math.sin(2 * math.pi / sides))
    )
    apothem = circumradius * math.cos(math.pi / sides)
    inside = np.ones(grid.shape[:2], dtype=bool)
    for k in range(sides):
        theta = angle + 2 * math.pi * k / sides
        # A point is inside a regular polygon when it lies behind every edge's line.
        inside &= (
            offset[..., 0] * math.sin(theta) + offset[..., 1] * math.cos(theta)
            <= apothem
        )
    return inside


def _draw_image(
    rng: np.random.Generator,
    kinds: tuple[str, ...],
    *,
    size: int,
    max_shapes: int,
    grid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    # Background: a linear gradient between two dark colours, so it
    # is not one flat value.
    start, end = rng.uniform(0.0, 0.4, size=(2, 3))
    direction = rng.uniform(0.0, 2 * math.pi)
    ramp = (
        grid[..., 0] * math.sin(direction) + grid[..., 1] * math.cos(direction)
    ) / size
    ramp = (ramp - np.min(ramp)) / max(float(np.ptp(ramp)), 1e-9)
    image = start + ramp[..., np.newaxis] * (end - start)
    mask = np.zeros((size, size), dtype=np.int32)
    for _ in range(rng.integers(1, max_shapes + 1)):
        label = int(rng.integers(len(kinds)))
        radius = rng.uniform(*_RADIUS) * size
        center = rng.uniform(radius, size - radius, size=2)
        pixels = _shape_pixels(
            kinds[label], center, radius, rng.uniform(0, 2 * math.pi), grid
        )
        # Shapes are brighter than any background, and a later shape
        # covers an earlier one.
        image[pixels] = rng.uniform(0.55, 1.0, size=3)
        mask[pixels] = label + 1
    return image, mask


def make_shapes_masks(
    count: int,
    *,
    size: int = 64,
    shapes: Sequence[str] = SHAPE_KINDS,
    max_shapes: int = 2,
    noise: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Make RGB images of random shapes and the integer mask that labels each pixel.

    Each image has a dark background with a colour gradient and 1 to `max_shapes`
    shapes, each of a kind drawn at random from `shapes`, with a random bright colour,
    position, rotation and size: the radius of the disk of equal area is drawn between
    0.12 and 0.24 times the image side, and every kind covers that disk's area. That
    disk always lies inside the image, but the corners of a square or a triangle may be
    cut off by its border. Shapes may overlap; the one drawn last covers the others, in
    the image and in the mask. Gaussian noise of standard deviation `noise` is then
    added and the values clipped to [0, 1].

    Args:
        count: how many images to make.
        size: the side of the square images, in pixels. Defaults to 64.
        shapes: the kinds to draw, among `SHAPE_KINDS`; the kind `shapes[i]` gets the
            label `i + 1`, and 0 is the background. Defaults to `SHAPE_KINDS`.
        max_shapes: the most shapes in one image. Defaults to 2.
        noise: the standard deviation of the per-pixel noise. Defaults to 0.05.
        seed: the seed of every random choice; the same seed gives the same images.
            Defaults to 0.

    Returns:
        A pair `(images, masks)`: `images` is float32 of shape `(count, size, size, 3)`
        with values in [0, 1], and `masks` is int32 of shape `(count, size, size)` with
        values in `0 … len(shapes)`.

    Raises:
        TypeError: if `count`, `size`, `max_shapes` or `seed` is not an integer, or
            `noise` is not a number.
        ValueError: if `count`, `size` or `max_shapes` is not positive, `size` is below
            8, `seed` or `noise` is negative, or `shapes` is empty, repeats a kind or
            names an unknown one.

    Examples:
        >>> images, masks = make_shapes_masks(2, size=32, seed=1)
        >>> images.shape, images.dtype.name, masks.shape, masks.dtype.name
        ((2, 32, 32, 3), 'float32', (2, 32, 32), 'int32')
        >>> int(masks.min()), int(masks.max()) <= len(SHAPE_KINDS)
        (0, True)

    See: [Segmentation](../vision/segmentation.md)
    """
    count = check_positive_int(count, "count")
    size = check_positive_int(size, "size")
    if size < 8:
        raise ValueError(
            f"`size` must be an integer of at least 8. Received: size={size}"
        )
    kinds = _check_shapes(shapes)
    max_shapes = check_positive_int(max_shapes, "max_shapes")
    noise = check_non_negative_number(noise, "noise")
    seed = check_non_negative_int(seed, "seed")
    # Separate streams for the shapes and the noise: the same seed draws the same shapes
    # whatever the noise level.
    shape_rng, noise_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)
    )
    centres = np.arange(size) + 0.5
    grid = np.stack(np.meshgrid(centres, centres, indexing="ij"), axis=-1)
    images = np.empty((count, size, size, 3), dtype=np.float32)
    masks = np.empty((count, size, size), dtype=np.int32)
    for i in range(count):
        images[i], masks[i] = _draw_image(
            shape_rng, kinds, size=size, max_shapes=max_shapes, grid=grid
        )
    if noise > 0:
        images += noise_rng.normal(0.0, noise, size=images.shape).astype(np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return images, masks


def _check_int(value: Any, name: str) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"`{name}` must be an integer or None. Received: {name}={value!r}"
        )
    return int(value)


def _labels(values: Any, name: str) -> np.ndarray:
    """`values` as an int64 array, if every value is a whole number."""
    array = np.asarray(values)
    if array.dtype == bool or np.issubdtype(array.dtype, np.integer):
        return array.astype(np.int64)
    is_float = np.issubdtype(array.dtype, np.floating)
    if is_float and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    raise ValueError(
        f"`{name}` must hold integer class labels. Received: {name} of dtype "
        f"{array.dtype}"
    )


def _check_masks(
    y_true: Any, y_pred: Any, num_classes: int, ignore_label: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the true and predicted labels of the scored pixels, both flat."""
    true = _labels(y_true, "y_true")
    scores = np.asarray(y_pred)
    if scores.shape == (*true.shape, num_classes):
        # Scores (probabilities or logits) over the classes, one vector per
        # pixel. argmax takes a NaN for the largest score, so a NaN would
        # silently vote for its class.
        if not (np.issubdtype(scores.dtype, np.number) or scores.dtype == bool):
            raise ValueError(
                "`y_pred` must hold numbers (class labels or scores). "
                f"Received: y_pred of dtype {scores.dtype}"
            )
        finite = np.isfinite(scores)
        if not finite.all():
            where = tuple(int(index) for index in np.argwhere(~finite)[0])
            raise ValueError(
                "`y_pred` must hold finite scores. Received: "
                f"y_pred{list(where)}={scores[where]!r}"
            )
        pred = np.argmax(scores, axis=-1).astype(np.int64)
    elif scores.shape == true.shape:
        pred = _labels(scores, "y_pred")
    else:
        raise ValueError(
            "`y_pred` must have the shape of `y_true`, or that shape plus a last axis "
            f"of `num_classes` scores. Received: y_true.shape={true.shape}, "
            f"y_pred.shape={scores.shape}, num_classes={num_classes}"
        )
    true, pred = true.ravel(), pred.ravel()
    if ignore_label is not None:
        keep = true != ignore_label
        true, pred = true[keep], pred[keep]
    if true.size == 0:
        raise ValueError(
            "`y_true` must hold at least one pixel to score. "
            f"Received: y_true.shape={np.shape(y_true)}"
        )
    for name, labels in (("y_true", true), ("y_pred", pred)):
        low, high = int(np.min(labels)), int(np.max(labels))
        if low < 0 or high >= num_classes:
            bad = low if low < 0 else high
            raise ValueError(
                f"`{name}` must hold class labels from 0 to num_classes - 1 = "
                f"{num_classes - 1}. Received: a label {bad} in {name}"
            )
    return true, pred


def pixel_confusion_matrix(
    y_true: Any, y_pred: Any, *, num_classes: int, ignore_label: int | None = None
) -> np.ndarray:
    """Count the pixels of each (true class, predicted class) pair.

    Args:
        y_true: the true masks, integer class labels of any shape, such as `(N, H, W)`.
        y_pred: the predicted masks, of the same shape, or scores (probabilities
            or logits) with one more last axis of `num_classes` values, turned
            into labels by `argmax`.
        num_classes: the number of classes; labels run from 0 to `num_classes - 1`.
        ignore_label: a label in `y_true` whose pixels are not counted (a "void" label,
            such as the 255 of PASCAL VOC's object borders), or `None` to count every
            pixel. Defaults to `None`.

    Returns:
        An int64 array `C` of shape `(num_classes, num_classes)`: `C[i, j]` pixels of
        class `i` were predicted as class `j`.

    Raises:
        TypeError: if `num_classes` or `ignore_label` is not an integer.
        ValueError: if the shapes do not match, a mask holds non-integer values, a score
            is not finite or a label is out of range, `num_classes` is not positive or
            no pixel is left to count.

    Examples:
        >>> pixel_confusion_matrix([[0, 0], [1, 1]], [[0, 1], [1, 1]], num_classes=2)
        array([[1, 1],
               [0, 2]])

    See: [Segmentation](../vision/segmentation.md)
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    if ignore_label is not None:
        ignore_label = _check_int(ignore_label, "ignore_label")
    true, pred = _check_masks(y_true, y_pred, num_classes, ignore_label)
    # Each pixel's (true, predicted) pair becomes one index into the flattened matrix.
    counts = np.bincount(true * num_classes + pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def _scores(numerator: np.ndarray, denominator: np.ndarray) -> SegmentationScores:
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(denominator > 0, numerator / denominator, np.nan)
    return SegmentationScores(per_class, float(np.nanmean(per_class)))


# --8<-- [start:mask_iou]
def _overlaps(
    y_true: Any, y_pred: Any, num_classes: int, ignore_label: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return, per class `c`, `|A and B|` and `|A| + |B|`, with `A` the pixels
    labelled `c` and `B` the pixels predicted `c`."""
    confusion = pixel_confusion_matrix(
        y_true, y_pred, num_classes=num_classes, ignore_label=ignore_label
    )
    # Row sums: pixels truly of the class (|A|); column sums: pixels
    # predicted as it (|B|).
    return np.diag(confusion), confusion.sum(axis=1) + confusion.sum(axis=0)


def mask_iou(
    y_true: Any, y_pred: Any, *, num_classes: int, ignore_label: int | None = None
) -> SegmentationScores:
    """Score predicted masks by intersection over union (Jaccard index), class by class.

    For class `c`, with `A` the pixels labelled `c` and `B` the pixels predicted `c`,
    the score is `|A and B| / |A or B|`, the size of their intersection over that of
    their union: true positives over true positives, false positives and false
    negatives. The counts are summed over all the pixels given, across images. The
    arguments, and the errors they raise, are those of `pixel_confusion_matrix`, whose
    counts this scores.

    Returns:
        `SegmentationScores(per_class, mean)`: the IoU of each class, NaN for a class in
        neither mask, and their mean over the other classes (the mean IoU).

    Examples:
        >>> y_true = [[0, 0, 1], [0, 1, 1]]
        >>> y_pred = [[0, 1, 1], [0, 0, 1]]
        >>> # class 2 appears in neither
        >>> scores = mask_iou(y_true, y_pred, num_classes=3)
        >>> # classes 0 and 1: 2 pixels shared, 4 in the union
        >>> scores.per_class, scores.mean
        (array([0.5, 0.5, nan]), 0.5)

    See: [Segmentation](../vision/segmentation.md)
    """
    intersection, sizes = _overlaps(y_true, y_pred, num_classes, ignore_label)
    # |A or B| = |A| + |B| - |A and B|
    return _scores(intersection, sizes - intersection)
    # --8<-- [end:mask_iou]


def dice_coefficient(
    y_true: Any, y_pred: Any, *, num_classes: int, ignore_label: int | None = None
) -> SegmentationScores:
    """Score predicted masks by the Dice coefficient (the F1
    score of pixels), class by class.

    For class `c`, with `A` the pixels labelled `c` and `B` the pixels predicted `c`,
    the score is `2 |A and B| / (|A| + |B|)`. It relates to the IoU `J` of the same
    class by `Dice = 2 J / (1 + J)`, so it is never below the IoU and ranks one class's
    results the same way; the means over classes can rank differently. The arguments
    and the errors they raise are those of `pixel_confusion_matrix`, whose counts this
    scores.

    Returns:
        `SegmentationScores(per_class, mean)`: the Dice coefficient of each class, NaN
        for a class in neither mask, and their mean over the other classes.

    Examples:
        >>> y_true = [[0, 0, 1], [0, 1, 1]]
        >>> y_pred = [[0, 1, 1], [0, 0, 1]]
        >>> dice_coefficient(y_true, y_pred, num_classes=2).per_class  # 2*2 / (3 + 3)
        array([0.66666667, 0.66666667])

    See: [Segmentation](../vision/segmentation.md)
    """
    intersection, sizes = _overlaps(y_true, y_pred, num_classes, ignore_label)
    return _scores(2 * intersection, sizes)
