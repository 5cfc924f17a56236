"""Arrays in memory: scikit-learn's digits as images, a stratified split, and the
`tf.data` stages every source of examples ends in (`make_batches`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

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
    "make_batches",
    "make_dataset",
    "split_train_test",
    "split_train_val_test",
]


# --8<-- [start:load_digits_images]
def load_digits_images(
    *, scale: bool = True, flatten: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 1,797 handwritten digits as 8x8 single-channel images.

    The data ship with scikit-learn, so no download is needed. Pixel values are counts
    from 0 to 16 (each pixel summarises a 4x4 block of a 32x32 bitmap).

    Args:
        scale: whether to divide the pixels by 16 so they lie in [0,
            1]. Defaults to `True`.
        flatten: whether to give each image as one row of its 64 pixels, read row
            by row: the input of a dense network. Defaults to `False`.

    Returns:
        A tuple `(images, labels)`: `images` is a float32 array of shape
        `(1797, 8, 8, 1)` (channels last, as Keras expects), or `(1797, 64)` with
        `flatten=True`, and `labels` an int64 array of digits 0 to 9.

    Raises:
        TypeError: if `flatten` is not `True` or `False`.

    Examples:
        >>> images, labels = load_digits_images()
        >>> images.shape, images.dtype.name, labels.dtype.name
        ((1797, 8, 8, 1), 'float32', 'int64')
        >>> load_digits_images(flatten=True)[0].shape
        (1797, 64)

    See: [What "deep" means](../fundamentals/what-deep-means.md)
    """
    if not isinstance(flatten, bool):
        raise TypeError(
            f"`flatten` must be True or False. Received: flatten={flatten!r}"
        )
    digits = load_digits()
    images = digits.images.astype(np.float32)[..., np.newaxis]
    if scale:
        images /= 16.0
    if flatten:
        images = images.reshape(len(images), -1)
    labels = digits.target.astype(np.int64)
    return images, labels
    # --8<-- [end:load_digits_images]


def _check_stratifiable(
    labels: np.ndarray,
    test_fraction: float,
    name: str = "test_fraction",
    part: str = "testing",
) -> None:
    """Raise, naming our arguments, where scikit-learn's stratified split would fail.

    `name` is the argument that holds `test_fraction`, `part` what the split-off part is
    for."""
    # By rows, so one-hot labels count as the classes they encode, as
    # scikit-learn counts them.
    classes, counts = np.unique(labels, axis=0, return_counts=True)
    if len(classes) and np.min(counts) < 2:
        lonely = classes[counts < 2].tolist()
        raise ValueError(
            "`labels` must hold at least two examples of each class (a stratified "
            "split puts one in each part). Received: labels with one example of "
            f"class(es) {lonely[:10]}"
        )
    # scikit-learn's sizes: the test part rounds up, the training part takes the rest.
    test = int(np.ceil(test_fraction * len(labels)))
    train = len(labels) - test
    if min(test, train) < len(classes):
        raise ValueError(
            f"`{name}` must leave room for each of the {len(classes)} classes "
            f"in both parts. Received: {name}={test_fraction}, which splits "
            f"{len(labels)} examples into {train} for training and {test} for {part}"
        )


def split_train_test(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split images and labels into training and test sets
    with the same class proportions.

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
        ValueError: if `labels` is not as long as `images` or has a class with
            fewer than two examples, `test_fraction` is not strictly between 0 and
            1 or leaves a part too small to hold every class, or `seed` is
            negative or above 2**32 - 1.

    Examples:
        >>> images, labels = load_digits_images()
        >>> x_train, x_test, y_train, y_test = split_train_test(images, labels)
        >>> len(x_train), len(x_test)
        (1347, 450)

    See: [What "deep" means](../fundamentals/what-deep-means.md)
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    check_same_length(images, "images", labels, "labels")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    # scikit-learn seeds NumPy's legacy generator, which takes 32 bits.
    seed = check_non_negative_int(seed, "seed", maximum=2**32 - 1)
    _check_stratifiable(labels, test_fraction)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return x_train, x_test, y_train, y_test


def split_train_val_test(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    val_fraction: float = 0.25,
    test_fraction: float = 0.25,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split images and labels into training, validation and test sets with the same
    class proportions.

    `split_train_test` applied twice: the test set is set aside first, then the
    validation set is split off what remains, so `val_fraction` is a share of the
    examples left after the test set, not of all of them.

    Args:
        images: the examples, first axis indexing them.
        labels: one class label per example.
        val_fraction: the share of the examples left after the test set to hold out
            for validation. Defaults to 0.25.
        test_fraction: the share of all examples to hold out for testing. Defaults to
            0.25.
        seed: the seed of both random splits; the same seed gives the same split.
            Defaults to 0.

    Returns:
        A tuple `(x_train, x_val, x_test, y_train, y_val, y_test)`.

    Raises:
        TypeError: if `val_fraction` or `test_fraction` is not a number or `seed` not
            an integer.
        ValueError: if `labels` is not as long as `images` or has a class with fewer
            than two examples in a part to split, a fraction is not strictly between 0
            and 1 or leaves a part too small to hold every class, or `seed` is
            negative or above 2**32 - 1.

    Examples:
        >>> images, labels = load_digits_images()
        >>> parts = split_train_val_test(images, labels, val_fraction=0.3)
        >>> [len(x) for x in parts[:3]]
        [942, 405, 450]

    See: [Generalization](../fundamentals/generalization.md)
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    check_same_length(images, "images", labels, "labels")
    val_fraction = check_fraction(val_fraction, "val_fraction")
    x_rest, x_test, y_rest, y_test = split_train_test(
        images, labels, test_fraction=test_fraction, seed=seed
    )
    _check_stratifiable(y_rest, val_fraction, "val_fraction", "validation")
    x_train, x_val, y_train, y_val = split_train_test(
        x_rest, y_rest, test_fraction=val_fraction, seed=seed
    )
    return x_train, x_val, x_test, y_train, y_val, y_test


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None,
) -> tf.data.Dataset:
    """Build a `tf.data` pipeline of (image, label) minibatches.

    The examples are shuffled (with a fresh order each epoch, the same sequence of
    orders for the same seed), batched, optionally augmented, and prefetched so the next
    batch is ready while the model trains on the current one. The stages after the
    source are those of `make_batches`.

    When training on it, call `model.fit(dataset, shuffle=False, ...)`: the dataset
    already shuffles, and Keras 3 warns (a `UserWarning`) that its own `shuffle=True`
    default cannot apply to a `tf.data.Dataset`.

    Args:
        images: the examples, first axis indexing them.
        labels: one label per example.
        batch_size: examples per minibatch; the last one may be smaller.
        shuffle: whether to shuffle the examples. Defaults to `True`.
        seed: the shuffle seed. Defaults to 0.
        augment: a function applied to each batch of images (a Keras layer or
            `keras.Sequential` of random layers works), or `None`. Defaults to `None`.

    Returns:
        A `tf.data.Dataset` yielding `(images, labels)` batches.

    Raises:
        TypeError: if `batch_size` or `seed` is not an integer, or
            `augment` is not callable.
        ValueError: if `images` is empty, `labels` is not as long as `images`,
            `batch_size` is not positive or `seed` is negative.

    Examples:
        >>> images, labels = load_digits_images()
        >>> dataset = make_dataset(images, labels, batch_size=32)
        >>> x, y = next(iter(dataset))
        >>> tuple(x.shape), tuple(y.shape)
        ((32, 8, 8, 1), (32,))

    See: [Input pipelines](../vision/input-pipelines.md)
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    check_same_length(images, "images", labels, "labels")
    if len(images) == 0:
        raise ValueError(
            "`images` must hold at least one example. Received: "
            f"images.shape={images.shape}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_non_negative_int(seed, "seed")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    return make_batches(
        dataset, batch_size=batch_size, shuffle=shuffle, seed=seed, augment=augment
    )


def _check_augment(augment: object) -> None:
    if augment is not None and not callable(augment):
        raise TypeError(
            "`augment` must be a function of a batch of images, or None. "
            f"Received: augment={augment!r}"
        )


def _check_cache(cache: object) -> str | None:
    """The `cache()` file name for `cache` (`""` keeps it in
    memory), or `None` for no cache.
    """
    if isinstance(cache, bool | np.bool_):
        return "" if cache else None
    if isinstance(cache, str | os.PathLike) and os.fspath(cache):
        return os.fspath(cache)
    raise TypeError(
        "`cache` must be True, False or a file name for an on-disk cache. "
        f"Received: cache={cache!r}"
    )


# --8<-- [start:make_batches]
def make_batches(
    examples: tf.data.Dataset,
    *,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    shuffle_buffer: int | None = None,
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None,
    cache: bool | str | os.PathLike[str] = False,
    drop_remainder: bool = False,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Turn a dataset of single `(image, label)` examples into a training pipeline.

    The stages run in this order, each where it does the most good: `cache` (so what is
    cached is the expensive work before it, done once), `shuffle` (after the cache, or
    the first epoch's order would be cached too; before batching, so examples rather
    than whole batches change places), `batch`, `augment` (after the cache, so each
    epoch draws new random changes; on whole batches, which vectorises the work), and
    `prefetch` last, so the whole pipeline runs ahead of the model. Parallelism and the
    prefetch depth are left to tf.data's autotuner.

    Args:
        examples: a dataset of `(image, label)` pairs, not batched:
            `make_folder_dataset` builds one from a folder, `read_shards` from shards,
            `tf.data.Dataset.from_tensor_slices` from arrays.
        batch_size: examples per batch.
        shuffle: whether to shuffle the examples, with a fresh order each epoch.
            Defaults to `True`.
        seed: the shuffle seed; the same seed gives the same sequence of orders.
            Defaults to 0.
        shuffle_buffer: how many examples the shuffle draws from; the whole dataset
            gives a uniform shuffle. Defaults to `None` (the whole dataset, which must
            then have a known, finite length).
        augment: a function applied to each batch of images, labels untouched (a
            Keras layer or `keras.Sequential` of random layers works), or
            `None`. Defaults to `None`.
        cache: `True` to keep the examples in memory after the first epoch, a file name
            to keep them on disk, `False` not to cache. Defaults to `False`.
        drop_remainder: whether to drop a last, smaller batch. Defaults to `False`.
        deterministic: whether a run can be repeated exactly: `augment` then works on
            one batch at a time (its random layers draw from one shared generator, so
            calls in parallel would take their numbers in a different order each run);
            `False` runs it on several batches in parallel. Defaults to `True`.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches.

    Raises:
        TypeError: if `examples` is not a dataset, `batch_size`, `seed` or
            `shuffle_buffer` is not an integer, `augment` is not callable or `cache` is
            neither a bool nor a file name.
        ValueError: if `batch_size` or `shuffle_buffer` is not positive, `seed` is
            negative, or the whole dataset is to be shuffled but its length is
            unknown or infinite.

    Examples:
        >>> images, labels = load_digits_images()
        >>> examples = tf.data.Dataset.from_tensor_slices((images, labels))
        >>> batches = make_batches(examples, batch_size=100, cache=True)
        >>> [int(x.shape[0]) for x, _ in batches][-3:]
        [100, 100, 97]

    See: [Input pipelines](../vision/input-pipelines.md)
    """
    if not isinstance(examples, tf.data.Dataset):
        raise TypeError(
            "`examples` must be a tf.data.Dataset. Received: "
            f"examples={type(examples).__name__}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_non_negative_int(seed, "seed")
    _check_augment(augment)
    cache_file = _check_cache(cache)
    if shuffle and shuffle_buffer is None:
        length = int(examples.cardinality())
        if length < 0:
            raise ValueError(
                "`shuffle_buffer` must be given when the dataset's length is unknown "
                f"or infinite. Received: shuffle_buffer=None, cardinality={length}"
            )
        shuffle_buffer = max(length, 1)
    elif shuffle_buffer is not None:
        shuffle_buffer = check_positive_int(shuffle_buffer, "shuffle_buffer")

    if cache_file is not None:
        examples = examples.cache(cache_file)
    if shuffle and shuffle_buffer is not None:
        examples = examples.shuffle(
            shuffle_buffer, seed=seed, reshuffle_each_iteration=True
        )
    batches = examples.batch(batch_size, drop_remainder=drop_remainder)
    if augment is not None:
        # Random layers draw from one shared generator: calls running in parallel
        # would take its numbers in whatever order the threads happen to run, so
        # a run could not be repeated. Deterministic pipelines therefore augment
        # one batch at a time.
        def apply(images: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return augment(images), labels

        if deterministic:
            batches = batches.map(apply)
        else:
            batches = batches.map(
                apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False
            )
    return batches.prefetch(tf.data.AUTOTUNE)
    # --8<-- [end:make_batches]
