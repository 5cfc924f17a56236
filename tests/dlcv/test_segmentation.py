"""Tests for dlcv.segmentation: the generated data, and IoU and Dice against hand-worked cases."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlcv.segmentation import (
    SHAPE_KINDS,
    SegmentationScores,
    dice_coefficient,
    make_shapes_masks,
    mask_iou,
    pixel_confusion_matrix,
)

# --- Generated shapes and masks -----------------------------------------------------------------


def test_shapes_masks_have_the_documented_shapes_types_and_ranges():
    images, masks = make_shapes_masks(5, size=24, seed=3)
    assert images.shape == (5, 24, 24, 3) and images.dtype == np.float32
    assert masks.shape == (5, 24, 24) and masks.dtype == np.int32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert set(np.unique(masks)) <= set(range(len(SHAPE_KINDS) + 1))
    # Every image has at least one shape and keeps some background.
    assert all(0 < (mask > 0).mean() < 1 for mask in masks)


def test_shapes_masks_are_deterministic_per_seed():
    first = make_shapes_masks(3, size=16, seed=7)
    again = make_shapes_masks(3, size=16, seed=7)
    other = make_shapes_masks(3, size=16, seed=8)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_noise_changes_the_pixels_but_not_the_shapes():
    clean_images, clean_masks = make_shapes_masks(4, size=16, noise=0.0, seed=5)
    noisy_images, noisy_masks = make_shapes_masks(4, size=16, noise=0.2, seed=5)
    np.testing.assert_array_equal(clean_masks, noisy_masks)
    assert not np.array_equal(clean_images, noisy_images)


def test_the_mask_labels_the_shape_drawn_on_top():
    # Without noise each shape has one colour, so the colour of a pixel tells which shape was
    # drawn last there; every colour must then carry a single label in the mask.
    images, masks = make_shapes_masks(100, size=32, max_shapes=3, noise=0.0, seed=2)
    for image, mask in zip(images, masks, strict=True):
        foreground = mask > 0
        colours, index = np.unique(image[foreground], axis=0, return_inverse=True)
        labels = mask[foreground]
        for k in range(len(colours)):
            assert len(np.unique(labels[index.ravel() == k])) == 1


def test_shape_pixels_are_brighter_than_the_background_without_noise():
    images, masks = make_shapes_masks(20, size=32, noise=0.0, seed=0)
    brightest = images.max(axis=-1)
    # Backgrounds are drawn in [0, 0.4] per channel, shapes in [0.55, 1].
    assert brightest[masks == 0].max() <= 0.4
    assert brightest[masks > 0].min() >= 0.55


def test_each_kind_gets_its_label_and_covers_about_the_same_area():
    _, masks = make_shapes_masks(300, size=32, seed=0)
    areas = np.bincount(masks.ravel(), minlength=4)[1:]
    assert areas.min() / areas.max() > 0.8
    _, only_triangles = make_shapes_masks(10, size=32, shapes=("triangle",), seed=0)
    assert set(np.unique(only_triangles)) == {0, 1}
    _, reordered = make_shapes_masks(10, size=32, shapes=("square", "disk"), max_shapes=1, seed=0)
    assert set(np.unique(reordered)) <= {0, 1, 2}


def test_a_single_disk_covers_the_area_of_its_circle():
    _, masks = make_shapes_masks(200, size=64, shapes=("disk",), max_shapes=1, seed=0)
    areas = (masks == 1).sum(axis=(1, 2))
    # Radii are drawn uniformly in [0.12, 0.24] * size, so the mean area is pi * E[r^2].
    low, high = 0.12 * 64, 0.24 * 64
    expected = np.pi * (high**3 - low**3) / (3 * (high - low))
    assert abs(areas.mean() / expected - 1) < 0.05


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"count": 0}, ValueError, "`count` must be a positive integer"),
        ({"count": 2.0}, TypeError, "`count` must be a positive integer"),
        ({"size": 4}, ValueError, "`size` must be an integer of at least 8"),
        ({"shapes": ()}, ValueError, "`shapes` must be a non-empty sequence"),
        ({"shapes": ("disk", "disk")}, ValueError, "`shapes` must be a non-empty sequence"),
        ({"shapes": ("hexagon",)}, ValueError, "among 'disk', 'square', 'triangle'"),
        ({"max_shapes": 0}, ValueError, "`max_shapes` must be a positive integer"),
        ({"noise": -0.1}, ValueError, "`noise` must be a non-negative number"),
        ({"noise": "low"}, TypeError, "`noise` must be a non-negative number"),
        ({"seed": -1}, ValueError, "`seed` must be a non-negative integer"),
    ],
)
def test_shapes_masks_reject_bad_arguments(kwargs, error, phrase):
    kwargs = {"count": 2, **kwargs}
    with pytest.raises(error, match=phrase):
        make_shapes_masks(**kwargs)


# --- IoU and Dice on hand-worked cases ----------------------------------------------------------

# A 4x4 case with three classes, worked by hand:
#
#   y_true          y_pred
#   0 0 1 1         0 0 1 1
#   0 0 1 1         0 1 1 1
#   0 0 0 0         0 0 0 2
#   2 2 0 0         2 0 0 0
#
# Three pixels disagree: (1,1) 0 -> 1, (2,3) 0 -> 2 and (3,1) 2 -> 0. With A the true pixels of
# a class and B the predicted ones ("A and B" their intersection, "A or B" their union):
# class 0: |A| = 10, |B| = 9, |A and B| = 8, |A or B| = 10 + 9 - 8 = 11.  IoU = 8/11, Dice = 16/19.
# class 1: |A| = 4, |B| = 5, |A and B| = 4, |A or B| = 5.                  IoU = 4/5,  Dice = 8/9.
# class 2: |A| = 2, |B| = 2, |A and B| = 1, |A or B| = 3.                  IoU = 1/3,  Dice = 2/4.
TRUE_4X4 = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0], [2, 2, 0, 0]])
PRED_4X4 = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 2], [2, 0, 0, 0]])
IOU_4X4 = [8 / 11, 4 / 5, 1 / 3]
DICE_4X4 = [16 / 19, 8 / 9, 2 / 4]


def test_confusion_matrix_of_the_hand_worked_case():
    confusion = pixel_confusion_matrix(TRUE_4X4, PRED_4X4, num_classes=3)
    np.testing.assert_array_equal(confusion, [[8, 1, 1], [0, 4, 0], [1, 0, 1]])
    assert confusion.sum() == 16


def test_iou_and_dice_of_the_hand_worked_case():
    iou = mask_iou(TRUE_4X4, PRED_4X4, num_classes=3)
    dice = dice_coefficient(TRUE_4X4, PRED_4X4, num_classes=3)
    assert isinstance(iou, SegmentationScores)
    np.testing.assert_allclose(iou.per_class, IOU_4X4)
    np.testing.assert_allclose(dice.per_class, DICE_4X4)
    assert iou.mean == pytest.approx(np.mean(IOU_4X4))
    assert dice.mean == pytest.approx(np.mean(DICE_4X4))


def test_a_3x3_binary_case_worked_by_hand():
    # y_true has a 2x2 object in the top-left corner; y_pred shifts it one pixel to the right.
    #   1 1 0      0 1 1
    #   1 1 0      0 1 1
    #   0 0 0      0 0 0
    # object: A = 4, B = 4, A and B = 2 (the middle column), A or B = 6 -> IoU 1/3, Dice 4/8.
    # background: A = 5, B = 5, A and B = 3 (the bottom row), A or B = 7 -> IoU 3/7, Dice 6/10.
    y_true = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    y_pred = np.array([[0, 1, 1], [0, 1, 1], [0, 0, 0]])
    np.testing.assert_allclose(mask_iou(y_true, y_pred, num_classes=2).per_class, [3 / 7, 1 / 3])
    np.testing.assert_allclose(
        dice_coefficient(y_true, y_pred, num_classes=2).per_class, [6 / 10, 4 / 8]
    )


def test_identical_masks_score_one_and_disjoint_masks_score_zero():
    mask = np.array([[0, 1], [2, 1]])
    assert mask_iou(mask, mask, num_classes=3).per_class.tolist() == [1.0, 1.0, 1.0]
    assert dice_coefficient(mask, mask, num_classes=3).mean == 1.0
    y_true = np.array([[1, 1], [0, 0]])
    y_pred = np.array([[0, 0], [1, 1]])
    assert mask_iou(y_true, y_pred, num_classes=2).per_class.tolist() == [0.0, 0.0]
    assert dice_coefficient(y_true, y_pred, num_classes=2).mean == 0.0


def test_a_class_in_neither_mask_is_nan_and_left_out_of_the_mean():
    y_true = np.array([[0, 0], [1, 1]])
    y_pred = np.array([[0, 1], [1, 1]])
    iou = mask_iou(y_true, y_pred, num_classes=4)
    # class 0: 1/2; class 1: 2/3; classes 2 and 3 appear nowhere.
    np.testing.assert_allclose(iou.per_class[:2], [1 / 2, 2 / 3])
    assert np.isnan(iou.per_class[2:]).all()
    assert iou.mean == pytest.approx((1 / 2 + 2 / 3) / 2)
    # A class predicted but absent from the truth is a failure (0), not undefined.
    only_predicted = mask_iou([[0, 0]], [[0, 3]], num_classes=4)
    assert only_predicted.per_class[3] == 0.0
    assert only_predicted.mean == pytest.approx((1 / 2 + 0.0) / 2)


def test_dice_is_two_iou_over_one_plus_iou_for_every_class():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 5, size=(4, 16, 16))
    y_pred = np.where(rng.random((4, 16, 16)) < 0.6, y_true, rng.integers(0, 5, size=(4, 16, 16)))
    iou = mask_iou(y_true, y_pred, num_classes=5).per_class
    dice = dice_coefficient(y_true, y_pred, num_classes=5).per_class
    np.testing.assert_allclose(dice, 2 * iou / (1 + iou))
    assert (dice >= iou).all()


def test_scores_accept_class_scores_and_take_their_argmax():
    logits = np.zeros((4, 4, 3))
    logits[..., 0] = 1.0
    np.put_along_axis(logits, PRED_4X4[..., np.newaxis], 5.0, axis=-1)
    np.testing.assert_allclose(mask_iou(TRUE_4X4, logits, num_classes=3).per_class, IOU_4X4)
    probabilities = tf.nn.softmax(tf.constant(logits, tf.float32))
    dice = dice_coefficient(tf.constant(TRUE_4X4), probabilities, num_classes=3)
    np.testing.assert_allclose(dice.per_class, DICE_4X4)


def test_scores_accept_whole_floats_and_booleans():
    as_float = mask_iou(TRUE_4X4.astype("float32"), PRED_4X4, num_classes=3)
    np.testing.assert_allclose(as_float.per_class, IOU_4X4)
    as_bool = mask_iou(np.eye(3, dtype=bool), np.eye(3, dtype=bool), num_classes=2)
    assert as_bool.mean == 1.0


def test_ignored_pixels_are_not_scored():
    y_true = TRUE_4X4.copy()
    y_true[2, 3] = 255  # the pixel predicted as class 2 by mistake becomes "void"
    iou = mask_iou(y_true, PRED_4X4, num_classes=3, ignore_label=255)
    # class 0 loses that false negative: A = 9, B = 9, A and B = 8 -> 8/10; class 2 loses the false
    # positive: A = 2, B = 1, A and B = 1 -> 1/2.
    np.testing.assert_allclose(iou.per_class, [8 / 10, 4 / 5, 1 / 2])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mean_iou_agrees_with_keras(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, size=(3, 8, 8))
    y_pred = np.where(rng.random((3, 8, 8)) < 0.5, y_true, rng.integers(0, 4, size=(3, 8, 8)))
    if seed == 2:
        # Leave class 3 out of both masks: Keras also drops it from the mean.
        y_true, y_pred = np.minimum(y_true, 2), np.minimum(y_pred, 2)
    metric = keras.metrics.MeanIoU(num_classes=4)
    metric.update_state(y_true, y_pred)
    ours = mask_iou(y_true, y_pred, num_classes=4).mean
    assert ours == pytest.approx(float(metric.result()), rel=1e-5)
    for c in range(4 if seed != 2 else 3):
        per_class = keras.metrics.IoU(num_classes=4, target_class_ids=[c])
        per_class.update_state(y_true, y_pred)
        iou_c = mask_iou(y_true, y_pred, num_classes=4).per_class[c]
        assert iou_c == pytest.approx(float(per_class.result()), rel=1e-5)


def test_confusion_matrix_agrees_with_tensorflow():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 6, size=(2, 10, 10))
    y_pred = rng.integers(0, 6, size=(2, 10, 10))
    expected = tf.math.confusion_matrix(y_true.ravel(), y_pred.ravel(), num_classes=6)
    np.testing.assert_array_equal(
        pixel_confusion_matrix(y_true, y_pred, num_classes=6), expected.numpy()
    )


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "phrase"),
    [
        (np.zeros((2, 2)), np.zeros((2, 3)), {}, ValueError, "`y_pred` must have the shape"),
        (np.zeros((2, 2)), np.zeros((2, 2, 2)), {}, ValueError, "plus a last axis"),
        ([[0, 3]], [[0, 1]], {}, ValueError, "`y_true` must hold class labels from 0 to"),
        ([[0, 1]], [[0, -1]], {}, ValueError, "Received: a label -1 in y_pred"),
        ([[0.5, 1]], [[0, 1]], {}, ValueError, "`y_true` must hold integer class labels"),
        ([[0, 1]], [["a", "b"]], {}, ValueError, "`y_pred` must hold integer class labels"),
        ([[0, 1]], [[0, 1]], {"num_classes": 0}, ValueError, "`num_classes` must be a positive"),
        ([[0, 1]], [[0, 1]], {"num_classes": 2.0}, TypeError, "`num_classes` must be a positive"),
        ([[0, 1]], [[0, 1]], {"ignore_label": "void"}, TypeError, "`ignore_label` must be an"),
        ([[7, 7]], [[0, 1]], {"ignore_label": 7}, ValueError, "at least one pixel"),
        (np.zeros((0, 4)), np.zeros((0, 4)), {}, ValueError, "at least one pixel"),
    ],
)
@pytest.mark.parametrize("score", [mask_iou, dice_coefficient, pixel_confusion_matrix])
def test_scores_reject_bad_inputs(score, y_true, y_pred, kwargs, error, phrase):
    kwargs = {"num_classes": 3, **kwargs}
    with pytest.raises(error, match=phrase):
        score(y_true, y_pred, **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("score", [mask_iou, dice_coefficient, pixel_confusion_matrix])
def test_non_finite_class_scores_are_refused_not_counted_as_a_class(score, bad):
    # argmax takes NaN for the largest value: unrefused, this pixel would count as class 1.
    y_pred = np.array([[[0.9, 0.1], [0.2, 0.8]]])
    y_pred[0, 0, 1] = bad
    with pytest.raises(ValueError, match=r"`y_pred` must hold finite scores.*y_pred\[0, 0, 1\]"):
        score([[0, 1]], y_pred, num_classes=2)


def test_class_scores_that_are_not_numbers_are_refused():
    with pytest.raises(ValueError, match="`y_pred` must hold numbers"):
        mask_iou([[0, 1]], np.array([[["a", "b"], ["c", "d"]]]), num_classes=2)
