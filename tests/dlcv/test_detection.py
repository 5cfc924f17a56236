"""Tests for dlcv.detection: checked against TensorFlow's and Keras's own box operations and
against cases worked by hand."""

import itertools
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.detection import (
    BOX_FORMATS,
    average_precision,
    box_iou,
    class_average_precisions,
    convert_boxes,
    make_anchors,
    match_detections,
    mean_average_precision,
    non_max_suppression,
)

# One box, 20 wide and 40 tall, with its top-left corner at (10, 20), in every format.
ONE_BOX = {
    "xyxy": [10.0, 20.0, 30.0, 60.0],
    "yxyx": [20.0, 10.0, 60.0, 30.0],
    "xywh": [10.0, 20.0, 20.0, 40.0],
    "center_xywh": [20.0, 40.0, 20.0, 40.0],
}


def random_boxes(rng, n, *, size=100.0):
    """n valid "xyxy" boxes inside a size x size image, float32 as TensorFlow uses."""
    corners = rng.uniform(0, size, size=(n, 2, 2))
    low, high = corners.min(axis=1), corners.max(axis=1)
    return np.concatenate([low, high], axis=1).astype(np.float32)


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(itertools.product(BOX_FORMATS, BOX_FORMATS)))
def test_conversion_gives_the_known_values(source, target):
    result = convert_boxes([ONE_BOX[source]], source=source, target=target)
    np.testing.assert_array_equal(result, [ONE_BOX[target]])


@pytest.mark.parametrize(("source", "target"), list(itertools.product(BOX_FORMATS, BOX_FORMATS)))
def test_integer_boxes_round_trip_exactly(source, target):
    xyxy = random_boxes(np.random.default_rng(1), 50).round()
    boxes = convert_boxes(xyxy, source="xyxy", target=source)
    there = convert_boxes(boxes, source=source, target=target)
    back = convert_boxes(there, source=target, target=source)
    np.testing.assert_array_equal(back, boxes)


@pytest.mark.parametrize("target", ["yxyx", "xywh", "center_xywh"])
def test_conversion_matches_keras(target):
    xyxy = random_boxes(np.random.default_rng(2), 40)
    expected = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(xyxy, source="xyxy", target=target)
    )
    np.testing.assert_allclose(convert_boxes(xyxy, source="xyxy", target=target), expected, 1e-6)
    back = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(expected, source=target, target="xyxy")
    )
    np.testing.assert_allclose(convert_boxes(expected, source=target, target="xyxy"), back, 1e-6)


def test_conversion_keeps_float32_and_promotes_integers():
    assert convert_boxes(np.zeros((2, 4), np.float32), source="xyxy", target="xywh").dtype == (
        np.float32
    )
    assert convert_boxes(np.zeros((2, 4), int), source="xyxy", target="xywh").dtype == np.float64
    assert convert_boxes([], source="xyxy", target="yxyx").shape == (0, 4)


# --- IoU -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 2, 2], [0, 0, 2, 2], 1.0),  # identical
        ([0, 0, 2, 2], [5, 5, 7, 7], 0.0),  # disjoint
        ([0, 0, 2, 2], [2, 0, 4, 2], 0.0),  # sharing an edge only
        ([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3),  # half of each: 2 / (4 + 4 - 2)
        ([0, 0, 4, 4], [1, 1, 3, 3], 0.25),  # one inside the other: 4 / 16
        ([0, 0, 2, 1], [0, 0, 1, 1], 0.5),  # 1 / 2, exactly representable
        ([0, 0, 3, 3], [1, 1, 4, 4], 4 / 14),  # corners: 2 x 2 shared, 9 + 9 - 4 covered
    ],
)
def test_iou_of_hand_computed_pairs(a, b, expected):
    assert box_iou([a], [b])[0, 0] == pytest.approx(expected, abs=1e-15)
    assert box_iou([b], [a])[0, 0] == pytest.approx(expected, abs=1e-15)


def test_zero_area_boxes_overlap_nothing_not_even_themselves():
    line, point, square = [0, 0, 0, 2], [1, 1, 1, 1], [0, 0, 2, 2]
    result = box_iou([line, point, square], [line, point, square])
    np.testing.assert_array_equal(result, [[0, 0, 0], [0, 0, 0], [0, 0, 1]])
    assert np.isfinite(result).all()


def test_iou_is_the_same_in_every_format_and_matches_keras():
    a, b = random_boxes(np.random.default_rng(3), 7), random_boxes(np.random.default_rng(4), 5)
    expected = box_iou(a, b)
    # In float64 the conversions lose (almost) nothing, so every format gives the same IoU.
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    assert expected.shape == (7, 5)
    for box_format in BOX_FORMATS:
        converted_a = convert_boxes(a64, source="xyxy", target=box_format)
        converted_b = convert_boxes(b64, source="xyxy", target=box_format)
        np.testing.assert_allclose(
            box_iou(converted_a, converted_b, box_format=box_format), expected, atol=1e-12
        )
    # Keras adds a tiny epsilon to the union, so agreement is to about 1e-7, not exact.
    keras_iou = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.compute_iou(a, b, bounding_box_format="xyxy")
    )
    np.testing.assert_allclose(expected, keras_iou, rtol=1e-5, atol=1e-7)


# --- non-maximum suppression ---------------------------------------------------------------


def tf_nms(boxes_yxyx, scores, **kwargs):
    return tf.image.non_max_suppression(boxes_yxyx, scores, **kwargs).numpy()


@pytest.mark.parametrize("seed", range(12))
def test_nms_equals_tensorflow_on_random_boxes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    xyxy = random_boxes(rng, n, size=60.0)
    yxyx = convert_boxes(xyxy, source="xyxy", target="yxyx")
    scores = rng.uniform(size=n).astype(np.float32)
    if seed % 3 == 0:
        # Many equal scores: both must visit ties in index order.
        scores = (scores * 4).round().astype(np.float32) / 4
    for iou_threshold, max_output_size, score_threshold in itertools.product(
        [0.0, 0.1, 0.3, 0.5, 0.7, 1.0], [0, 1, 5, 100], [-math.inf, 0.25, 0.5]
    ):
        expected = tf_nms(
            yxyx,
            scores,
            max_output_size=max_output_size,
            iou_threshold=iou_threshold,
            score_threshold=score_threshold,
        )
        got = non_max_suppression(
            yxyx,
            scores,
            max_output_size=max_output_size,
            iou_threshold=iou_threshold,
            score_threshold=score_threshold,
            box_format="yxyx",
        )
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.int32
        # IoU does not change when x and y swap roles, so "xyxy" boxes give the same answer.
        same = non_max_suppression(
            xyxy,
            scores,
            max_output_size=max_output_size,
            iou_threshold=iou_threshold,
            score_threshold=score_threshold,
        )
        np.testing.assert_array_equal(same, expected)


def test_nms_keeps_a_box_whose_iou_equals_the_threshold_as_tensorflow_does():
    boxes = np.array([[0, 0, 2, 1], [0, 0, 1, 1]], np.float32)  # IoU exactly 0.5
    scores = np.array([0.9, 0.8], np.float32)
    for threshold, kept in [(0.5, [0, 1]), (0.49, [0])]:
        got = non_max_suppression(boxes, scores, max_output_size=5, iou_threshold=threshold)
        np.testing.assert_array_equal(got, kept)
        yxyx = convert_boxes(boxes, source="xyxy", target="yxyx")
        np.testing.assert_array_equal(
            tf_nms(yxyx, scores, max_output_size=5, iou_threshold=threshold), kept
        )


def test_nms_score_threshold_is_strict_and_ties_go_by_index():
    boxes = [[0, 0, 1, 1], [0, 0, 1, 1], [5, 5, 6, 6]]
    np.testing.assert_array_equal(
        non_max_suppression(boxes, [0.5, 0.5, 0.5], max_output_size=3), [0, 2]
    )
    np.testing.assert_array_equal(
        non_max_suppression(boxes, [0.5, 0.4, 0.3], max_output_size=3, score_threshold=0.3), [0]
    )


def test_nms_never_suppresses_with_zero_area_boxes():
    lines = [[0, 0, 1, 0], [0, 0, 1, 0]]
    np.testing.assert_array_equal(non_max_suppression(lines, [0.9, 0.8], max_output_size=5), [0, 1])


def test_nms_of_nothing_is_nothing():
    assert non_max_suppression(np.zeros((0, 4)), [], max_output_size=3).shape == (0,)


# --- anchors -------------------------------------------------------------------------------


def test_anchor_count_layout_and_shapes():
    scales, ratios = [8.0, 16.0], [0.5, 1.0, 2.0]
    anchors = make_anchors((2, 3), image_size=(32, 48), scales=scales, aspect_ratios=ratios)
    assert anchors.shape == (2 * 3 * 2 * 3, 4)
    per_position = anchors.reshape(2, 3, 6, 4)
    width = per_position[..., 2] - per_position[..., 0]
    height = per_position[..., 3] - per_position[..., 1]
    # Row 1, column 2 is the cell from (32, 16) to (48, 32): every anchor there is centred on it.
    centers = (per_position[1, 2, :, :2] + per_position[1, 2, :, 2:]) / 2
    np.testing.assert_allclose(centers, np.tile([40.0, 24.0], (6, 1)))
    # Scale-major, then ratio: area is scale squared, width / height is the ratio.
    np.testing.assert_allclose(width * height, np.tile(np.repeat(np.square(scales), 3), (2, 3, 1)))
    np.testing.assert_allclose(width / height, np.tile(np.tile(ratios, 2), (2, 3, 1)))


def test_square_sizes_and_the_faster_rcnn_count():
    # 3 scales x 3 ratios per position; a 60 x 40 map gives 21,600, "roughly 20000" in the paper.
    anchors = make_anchors(
        (40, 60), image_size=(600, 1000), scales=[128, 256, 512], aspect_ratios=[0.5, 1, 2]
    )
    assert len(anchors) == 40 * 60 * 9
    np.testing.assert_array_equal(
        make_anchors(2, image_size=8, scales=[2], aspect_ratios=[1]),
        [[1, 1, 3, 3], [5, 1, 7, 3], [1, 5, 3, 7], [5, 5, 7, 7]],
    )


# --- matching and average precision --------------------------------------------------------


def test_matching_is_greedy_by_score_and_each_object_counts_once():
    truth = [[0, 0, 10, 10], [20, 0, 30, 10]]
    boxes = [
        [0, 0, 10, 10],  # 0.7: the first object, but a better-scored box took it already
        [0, 0, 10, 10],  # 0.9: the first object
        [20, 0, 30, 5],  # 0.8: IoU exactly 0.5 with the second object, a match (IoU >= 0.5)
        [50, 50, 60, 60],  # 0.95: nothing there
    ]
    flags = match_detections(boxes, [0.7, 0.9, 0.8, 0.95], truth)
    np.testing.assert_array_equal(flags, [False, True, True, False])
    assert not match_detections(boxes[2:3], [0.8], truth[1:], iou_threshold=0.51).any()


def test_matching_takes_the_best_object_still_unmatched():
    # The second detection overlaps the first object most, but that one is taken; it matches the
    # second object (IoU 80 / 120) instead, as in COCO's code. PASCAL VOC's development kit would
    # count it a false positive, since it looks only at the best overlap, taken or not.
    truth = [[0, 0, 10, 10], [2, 0, 12, 10]]
    boxes = [[0, 0, 10, 10], [0, 0, 10, 10]]
    np.testing.assert_array_equal(match_detections(boxes, [0.9, 0.8], truth), [True, True])
    np.testing.assert_array_equal(
        match_detections(boxes, [0.9, 0.8], truth, iou_threshold=0.7), [True, False]
    )


def test_average_precision_of_a_hand_worked_ranking():
    # Ranked TP, FP, TP with 2 objects: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    # Interpolated: 1 up to recall 1/2, then 2/3 up to recall 1.
    scores, flags = [0.9, 0.8, 0.7], [True, False, True]
    # All points: 1/2 * 1 + 1/2 * 2/3 = 5/6.
    assert average_precision(scores, flags, num_ground_truths=2) == pytest.approx(5 / 6)
    # 11 points (0, 0.1, ..., 1): six at or below 1/2 read 1, five above read 2/3.
    assert average_precision(scores, flags, num_ground_truths=2, recall_points=11) == (
        pytest.approx((6 + 5 * 2 / 3) / 11)
    )
    # 101 points (COCO): 51 at or below 1/2, 50 above.
    assert average_precision(scores, flags, num_ground_truths=2, recall_points=101) == (
        pytest.approx((51 + 50 * 2 / 3) / 101)
    )
    # Order of input does not matter, only the scores; an object never found caps recall.
    assert average_precision(scores[::-1], flags[::-1], num_ground_truths=2) == pytest.approx(5 / 6)
    assert average_precision(scores, flags, num_ground_truths=4) == pytest.approx(5 / 12)
    assert average_precision([], [], num_ground_truths=3) == 0.0


def test_mean_average_precision_of_a_hand_worked_case():
    """Two images, two classes (0 = coin, 1 = key), boxes 10 x 10 so IoUs are easy.

    Image 0: coin A [0, 0, 10, 10], key B [20, 20, 30, 30].
    Image 1: coin C [0, 0, 10, 10], coin D [50, 50, 60, 60].

    Class 0 (3 objects), detections ranked by score:

        score  image  box               IoU with best free coin   result  precision  recall
        0.9    0      [0, 0, 10, 10]    1.0 (A)                    TP      1/1        1/3
        0.8    0      [1, 1, 10, 10]    A already taken: 0.81      FP      1/2        1/3
        0.7    1      [0, 0, 10, 4]     0.4 (C)                    FP      1/3        1/3
        0.5    1      [50, 50, 60, 60]  1.0 (D)                    TP      2/4        2/3

    Interpolated precision: 1 up to recall 1/3, then 1/2 up to 2/3; recall never reaches 1.
    AP(coin) = 1/3 * 1 + 1/3 * 1/2 = 1/2.

    Class 1 (1 object):

        0.95   1      [0, 0, 10, 10]    no key in image 1          FP      0/1        0
        0.7    0      [0, 0, 10, 10]    0.0 (B)                    FP      0/2        0
        0.6    0      [20, 20, 30, 30]  1.0 (B)                    TP      1/3        1

    AP(key) = 1 * 1/3 = 1/3, and mAP = (1/2 + 1/3) / 2 = 5/12.
    A detection of class 2, absent from the ground truth, is ignored.
    """
    truth = [
        {"boxes": [[0, 0, 10, 10], [20, 20, 30, 30]], "classes": [0, 1]},
        {"boxes": [[0, 0, 10, 10], [50, 50, 60, 60]], "classes": [0, 0]},
    ]
    found = [
        {
            "boxes": [[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]],
            "scores": [0.9, 0.8, 0.7, 0.6],
            "classes": [0, 0, 1, 1],
        },
        {
            "boxes": [[0, 0, 10, 4], [50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 5, 5]],
            "scores": [0.7, 0.5, 0.95, 0.99],
            "classes": [0, 0, 1, 2],
        },
    ]
    per_class = class_average_precisions(found, truth)
    assert list(per_class) == [0, 1]
    assert per_class[0] == pytest.approx(1 / 2)
    assert per_class[1] == pytest.approx(1 / 3)
    assert mean_average_precision(found, truth) == pytest.approx(5 / 12)
    # A stricter IoU threshold changes nothing here (every true positive has IoU 1) ...
    assert mean_average_precision(found, truth, iou_threshold=0.95) == pytest.approx(5 / 12)
    # ... while a looser one turns the IoU-0.4 coin into a match: coin ranks TP FP TP TP,
    # precision 1, 1/2, 2/3, 3/4 at recall 1/3, 1/3, 2/3, 1: AP = 1/3 + 1/3 * 3/4 + 1/3 * 3/4.
    assert class_average_precisions(found, truth, iou_threshold=0.4)[0] == pytest.approx(5 / 6)


def test_images_without_objects_or_detections_are_fine():
    truth = [{"boxes": [[0, 0, 1, 1]], "classes": [3]}, {"boxes": [], "classes": []}]
    found = [
        {"boxes": [], "scores": [], "classes": []},
        {"boxes": [[0, 0, 1, 1]], "scores": [0.5], "classes": [3]},
    ]
    assert class_average_precisions(found, truth) == {3: 0.0}
    assert isinstance(next(iter(class_average_precisions(found, truth))), int)


# --- argument errors -----------------------------------------------------------------------


def test_box_arguments_are_checked():
    with pytest.raises(ValueError, match=r"must be an array of shape \(N, 4\)"):
        convert_boxes([1, 2, 3, 4], source="xyxy", target="xywh")
    with pytest.raises(ValueError, match="`source` must be one of 'xyxy'"):
        convert_boxes([[0, 0, 1, 1]], source="cxcywh", target="xywh")
    with pytest.raises(ValueError, match=r"x2 >= x1 and y2 >= y1 .* Received: boxes\[1\]"):
        convert_boxes([[0, 0, 1, 1], [5, 0, 2, 1]], source="xyxy", target="xywh")
    with pytest.raises(ValueError, match="y2 >= y1 and x2 >= x1"):
        box_iou([[0, 3, 1, 1]], [[0, 0, 1, 1]], box_format="yxyx")
    with pytest.raises(ValueError, match="width >= 0 and height >= 0"):
        convert_boxes([[0, 0, -1, 1]], source="xywh", target="xyxy")
    with pytest.raises(ValueError, match="must hold finite numbers"):
        box_iou([[0, 0, np.nan, 1]], [[0, 0, 1, 1]])
    with pytest.raises(TypeError, match="must hold real numbers"):
        box_iou([["a", "b", "c", "d"]], [[0, 0, 1, 1]])
    with pytest.raises(ValueError, match="`box_format` must be one of"):
        box_iou([[0, 0, 1, 1]], [[0, 0, 1, 1]], box_format="XYXY")


def test_nms_arguments_are_checked():
    boxes = [[0, 0, 1, 1], [0, 0, 2, 2]]
    with pytest.raises(ValueError, match=r"`scores` must be as long as `boxes` \(2 items\)"):
        non_max_suppression(boxes, [0.5], max_output_size=1)
    with pytest.raises(ValueError, match="`iou_threshold` must be a number between 0 and 1"):
        non_max_suppression(boxes, [0.5, 0.4], max_output_size=1, iou_threshold=1.5)
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        non_max_suppression(boxes, [0.5, 0.4], max_output_size=-1)
    with pytest.raises(TypeError, match="must be a non-negative integer"):
        non_max_suppression(boxes, [0.5, 0.4], max_output_size=2.0)
    with pytest.raises(ValueError, match="must not contain NaN"):
        non_max_suppression(boxes, [0.5, np.nan], max_output_size=2)
    with pytest.raises(TypeError, match="`score_threshold` must be a number"):
        non_max_suppression(boxes, [0.5, 0.4], max_output_size=2, score_threshold="low")


@pytest.mark.parametrize("scores", [[True, False], np.array([1, 0], bool), ["high", "low"]])
def test_scores_that_are_not_real_numbers_are_refused(scores):
    # Booleans would rank as 1 and 0; strings failed in NumPy's cast, naming no argument.
    boxes = [[0, 0, 1, 1], [0, 0, 2, 2]]
    with pytest.raises(TypeError, match="`scores` must hold real numbers"):
        non_max_suppression(boxes, scores, max_output_size=2)
    with pytest.raises(TypeError, match="`scores` must hold real numbers"):
        match_detections(boxes, scores, [[0, 0, 1, 1]])
    with pytest.raises(TypeError, match="`scores` must hold real numbers"):
        average_precision(scores, [True, False], num_ground_truths=1)


def test_anchor_arguments_are_checked():
    with pytest.raises(ValueError, match="`feature_size` must be a positive integer"):
        make_anchors(0, image_size=32, scales=[8], aspect_ratios=[1])
    with pytest.raises(ValueError, match=r"a \(height, width\) pair"):
        make_anchors((2, 2, 2), image_size=32, scales=[8], aspect_ratios=[1])
    with pytest.raises(ValueError, match="`scales` must be a non-empty sequence of positive"):
        make_anchors(2, image_size=32, scales=[], aspect_ratios=[1])
    with pytest.raises(ValueError, match="`aspect_ratios` must be a non-empty sequence"):
        make_anchors(2, image_size=32, scales=[8], aspect_ratios=[0])


def test_metric_arguments_are_checked():
    with pytest.raises(ValueError, match="`num_ground_truths` must be a positive integer"):
        average_precision([0.5], [True], num_ground_truths=0)
    with pytest.raises(ValueError, match="more true positives than `num_ground_truths`"):
        average_precision([0.5, 0.4], [True, True], num_ground_truths=1)
    with pytest.raises(ValueError, match="`recall_points` must be None or at least 2"):
        average_precision([0.5], [True], num_ground_truths=1, recall_points=1)
    with pytest.raises(ValueError, match="`is_true_positive` must be a 1-D array of booleans"):
        average_precision([0.5], [0.3], num_ground_truths=1)
    truth = [{"boxes": [[0, 0, 1, 1]], "classes": [0]}]
    found = [{"boxes": [[0, 0, 1, 1]], "scores": [0.9], "classes": [0]}]
    with pytest.raises(ValueError, match=r"`detections` must be as long as `ground_truths`"):
        mean_average_precision(found * 2, truth)
    with pytest.raises(ValueError, match=r"`detections\[0\]` must be a mapping with the keys"):
        mean_average_precision([{"boxes": [[0, 0, 1, 1]], "classes": [0]}], truth)
    with pytest.raises(ValueError, match=r"`ground_truths\[0\]\['classes'\]` must hold one class"):
        mean_average_precision(found, [{"boxes": [[0, 0, 1, 1]], "classes": [0, 1]}])
    with pytest.raises(TypeError, match="must be a sequence with one mapping per image"):
        mean_average_precision(found[0], truth)
    with pytest.raises(ValueError, match="must hold at least one box"):
        mean_average_precision(
            [{"boxes": [], "scores": [], "classes": []}], [{"boxes": [], "classes": []}]
        )
    with pytest.raises(ValueError, match="`iou_threshold` must be a number between 0 and 1"):
        mean_average_precision(found, truth, iou_threshold=-0.1)
