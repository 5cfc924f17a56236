"""Object detection fundamentals: box formats, overlap, anchors,
suppression and average precision.

Everything here is plain NumPy, written to be read: the functions are the textbook
algorithms, checked in the tests against TensorFlow's and Keras's own implementations
and against hand-worked cases. Boxes are rows of four numbers; the `box_format` argument
says what they mean, with the names Keras uses
(`keras.utils.bounding_boxes.convert_format`):

- `"xyxy"`: `[x1, y1, x2, y2]`, left, top, right, bottom;
- `"yxyx"`: `[y1, x1, y2, x2]`, the order of `tf.image.non_max_suppression`;
- `"xywh"`: `[x1, y1, width, height]`, the top-left corner and the size (COCO's order);
- `"center_xywh"`: `[center_x, center_y, width, height]`.

Coordinates can be pixels or fractions of the image size; no function here cares, as
long as the boxes compared with each other use the same units. Areas are continuous (`x2
- x1`), with no "+1" for inclusive pixel indices.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

import numpy as np

from dlcv._validation import (
    check_non_negative_int,
    check_one_of,
    check_positive_int,
    check_positive_numbers,
    check_same_length,
    check_size_pair,
)

__all__ = [
    "BOX_FORMATS",
    "average_precision",
    "box_iou",
    "class_average_precisions",
    "convert_boxes",
    "make_anchors",
    "match_detections",
    "mean_average_precision",
    "non_max_suppression",
]

BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh")
_DETECTION_KEYS = ("boxes", "scores", "classes")
_GROUND_TRUTH_KEYS = ("boxes", "classes")


def _check_format(value: Any, name: str) -> str:
    return check_one_of(value, name, BOX_FORMATS)


def _check_unit_interval(value: Any, name: str) -> float:
    message = f"`{name}` must be a number between 0 and 1. Received: {name}={value!r}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(message)
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(message)
    return float(value)


def _check_real(value: Any, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    if math.isnan(float(value)):
        raise ValueError(
            f"`{name}` must be a number, not NaN. Received: {name}={value!r}"
        )
    return float(value)


def _check_boxes(boxes: Any, name: str, box_format: str) -> np.ndarray:
    """Return `boxes` as a float array of shape (N, 4), checked for its format."""
    array = np.asarray(boxes)
    if array.ndim == 1 and array.size == 0:
        array = array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(
            f"`{name}` must be an array of shape (N, 4). Received: "
            f"{name}.shape={array.shape}"
        )
    if not (
        np.issubdtype(array.dtype, np.floating)
        or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(
            f"`{name}` must hold real numbers. Received: "
            f"{name}.dtype={array.dtype.name}"
        )
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)
    bad_rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
    if bad_rows.size:
        i = int(bad_rows[0])
        raise ValueError(
            f"`{name}` must hold finite numbers. Received: "
            f"{name}[{i}]={array[i].tolist()}"
        )
    if box_format in ("xyxy", "yxyx"):
        bad = (array[:, 2] < array[:, 0]) | (array[:, 3] < array[:, 1])
        first, second = ("x", "y") if box_format == "xyxy" else ("y", "x")
        rule = f"{first}2 >= {first}1 and {second}2 >= {second}1"
    else:
        bad = (array[:, 2] < 0) | (array[:, 3] < 0)
        rule = "width >= 0 and height >= 0"
    bad_rows = np.flatnonzero(bad)
    if bad_rows.size:
        i = int(bad_rows[0])
        raise ValueError(
            f"`{name}` must have {rule} in every row (format {box_format!r}). "
            f"Received: {name}[{i}]={array[i].tolist()}"
        )
    return array


# "xyxy" and "yxyx" hold the same corners in another column order, and swapping x and
# y twice changes nothing: one reordering converts either way.
_CORNER_ORDER = {"xyxy": [0, 1, 2, 3], "yxyx": [1, 0, 3, 2]}


def _to_xyxy(boxes: np.ndarray, source: str) -> np.ndarray:
    if source in _CORNER_ORDER:
        return boxes[:, _CORNER_ORDER[source]]  # indexing with a list copies
    a, b, c, d = boxes.T
    if source == "xywh":
        return np.stack([a, b, a + c, b + d], axis=1)
    # center_xywh
    return np.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=1)


def _from_xyxy(boxes: np.ndarray, target: str) -> np.ndarray:
    if target in _CORNER_ORDER:
        return boxes[:, _CORNER_ORDER[target]]
    x1, y1, x2, y2 = boxes.T
    if target == "xywh":
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    # center_xywh
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=1)


def convert_boxes(boxes: Any, *, source: str, target: str) -> np.ndarray:
    """Convert boxes from one coordinate format to another.

    The formats are named as in Keras (`keras.utils.bounding_boxes.convert_format`):
    `"xyxy"` (left, top, right, bottom), `"yxyx"` (TensorFlow's order for
    `tf.image.non_max_suppression`), `"xywh"` (left, top, width, height) and
    `"center_xywh"` (center x, center y, width, height). Converting there and back
    returns the input exactly when the arithmetic is exact, for example for integer
    pixel coordinates; otherwise to within floating-point rounding.

    Args:
        boxes: an array of shape `(N, 4)` in the `source` format.
        source: the format of `boxes`, one of `BOX_FORMATS`.
        target: the format wanted, one of `BOX_FORMATS`.

    Returns:
        A float array of shape `(N, 4)` in the `target` format (float32 input stays
        float32; anything else becomes float64).

    Raises:
        ValueError: if a format is unknown, `boxes` is not of shape `(N, 4)`, holds a
            non-finite number, or has a corner pair out of order (`x2 < x1`) or a
            negative width or height.
        TypeError: if `boxes` does not hold real numbers.

    Examples:
        >>> convert_boxes([[10, 20, 30, 60]], source="xyxy", target="center_xywh")
        array([[20., 40., 20., 40.]])
        >>> convert_boxes([[10, 20, 30, 60]], source="xyxy", target="yxyx")
        array([[20., 10., 60., 30.]])

    See: [Object detection](../vision/object-detection.md)
    """
    source = _check_format(source, "source")
    target = _check_format(target, "target")
    array = _check_boxes(boxes, "boxes", source)
    return _from_xyxy(_to_xyxy(array, source), target)


# --8<-- [start:iou_matrix]
def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every "xyxy" box in `a` (N, 4) with every one in `b`
    (M, 4), as an (N, M) array.
    """
    # Broadcasting a column of N boxes against a row of M boxes
    # gives every pair at once.
    width = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(
        a[:, None, 0], b[None, :, 0]
    )
    height = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(
        a[:, None, 1], b[None, :, 1]
    )
    intersection = np.clip(width, 0, None) * np.clip(height, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - intersection
    # Only two zero-area boxes have a zero union; their IoU is 0, not 0/0.
    safe_union = np.where(union > 0, union, 1.0)
    return np.where(union > 0, intersection / safe_union, 0.0)
    # --8<-- [end:iou_matrix]


def box_iou(boxes_a: Any, boxes_b: Any, *, box_format: str = "xyxy") -> np.ndarray:
    """Intersection over union of every box in `boxes_a` with every box in `boxes_b`.

    IoU is the area two boxes share divided by the area they cover together: 1 for
    identical boxes, 0 for boxes that do not overlap. A box with zero area (a line or a
    point) has IoU 0 with every box, itself included, as in
    `tf.image.non_max_suppression`; so the result is always defined.

    Args:
        boxes_a: an array of shape `(N, 4)`.
        boxes_b: an array of shape `(M, 4)`.
        box_format: the format of both arrays, one of `BOX_FORMATS`.
            Defaults to `"xyxy"`.

    Returns:
        A float64 array of shape `(N, M)` with values in [0, 1].

    Raises:
        ValueError: if `box_format` is unknown or either array is not a
            valid set of boxes in it.
        TypeError: if either array does not hold real numbers.

    Examples:
        >>> box_iou([[0, 0, 2, 2]], [[0, 0, 2, 2], [1, 0, 3, 2], [5, 5, 6, 6]])
        array([[1.        , 0.33333333, 0.        ]])

    See: [Object detection](../vision/object-detection.md)
    """
    box_format = _check_format(box_format, "box_format")
    a = _check_boxes(boxes_a, "boxes_a", box_format).astype(np.float64)
    b = _check_boxes(boxes_b, "boxes_b", box_format).astype(np.float64)
    return _iou_matrix(_to_xyxy(a, box_format), _to_xyxy(b, box_format))


def make_anchors(
    feature_size: int | tuple[int, int],
    *,
    image_size: int | tuple[int, int],
    scales: Sequence[float],
    aspect_ratios: Sequence[float],
) -> np.ndarray:
    """Anchor boxes for every position of a feature map, in `"xyxy"` pixel coordinates.

    Each position of an `H x W` feature map stands for a cell of the image, `image_size
    / H` pixels tall and `image_size / W` wide; its anchors are centred on that cell.
    For a scale `s` and an aspect ratio `r` (width / height), an anchor has area `s**2`,
    width `s * sqrt(r)` and height `s / sqrt(r)`. Anchors are not clipped to the image.

    Layout: the anchors are ordered by feature-map row, then column, then scale, then
    aspect ratio, so anchor `((row * W + col) * len(scales) + i) * len(aspect_ratios) +
    j` belongs to position `(row, col)`, scale `scales[i]` and ratio `aspect_ratios[j]`.
    Reshaping the result to `(H, W, len(scales) * len(aspect_ratios), 4)` gives the
    anchors per position, matching a convolutional head that predicts `len(scales) *
    len(aspect_ratios)` boxes per position.

    Args:
        feature_size: the feature map's size, `H` (square) or `(H, W)`.
        image_size: the image's size in pixels, an integer (square)
            or `(height, width)`.
        scales: anchor sizes in pixels (the side of the square anchor, ratio 1).
        aspect_ratios: width-to-height ratios, e.g. `(0.5, 1.0, 2.0)`.

    Returns:
        A float64 array of shape `(H * W * len(scales) * len(aspect_ratios), 4)`.

    Raises:
        ValueError: if a size is not positive or the scales or ratios are empty or not
            positive.
        TypeError: if a size is not an integer, or `scales` or `aspect_ratios` is not a
            sequence of numbers.

    Examples:
        >>> make_anchors(1, image_size=32, scales=[16], aspect_ratios=[1.0, 4.0])
        array([[ 8.,  8., 24., 24.],
               [ 0., 12., 32., 20.]])

    See: [Object detection](../vision/object-detection.md)
    """
    rows, cols = check_size_pair(feature_size, "feature_size")
    height, width = check_size_pair(image_size, "image_size")
    scale_values = np.array(check_positive_numbers(scales, "scales"))
    ratio_values = np.array(check_positive_numbers(aspect_ratios, "aspect_ratios"))
    center_y = (np.arange(rows) + 0.5) * (height / rows)
    center_x = (np.arange(cols) + 0.5) * (width / cols)
    # One (width, height) per scale and ratio, scale-major, as the docstring promises.
    widths = (scale_values[:, None] * np.sqrt(ratio_values)[None, :]).ravel()
    heights = (scale_values[:, None] / np.sqrt(ratio_values)[None, :]).ravel()
    cy, cx, w = np.meshgrid(center_y, center_x, widths, indexing="ij")
    _, _, h = np.meshgrid(center_y, center_x, heights, indexing="ij")
    anchors = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)
    return anchors.reshape(-1, 4)


def _check_scores(scores: Any, name: str, count: int, count_name: str) -> np.ndarray:
    raw = np.asarray(scores)
    # Booleans would rank as 0 and 1, silently; strings fail NumPy's
    # cast without a name.
    if raw.size and not (
        np.issubdtype(raw.dtype, np.integer) or np.issubdtype(raw.dtype, np.floating)
    ):
        raise TypeError(
            f"`{name}` must hold real numbers, one score per box. "
            f"Received: {name} of dtype {raw.dtype}"
        )
    array = raw.astype(np.float64)
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must be a 1-D array with one score per box. "
            f"Received: {name}.shape={array.shape}"
        )
    if len(array) != count:
        raise ValueError(
            f"`{name}` must be as long as `{count_name}` ({count} items). "
            f"Received: len({name})={len(array)}"
        )
    if np.isnan(array).any():
        raise ValueError(
            f"`{name}` must not contain NaN. Received: {name}={array.tolist()}"
        )
    return array


def non_max_suppression(
    boxes: Any,
    scores: Any,
    *,
    max_output_size: int,
    iou_threshold: float = 0.5,
    score_threshold: float = -math.inf,
    box_format: str = "xyxy",
) -> np.ndarray:
    """Greedy non-maximum suppression: keep the best box, drop the
    boxes that overlap it, repeat.

    The boxes are visited from the highest score down; a box is kept unless its IoU
    with a box already kept is greater than `iou_threshold`. The rules match
    `tf.image.non_max_suppression` exactly (the tests compare the two on random
    boxes): an IoU equal to the threshold does not suppress; boxes with a score at or
    below `score_threshold` are dropped first; equal scores are visited in index
    order; zero-area boxes overlap nothing. TensorFlow takes its boxes as `"yxyx"`;
    IoU is the same whichever of the two corner orders both boxes use, so `"xyxy"`
    boxes give the same result there.

    Args:
        boxes: an array of shape `(N, 4)`.
        scores: an array of shape `(N,)`, one score per box.
        max_output_size: the most boxes to keep.
        iou_threshold: boxes overlapping a kept box by more than this are suppressed.
            Defaults to 0.5.
        score_threshold: boxes scoring at or below this are ignored. Defaults to `-inf`.
        box_format: the format of `boxes`, one of `BOX_FORMATS`. Defaults to `"xyxy"`.

    Returns:
        An int32 array with the indices of the kept boxes, highest score first.

    Raises:
        ValueError: if the boxes or scores are malformed, their lengths differ, a score
            is NaN, `iou_threshold` is outside [0, 1] or `max_output_size` is negative.
        TypeError: if `max_output_size` is not an integer, a threshold not a number, or
            `scores` does not hold real numbers (booleans are not scores).

    Examples:
        >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
        >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], max_output_size=10)
        array([0, 2], dtype=int32)

    See: [Object detection](../vision/object-detection.md)
    """
    box_format = _check_format(box_format, "box_format")
    array = _check_boxes(boxes, "boxes", box_format)
    score_array = _check_scores(scores, "scores", len(array), "boxes")
    max_output_size = check_non_negative_int(max_output_size, "max_output_size")
    iou_threshold = _check_unit_interval(iou_threshold, "iou_threshold")
    score_threshold = _check_real(score_threshold, "score_threshold")
    corners = _to_xyxy(array.astype(np.float64), box_format)
    # --8<-- [start:nms_loop]
    # A stable sort of the negated scores visits equal scores in index
    # order, as TensorFlow does.
    order = np.argsort(-score_array, kind="stable")
    order = order[score_array[order] > score_threshold]
    keep: list[int] = []
    for index in order:
        if len(keep) == max_output_size:
            break
        if keep:
            overlaps = _iou_matrix(corners[[index]], corners[keep])[0]
            if (overlaps > iou_threshold).any():
                continue
        keep.append(int(index))
    return np.asarray(keep, dtype=np.int32)
    # --8<-- [end:nms_loop]


# --8<-- [start:match]
def _match(
    detections: np.ndarray, scores: np.ndarray, truth: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Greedy matching of "xyxy" detections to "xyxy" objects;
    True marks a true positive.
    """
    is_true_positive = np.zeros(len(detections), dtype=bool)
    if len(detections) == 0 or len(truth) == 0:
        return is_true_positive
    overlaps = _iou_matrix(detections, truth)
    unmatched = np.ones(len(truth), dtype=bool)
    for index in np.argsort(
        -scores, kind="stable"
    ):  # highest score first, ties in input order
        candidates = np.where(unmatched, overlaps[index], -1.0)
        best = int(
            np.argmax(candidates)
        )  # the unmatched object this detection overlaps most
        if unmatched[best] and candidates[best] >= iou_threshold:
            unmatched[best] = False
            is_true_positive[index] = True
    return is_true_positive
    # --8<-- [end:match]


def match_detections(
    boxes: Any,
    scores: Any,
    ground_truth_boxes: Any,
    *,
    iou_threshold: float = 0.5,
    box_format: str = "xyxy",
) -> np.ndarray:
    """Mark each detection in one image as a true or a false positive, for one class.

    Detections are matched greedily from the highest score down. Each takes the still
    unmatched ground-truth box it overlaps most, if that IoU is at least
    `iou_threshold`, and is then a true positive; otherwise it is a false positive.
    Each ground-truth box is matched at most once, so a second detection of the same
    object is a false positive. This is the rule of COCO's evaluation code. PASCAL
    VOC's development kit differs in two details: it compares a detection only with the
    box it overlaps most, so a detection whose best box is already taken is a false
    positive even if another box qualifies, and it measures boxes in inclusive pixel
    units (`x2 - x1 + 1`).

    Args:
        boxes: the detected boxes, an array of shape `(N, 4)`.
        scores: their scores, an array of shape `(N,)`; equal scores
            keep their input order.
        ground_truth_boxes: the true boxes of this class in this image, shape `(M, 4)`.
        iou_threshold: the least IoU for a match. Defaults to 0.5.
        box_format: the format of both box arrays, one of `BOX_FORMATS`.
            Defaults to `"xyxy"`.

    Returns:
        A boolean array of shape `(N,)`, in the input order: `True` for a true positive.

    Raises:
        ValueError: if the boxes or scores are malformed, their lengths differ or
            `iou_threshold` is outside [0, 1].
        TypeError: if `scores` does not hold real numbers (booleans are not scores).

    Examples:
        >>> truth = [[0, 0, 10, 10]]
        >>> match_detections([[0, 0, 10, 10], [0, 0, 10, 9]], [0.6, 0.9], truth)
        array([False,  True])

    See: [Object detection](../vision/object-detection.md)
    """
    box_format = _check_format(box_format, "box_format")
    detections = _check_boxes(boxes, "boxes", box_format)
    score_array = _check_scores(scores, "scores", len(detections), "boxes")
    truth = _check_boxes(ground_truth_boxes, "ground_truth_boxes", box_format)
    iou_threshold = _check_unit_interval(iou_threshold, "iou_threshold")
    return _match(
        _to_xyxy(detections, box_format),
        score_array,
        _to_xyxy(truth, box_format),
        iou_threshold,
    )


def average_precision(
    scores: Any,
    is_true_positive: Any,
    *,
    num_ground_truths: int,
    recall_points: int | None = None,
) -> float:
    """Average precision of a ranked list of detections of one class.

    The detections are ranked by score (equal scores keep their input order). After each
    one, precision is the fraction of the detections so far that are true positives and
    recall the fraction of the `num_ground_truths` objects found. Precision is then made
    non-increasing in recall by replacing each value with the highest precision at that
    recall or beyond (the "interpolated" precision). With `recall_points=None` the
    result is the area under that curve, summed over every point where recall rises
    (all-point interpolation, PASCAL VOC since 2010). With `recall_points=R` it is the
    mean interpolated precision at `R` evenly spaced recall levels from 0 to 1, counting
    0 beyond the highest recall reached (11 points in VOC 2007, 101 in COCO).

    Args:
        scores: the detections' scores, shape `(N,)`.
        is_true_positive: whether each detection matched an object, shape `(N,)`.
        num_ground_truths: the number of objects of this class, at least one.
        recall_points: `None` for all-point interpolation, or the number of recall
            levels. Defaults to `None`.

    Returns:
        The average precision, a float in [0, 1].

    Raises:
        ValueError: if the lengths differ, a score is NaN, `num_ground_truths` is not
            positive, there are more true positives than objects, or `recall_points` is
            less than 2.
        TypeError: if `num_ground_truths` or `recall_points` is not an integer, or
            `scores` does not hold real numbers.

    Examples:
        >>> average_precision([0.9, 0.8, 0.7], [True, False, True], num_ground_truths=2)
        0.8333333333333333

    See: [Object detection](../vision/object-detection.md)
    """
    flags = np.asarray(is_true_positive)
    if flags.ndim != 1 or not (flags.dtype == bool or np.isin(flags, (0, 1)).all()):
        raise ValueError(
            "`is_true_positive` must be a 1-D array of booleans. "
            f"Received: is_true_positive={np.asarray(is_true_positive).tolist()!r}"
        )
    flags = flags.astype(bool)
    score_array = _check_scores(scores, "scores", len(flags), "is_true_positive")
    num_ground_truths = check_positive_int(num_ground_truths, "num_ground_truths")
    if (
        recall_points is not None
        and check_positive_int(recall_points, "recall_points") < 2
    ):
        raise ValueError(
            "`recall_points` must be None or at least 2. Received: "
            f"recall_points={recall_points}"
        )
    if flags.sum() > num_ground_truths:
        raise ValueError(
            "`is_true_positive` must not hold more true positives than "
            f"`num_ground_truths`. Received: {int(flags.sum())} true positives, "
            f"num_ground_truths={num_ground_truths}"
        )
    # --8<-- [start:average_precision]
    if len(flags) == 0:
        return 0.0
    ranked = flags[np.argsort(-score_array, kind="stable")]
    true_positives = np.cumsum(ranked)
    recall = true_positives / num_ground_truths
    precision = true_positives / np.arange(1, len(ranked) + 1)
    # The interpolated precision at a rank is the best precision at that
    # rank or any later one.
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    if recall_points is None:
        recall_gain = np.diff(recall, prepend=0.0)
        return float(np.sum(recall_gain * envelope))
    levels = np.linspace(0.0, 1.0, recall_points)
    first_rank = np.searchsorted(recall, levels, side="left")
    reached = first_rank < len(recall)
    sampled = np.where(reached, envelope[np.minimum(first_rank, len(recall) - 1)], 0.0)
    return float(np.mean(sampled))
    # --8<-- [end:average_precision]


def _check_records(
    records: Any, name: str, keys: tuple[str, ...], box_format: str
) -> list[dict[str, np.ndarray]]:
    if isinstance(records, Mapping | str) or not isinstance(records, Sequence):
        raise TypeError(
            f"`{name}` must be a sequence with one mapping per image. "
            f"Received: {name}={type(records).__name__} object"
        )
    checked = []
    for i, record in enumerate(records):
        label = f"{name}[{i}]"
        if not isinstance(record, Mapping) or any(key not in record for key in keys):
            found = (
                sorted(record) if isinstance(record, Mapping) else type(record).__name__
            )
            raise ValueError(
                f"`{label}` must be a mapping with the keys {list(keys)}. Received: "
                f"{found}"
            )
        boxes = _check_boxes(record["boxes"], f"{label}['boxes']", box_format)
        classes = np.asarray(record["classes"])
        if classes.ndim != 1 or len(classes) != len(boxes):
            raise ValueError(
                f"`{label}['classes']` must hold one class per box ({len(boxes)}). "
                f"Received: {label}['classes'].shape={classes.shape}"
            )
        entry = {
            "boxes": _to_xyxy(boxes.astype(np.float64), box_format),
            "classes": classes,
        }
        if "scores" in keys:
            entry["scores"] = _check_scores(
                record["scores"], f"{label}['scores']", len(boxes), f"{label}['boxes']"
            )
        checked.append(entry)
    return checked


def class_average_precisions(
    detections: Sequence[Mapping[str, Any]],
    ground_truths: Sequence[Mapping[str, Any]],
    *,
    iou_threshold: float = 0.5,
    recall_points: int | None = None,
    box_format: str = "xyxy",
) -> dict[Any, float]:
    """Average precision of each class over a set of images.

    For each class, detections are matched to the ground truth image by image with
    `match_detections`, then ranked together across images for `average_precision`.
    Classes without any ground-truth box are left out, as in COCO's evaluation (their
    average precision is undefined); detections of such classes therefore cost nothing.

    Args:
        detections: one mapping per image with `"boxes"` `(N, 4)`, `"scores"` `(N,)` and
            `"classes"` `(N,)`.
        ground_truths: one mapping per image, in the same order, with `"boxes"` `(M, 4)`
            and `"classes"` `(M,)`.
        iou_threshold: the least IoU for a detection to match an
            object. Defaults to 0.5.
        recall_points: `None` for all-point interpolation (PASCAL VOC since 2010) or the
            number of recall levels (101 for COCO). Defaults to `None`.
        box_format: the box format of both, one of `BOX_FORMATS`. Defaults to `"xyxy"`.

    Returns:
        A dict from class (as found in the ground truth, in sorted order) to its average
        precision.

    Raises:
        ValueError: if the two sequences differ in length, a mapping lacks a
            key or holds malformed boxes, scores or classes, or
            `iou_threshold` is outside [0, 1].
        TypeError: if either argument is not a sequence of mappings, or a mapping's
            scores are not real numbers.

    Examples:
        >>> truth = [{"boxes": [[0, 0, 10, 10]], "classes": [0]}]
        >>> found = [{"boxes": [[0, 0, 10, 10]], "scores": [0.9], "classes": [0]}]
        >>> class_average_precisions(found, truth)
        {0: 1.0}

    See: [Object detection](../vision/object-detection.md)
    """
    box_format = _check_format(box_format, "box_format")
    iou_threshold = _check_unit_interval(iou_threshold, "iou_threshold")
    found = _check_records(detections, "detections", _DETECTION_KEYS, box_format)
    truth = _check_records(
        ground_truths, "ground_truths", _GROUND_TRUTH_KEYS, box_format
    )
    check_same_length(truth, "ground_truths", found, "detections")
    # Images without boxes contribute no classes (and their empty
    # arrays no float dtype).
    labelled = [t["classes"] for t in truth if len(t["classes"])]
    classes = np.unique(np.concatenate(labelled)) if labelled else np.zeros(0)
    result: dict[Any, float] = {}
    for cls in classes.tolist():
        scores, flags, count = [], [], 0
        for image_found, image_truth in zip(found, truth, strict=True):
            mine = image_found["classes"] == cls
            truth_boxes = image_truth["boxes"][image_truth["classes"] == cls]
            count += len(truth_boxes)
            scores.append(image_found["scores"][mine])
            flags.append(
                _match(
                    image_found["boxes"][mine],
                    image_found["scores"][mine],
                    truth_boxes,
                    iou_threshold,
                )
            )
        result[cls] = average_precision(
            np.concatenate(scores),
            np.concatenate(flags),
            num_ground_truths=count,
            recall_points=recall_points,
        )
    return result


class _PrecisionOptions(TypedDict, total=False):
    """The options of `class_average_precisions`."""

    iou_threshold: float
    recall_points: int | None
    box_format: str


def mean_average_precision(
    detections: Sequence[Mapping[str, Any]],
    ground_truths: Sequence[Mapping[str, Any]],
    **options: Unpack[_PrecisionOptions],
) -> float:
    """Mean over classes of the average precision (mAP) of
    detections on a set of images.

    This is the mean of the values of `class_average_precisions`, which takes the same
    arguments (`iou_threshold`, `recall_points` and `box_format` by keyword) and states
    their defaults. With the defaults it is PASCAL VOC's measure (IoU threshold 0.5,
    all-point interpolation); COCO's headline AP averages this, with
    `recall_points=101`, over the IoU thresholds 0.50, 0.55, ..., 0.95.

    Args:
        detections: one mapping per image with `"boxes"`, `"scores"` and `"classes"`.
        ground_truths: one mapping per image with `"boxes"` and `"classes"`.

    Returns:
        The mAP, a float in [0, 1].

    Raises:
        ValueError: as `class_average_precisions`, and if the ground truth holds no box.
        TypeError: as `class_average_precisions`.

    Examples:
        >>> truth = [{"boxes": [[0, 0, 10, 10]], "classes": [0]}]
        >>> found = [{"boxes": [[0, 0, 10, 5]], "scores": [0.9], "classes": [0]}]
        >>> mean_average_precision(found, truth, iou_threshold=0.5)
        1.0
        >>> mean_average_precision(found, truth, iou_threshold=0.75)
        0.0

    See: [Object detection](../vision/object-detection.md)
    """
    per_class = class_average_precisions(detections, ground_truths, **options)
    if not per_class:
        raise ValueError(
            "`ground_truths` must hold at least one box to average over. Received: no "
            "boxes"
        )
    return float(np.mean(list(per_class.values())))
