"""Tests for dlcv.data."""

import numpy as np
import pytest

from dlcv.data import (
    load_digits_images,
    make_dataset,
    split_train_test,
    split_train_val_test,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits_images()


def test_digits_shape_dtype_and_range(digits):
    images, labels = digits
    assert images.shape == (1797, 8, 8, 1)
    assert images.dtype == np.float32
    assert labels.shape == (1797,)
    assert labels.dtype == np.int64
    assert images.min() == 0.0
    assert images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))


def test_unscaled_digits_keep_the_raw_counts(digits):
    raw, labels = load_digits_images(scale=False)
    assert raw.dtype == np.float32
    assert raw.max() == 16.0
    np.testing.assert_allclose(raw / 16.0, digits[0])
    np.testing.assert_array_equal(labels, digits[1])


def test_flattened_digits_are_the_images_read_row_by_row(digits):
    rows, labels = load_digits_images(flatten=True)
    assert rows.shape == (1797, 64)
    np.testing.assert_array_equal(rows[5], digits[0][5, :, :, 0].ravel())
    np.testing.assert_array_equal(labels, digits[1])
    with pytest.raises(TypeError, match="`flatten` must be True or False"):
        load_digits_images(flatten="yes")


def test_split_is_stratified_and_complete(digits):
    images, labels = digits
    x_train, x_test, y_train, y_test = split_train_test(images, labels, test_fraction=0.2)
    assert len(x_train) + len(x_test) == len(images)
    assert len(x_train) == len(y_train)
    assert len(x_test) == len(y_test)
    assert x_test.shape[1:] == (8, 8, 1)
    overall = np.bincount(labels) / len(labels)
    in_test = np.bincount(y_test, minlength=10) / len(y_test)
    np.testing.assert_allclose(in_test, overall, atol=0.01)
    assert len(y_test) == pytest.approx(0.2 * len(labels), abs=1)


def test_split_depends_on_the_seed_only(digits):
    images, labels = digits
    first = split_train_test(images, labels, seed=1)
    again = split_train_test(images, labels, seed=1)
    other = split_train_test(images, labels, seed=2)
    np.testing.assert_array_equal(first[3], again[3])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_split_checks_its_arguments(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="must be as long as `images`"):
        split_train_test(images, labels[:-1])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_train_test(images, labels, test_fraction=1.0)


def test_split_names_labels_when_a_class_has_one_example(digits):
    images, labels = digits
    keep = np.r_[np.flatnonzero(labels != 3), np.flatnonzero(labels == 3)[:1]]
    with pytest.raises(ValueError, match=r"`labels` must hold at least two examples.*\[3\]"):
        split_train_test(images[keep], labels[keep])


def test_split_names_test_fraction_when_a_part_cannot_hold_every_class(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="`test_fraction` must leave room for each of the 10"):
        split_train_test(images[:100], labels[:100], test_fraction=0.05)
    with pytest.raises(ValueError, match="`test_fraction` must leave room"):
        split_train_test(images[:100], labels[:100], test_fraction=0.95)


def test_three_way_split_is_the_two_way_split_applied_twice(digits):
    images, labels = digits
    x_train, x_val, x_test, y_train, y_val, y_test = split_train_val_test(
        images, labels, val_fraction=0.3, test_fraction=0.2, seed=4
    )
    x_rest, expected_x_test, y_rest, expected_y_test = split_train_test(
        images, labels, test_fraction=0.2, seed=4
    )
    expected = split_train_test(x_rest, y_rest, test_fraction=0.3, seed=4)
    np.testing.assert_array_equal(x_test, expected_x_test)
    np.testing.assert_array_equal(y_test, expected_y_test)
    for got, want in zip((x_train, x_val, y_train, y_val), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(x_train) + len(x_val) + len(x_test) == len(images)
    # Stratified: each part keeps the class proportions of the whole.
    overall = np.bincount(labels) / len(labels)
    for part in (y_train, y_val, y_test):
        np.testing.assert_allclose(np.bincount(part, minlength=10) / len(part), overall, atol=0.02)


def test_three_way_split_names_the_fraction_that_is_wrong(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="must be as long as `images`"):
        split_train_val_test(images, labels[:-1])
    with pytest.raises(ValueError, match=r"`val_fraction`.*strictly between 0 and 1"):
        split_train_val_test(images, labels, val_fraction=1.0)
    with pytest.raises(TypeError, match="`val_fraction`"):
        split_train_val_test(images, labels, val_fraction="a third")
    with pytest.raises(ValueError, match=r"`test_fraction`.*strictly between 0 and 1"):
        split_train_val_test(images, labels, test_fraction=0.0)
    # 100 digits, 75 left after the test set: 5 % of them cannot hold all ten classes.
    with pytest.raises(ValueError, match=r"`val_fraction` must leave room .*for validation"):
        split_train_val_test(images[:100], labels[:100], val_fraction=0.05)


def _collect(dataset):
    xs, ys = zip(*((x.numpy(), y.numpy()) for x, y in dataset), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def test_make_dataset_batches_every_example_once(digits):
    images, labels = digits[0][:100], digits[1][:100]
    dataset = make_dataset(images, labels, batch_size=32, seed=3)
    sizes = [len(y) for _, y in dataset]
    assert sizes == [32, 32, 32, 4]
    x, y = _collect(dataset)
    assert x.dtype == np.float32
    assert sorted(y.tolist()) == sorted(labels.tolist())
    # Shuffled, but each image still travels with its own label.
    order = [int(np.flatnonzero((images == image).all(axis=(1, 2, 3)))[0]) for image in x]
    np.testing.assert_array_equal(labels[order], y)
    assert order != list(range(100))


def test_make_dataset_is_deterministic_for_a_seed(digits):
    images, labels = digits[0][:200], digits[1][:200]
    _, first = _collect(make_dataset(images, labels, batch_size=50, seed=7))
    _, again = _collect(make_dataset(images, labels, batch_size=50, seed=7))
    _, other = _collect(make_dataset(images, labels, batch_size=50, seed=8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_make_dataset_without_shuffle_keeps_the_order(digits):
    images, labels = digits[0][:64], digits[1][:64]
    x, y = _collect(make_dataset(images, labels, batch_size=10, shuffle=False))
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize(
    ("kwargs", "error", "phrase"),
    [
        ({"batch_size": 0}, ValueError, "`batch_size` must be a positive integer"),
        ({"batch_size": "8"}, TypeError, "`batch_size` must be a positive integer"),
        ({"batch_size": 8, "seed": -1}, ValueError, "`seed` must be a non-negative integer"),
    ],
)
def test_make_dataset_checks_its_arguments(digits, kwargs, error, phrase):
    with pytest.raises(error, match=phrase):
        make_dataset(digits[0], digits[1], **kwargs)
    with pytest.raises(ValueError, match="must be as long as `images`"):
        make_dataset(digits[0], digits[1][:5], batch_size=8)
    with pytest.raises(ValueError, match="must hold at least one example"):
        make_dataset(digits[0][:0], digits[1][:0], batch_size=8)
