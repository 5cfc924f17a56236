"""Small image data sets that need no download, and the input pipeline that feeds them."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from dlcv._validation import (
    check_fraction,
    check_non_negative_int,
    check_positive_int,
    check_same_length,
)

__all__ = [
    "load_digits_images",
    "make_dataset",
    "split_train_test",
]


# --8<-- [start:load_digits_images]
def load_digits_images(*, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 1,797 handwritten digits as 8x8 single-channel images.

    The data ship with scikit-learn, so no download is needed. Pixel values are counts from 0
    to 16 (each pixel summarises a 4x4 block of a 32x32 bitmap).

    Args:
        scale: whether to divide the pixels by 16 so they lie in [0, 1]. Defaults to `True`.

    Returns:
        A tuple `(images, labels)`: `images` is a float32 array of shape `(1797, 8, 8, 1)`
        (channels last, as Keras expects) and `labels` an int64 array of digits 0 to 9.

    Example:
        >>> images, labels = load_digits_images()
        >>> images.shape, images.dtype.name, labels.dtype.name
        ((1797, 8, 8, 1), 'float32', 'int64')

    See: docs/fundamentals/what-deep-means.md
    """
    digits = load_digits()
    images = digits.images.astype(np.float32)[..., np.newaxis]
    if scale:
        images /= 16.0
    labels = digits.target.astype(np.int64)
    return images, labels
    # --8<-- [end:load_digits_images]


def split_train_test(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split images and labels into training and test sets with the same class proportions.

    Args:
        images: the examples, first axis indexing them.
        labels: one class label per example.
        test_fraction: the share of examples to hold out for testing. Defaults to 0.25.
        seed: the seed of the random split; the same seed gives the same split.
            Defaults to 0.

    Returns:
        A tuple `(x_train, x_test, y_train, y_test)`.

    Raises:
        TypeError: if `test_fraction` is not a number or `seed` not an integer.
        ValueError: if `labels` is not as long as `images`, `test_fraction` is not strictly
            between 0 and 1, or `seed` is negative.

    Example:
        >>> images, labels = load_digits_images()
        >>> x_train, x_test, y_train, y_test = split_train_test(images, labels)
        >>> len(x_train), len(x_test)
        (1347, 450)

    See: docs/fundamentals/what-deep-means.md
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    check_same_length(images, "images", labels, "labels")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    seed = check_non_negative_int(seed, "seed")
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return x_train, x_test, y_train, y_test


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
) -> tf.data.Dataset:
    """Build a `tf.data` pipeline of (image, label) minibatches.

    The examples are shuffled (with a fresh order each epoch, the same sequence of orders for
    the same seed), batched, and prefetched so the next batch is ready while the model trains
    on the current one.

    When training on it, call `model.fit(dataset, shuffle=False, ...)`: the dataset already
    shuffles, and Keras 3 warns (a `UserWarning`) that its own `shuffle=True` default cannot
    apply to a `tf.data.Dataset`.

    Args:
        images: the examples, first axis indexing them.
        labels: one label per example.
        batch_size: examples per minibatch; the last one may be smaller.
        shuffle: whether to shuffle the examples. Defaults to `True`.
        seed: the shuffle seed. Defaults to 0.

    Returns:
        A `tf.data.Dataset` yielding `(images, labels)` batches.

    Raises:
        TypeError: if `batch_size` or `seed` is not an integer.
        ValueError: if `images` is empty, `labels` is not as long as `images`, `batch_size`
            is not positive or `seed` is negative.

    Example:
        >>> images, labels = load_digits_images()
        >>> dataset = make_dataset(images, labels, batch_size=32)
        >>> x, y = next(iter(dataset))
        >>> tuple(x.shape), tuple(y.shape)
        ((32, 8, 8, 1), (32,))

    See: docs/fundamentals/what-deep-means.md
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    check_same_length(images, "images", labels, "labels")
    if len(images) == 0:
        raise ValueError(
            f"`images` must hold at least one example. Received: images.shape={images.shape}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_non_negative_int(seed, "seed")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
