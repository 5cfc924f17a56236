"""Small image data sets that need no download, and the
input pipeline that feeds them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from dlcv._validation import (
    check_fraction,
    check_non_empty_str,
    check_non_negative_int,
    check_one_of,
    check_positive_int,
    check_same_length,
    check_value_range,
)

__all__ = [
    "ImageFolder",
    "ImageFolderError",
    "ImageIssue",
    "ShardError",
    "ShardProblem",
    "ShardReport",
    "check_shards",
    "load_digits_images",
    "make_batches",
    "make_dataset",
    "make_folder_dataset",
    "read_shards",
    "scan_image_folder",
    "split_train_test",
    "write_shards",
]


# --8<-- [start:load_digits_images]
def load_digits_images(*, scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's 1,797 handwritten digits as 8x8 single-channel images.

    The data ship with scikit-learn, so no download is needed. Pixel values are counts
    from 0 to 16 (each pixel summarises a 4x4 block of a 32x32 bitmap).

    Args:
        scale: whether to divide the pixels by 16 so they lie in [0,
            1]. Defaults to `True`.

    Returns:
        A tuple `(images, labels)`: `images` is a float32 array of shape
        `(1797, 8, 8, 1)` (channels last, as Keras expects) and `labels` an
        int64 array of digits 0 to 9.

    Examples:
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


def _check_stratifiable(labels: np.ndarray, test_fraction: float) -> None:
    """Raise, naming our arguments, where scikit-learn's stratified split would fail."""
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
            f"`test_fraction` must leave room for each of the {len(classes)} classes "
            f"in both parts. Received: test_fraction={test_fraction}, which splits "
            f"{len(labels)} examples into {train} for training and {test} for testing"
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

    See: docs/fundamentals/what-deep-means.md
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

    See: docs/fundamentals/what-deep-means.md
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

    See: docs/vision/input-pipelines.md
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


# Files read from disk
# ------------------------------------------------------------------------
#
# Only regular files are opened. A named pipe blocks its reader until something writes
# to it, for ever in a data folder, and a device such as /dev/zero never ends; both can
# hide behind an ordinary name or a symbolic link, so the test is on what a name
# resolves to, and again on what was opened, in case the name changed hands in between.

# Opening a named pipe for reading waits for a writer unless non-blocking; the flag
# changes nothing for the regular files that get past the checks.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class _Unusable(Exception):
    """A file that cannot be used; the message says why."""


def _check_regular(info: os.stat_result, max_bytes: int | None) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next(
            (kind for test, kind in _FILE_KINDS if test(info.st_mode)), "special"
        )
        raise _Unusable(f"not a regular file: it is {kind}, which is not read")
    if max_bytes is not None and info.st_size > max_bytes:
        raise _Unusable(
            f"too large: {info.st_size:,} bytes, more than the {max_bytes:,} bytes "
            "allowed a file (`max_file_bytes`)"
        )


def _open_regular(path: Path, *, max_bytes: int | None = None) -> BinaryIO:
    """Open `path` for reading if it resolves to a regular
    file of at most `max_bytes` bytes.

    Raises `_Unusable`, saying why, for anything else: a missing or unreadable file, a
    folder, a named pipe, a device, a socket, or a file over the size limit.
    """
    try:
        _check_regular(os.stat(path), max_bytes)
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise _Unusable(f"unreadable: {error.strerror or error}") from None
    file = os.fdopen(descriptor, "rb")
    try:
        _check_regular(os.fstat(descriptor), max_bytes)
    except BaseException:
        file.close()
        raise
    return file


def _read_regular(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of `path`, a regular file of at most
    `max_bytes` bytes, or `_Unusable`.
    """
    with _open_regular(path, max_bytes=max_bytes) as file:
        try:
            data = file.read(max_bytes + 1)  # one byte more tells a file that grew
        except OSError as error:
            raise _Unusable(f"unreadable: {error.strerror or error}") from None
    if len(data) > max_bytes:
        raise _Unusable(f"too large: more than the {max_bytes:,} bytes allowed a file")
    return data


def _display_name(path: Path | str) -> str:
    """`path` as printable text: bytes that are not UTF-8 in a
    name show as `\\xff` escapes.
    """
    return (
        os.fspath(path)
        .encode("utf-8", "surrogateescape")
        .decode("utf-8", "backslashreplace")
    )


# Sharded files on disk
# -----------------------------------------------------------------------
#
# Each record is a `tf.train.Example` holding the raw image bytes, their shape and
# dtype, the label, and the number of records in its file. The count costs a few bytes a
# record and is what lets a reader notice a file cut exactly between two records, which
# the TFRecord checksums cannot see.

_SHARD_DTYPES = ("float32", "uint8")
# Records checked, and parsed, per call: large enough that the per-call cost
# of TensorFlow fades.
_SCAN_BATCH = 1024
# Records parsed per call when reading: about this many bytes of images at once (so
# small images go thousands at a time, which halves the CPU time per image against 256
# at a time on 8x8 digits, and large ones a few dozen), within these bounds.
_PARSE_BYTES = 4 << 20
_PARSE_BATCH_RANGE = (16, 8192)


def _parse_batch(shape: tuple[int, ...], dtype: tf.dtypes.DType) -> int:
    """How many records `read_shards` parses per call for
    images of this shape and dtype.
    """
    image_bytes = max(1, int(np.prod(shape, dtype=np.int64)) * dtype.size)
    low, high = _PARSE_BATCH_RANGE
    return int(max(low, min(high, _PARSE_BYTES // image_bytes)))


def _int64_feature(values: Sequence[int]) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def write_shards(
    images: np.ndarray,
    labels: np.ndarray,
    directory: str | os.PathLike[str],
    *,
    examples_per_shard: int = 1000,
    prefix: str = "shard",
    overwrite: bool = False,
) -> list[Path]:
    """Write images and labels to TFRecord files of at most
    `examples_per_shard` examples each.

    Files are named `<prefix>-00000.tfrecord`, `<prefix>-00001.tfrecord`, ...
    in `directory` (created if needed). Each file is written under a temporary
    name and renamed when complete, so a crash never leaves a half-written file
    under a shard's name.

    Args:
        images: the examples, first axis indexing them; float32 or uint8.
        labels: one integer label per example.
        directory: the folder to write into.
        examples_per_shard: the most examples in one file. Defaults to 1000.
        prefix: the start of every file name. Defaults to `"shard"`.
        overwrite: whether to replace shards already in `directory` under the same
            prefix (stale shards beyond the new last one are deleted, so a later glob
            cannot mix two writes). Defaults to `False`.

    Returns:
        The paths of the files written, in order.

    Raises:
        TypeError: if `images` is neither float32 nor uint8, `labels` are not integers,
            or `examples_per_shard` is not an integer.
        ValueError: if `images` is empty or has no example axis, `labels` is not
            as long as `images`, `examples_per_shard` is not positive, or `prefix`
            is not a plain name.
        FileExistsError: if `directory` already holds shards with this prefix and
            `overwrite` is `False`.

    Examples:
        >>> import tempfile
        >>> images = np.zeros((5, 2, 2, 1), np.float32)
        >>> folder = tempfile.mkdtemp()
        >>> paths = write_shards(images, np.arange(5), folder, examples_per_shard=2)
        >>> [path.name for path in paths]
        ['shard-00000.tfrecord', 'shard-00001.tfrecord', 'shard-00002.tfrecord']

    See: docs/why-deep-learning/scalability.md
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype.name not in _SHARD_DTYPES:
        raise TypeError(
            "`images` must be a float32 or uint8 array. Received: "
            f"images.dtype={images.dtype}"
        )
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(
            "`images` must hold at least one example of rank 1 or more. "
            f"Received: images.shape={images.shape}"
        )
    if labels.ndim != 1 or (
        labels.size and not np.issubdtype(labels.dtype, np.integer)
    ):
        raise TypeError(
            "`labels` must be a rank-1 array of integers. "
            f"Received: labels.shape={labels.shape}, labels.dtype={labels.dtype}"
        )
    check_same_length(images, "images", labels, "labels")
    examples_per_shard = check_positive_int(examples_per_shard, "examples_per_shard")
    prefix = check_non_empty_str(prefix, "prefix")
    if (
        any(character in prefix for character in "/\\*?[]")
        or prefix.startswith(".")
        or not prefix.isprintable()
    ):
        raise ValueError(
            "`prefix` must be a plain file name start (no path separator, glob "
            "character, leading dot or control character such as a newline). Received: "
            f"prefix={prefix!r}"
        )
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob(f"{prefix}-*.tfrecord"))
    if existing and not overwrite:
        raise FileExistsError(
            f"`directory` must not already hold shards named {prefix}-*.tfrecord (pass "
            f"overwrite=True to replace them). Received: directory={str(folder)!r}, "
            f"which holds {len(existing)}"
        )

    shape = _int64_feature(images.shape[1:])
    dtype = _bytes_feature(images.dtype.name.encode())
    images = np.ascontiguousarray(images)
    paths = []
    for number, start in enumerate(range(0, len(images), examples_per_shard)):
        stop = min(start + examples_per_shard, len(images))
        count = _int64_feature([stop - start])
        path = folder / f"{prefix}-{number:05d}.tfrecord"
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        try:
            with tf.io.TFRecordWriter(str(temporary)) as writer:
                for index in range(start, stop):
                    example = tf.train.Example(
                        features=tf.train.Features(
                            feature={
                                "image": _bytes_feature(images[index].tobytes()),
                                "shape": shape,
                                "dtype": dtype,
                                "label": _int64_feature([int(labels[index])]),
                                "count": count,
                            }
                        )
                    )
                    writer.write(example.SerializeToString())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        paths.append(path)
    for stale in set(existing) - set(paths):
        stale.unlink()
    return paths


@dataclasses.dataclass(frozen=True)
class ShardProblem:
    """A bad record in a shard: the file is readable only up to it.

    Attributes:
        path: the file.
        record: the index (from 0) of the first record that cannot be used.
        reason: what is wrong with it.
        lost: how many records of the file are lost from `record` on (it and
            all after it), or `None` when no record of the file could be read
            to say how many it held.

    See: docs/why-deep-learning/scalability.md
    """

    path: Path
    record: int
    reason: str
    lost: int | None

    def __str__(self) -> str:
        return f"`{_display_name(self.path)}` record {self.record}: {self.reason}"


class ShardError(ValueError):
    """Raised when a shard holds a bad record; `problem` says which file and record.

    See: docs/why-deep-learning/scalability.md
    """

    def __init__(self, problem: ShardProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class ShardReport:
    """What `check_shards` found: how many records each file yields and what is wrong.

    Attributes:
        paths: the files checked, in order.
        readable: how many leading records of each file are sound (the ones
            `read_shards` yields).
        problems: one entry per file that is corrupt or truncated.
        image_shape: the shape of every image, or `None` when no record was readable.
        image_dtype: `"float32"` or `"uint8"`, or `None` when no record was readable.

    See: docs/why-deep-learning/scalability.md
    """

    paths: tuple[Path, ...]
    readable: tuple[int, ...]
    problems: tuple[ShardProblem, ...]
    image_shape: tuple[int, ...] | None
    image_dtype: str | None

    @property
    def records(self) -> int:
        """The number of sound records, summed over the files."""
        return sum(self.readable)

    @property
    def skipped(self) -> int:
        """The number of records known to be lost (see
        `ShardProblem.lost` for the unknown).
        """
        return sum(problem.lost or 0 for problem in self.problems)


def _shard_paths(
    pattern_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[Path]:
    if isinstance(pattern_or_paths, str | os.PathLike):
        pattern = os.fspath(pattern_or_paths)
        paths = [Path(path) for path in sorted(tf.io.gfile.glob(pattern))]
        if not paths:
            raise FileNotFoundError(
                "`pattern_or_paths` must match at least one file. "
                f"Received: pattern_or_paths={pattern!r}"
            )
        return paths
    paths = [Path(path) for path in pattern_or_paths]
    if not paths:
        raise ValueError(
            "`pattern_or_paths` must name at least one file. Received: "
            "pattern_or_paths=[]"
        )
    for path in paths:
        # Anything that exists is taken: `check_shards` reports a folder, a named pipe
        # or a device by name, as a file it cannot read.
        if not path.exists():
            raise FileNotFoundError(
                f"`pattern_or_paths` must name existing files. Received: {str(path)!r}"
            )
    return paths


# TFRecord framing: an 8-byte little-endian length, the masked CRC-32C of those 8 bytes,
# the data, and the masked CRC-32C of the data.
_HEADER_BYTES, _FOOTER_BYTES = 12, 4


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        value = byte
        for _ in range(8):
            value = (value >> 1) ^ (0x82F63B78 if value & 1 else 0)
        table.append(value)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def _masked_crc32c(data: bytes) -> int:
    """TFRecord's checksum: CRC-32C (Castagnoli), rotated and
    offset as TensorFlow masks it.
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _records_that_fit(path: Path) -> tuple[int, str | None]:
    """Count the records at the start of a shard whose declared length fits in the file.

    TensorFlow reserves a record's declared length in memory before it reads the
    record, so a damaged or hostile length such as 2**40 bytes kills the process
    with a segmentation fault that no `except` can catch. Walking the headers (12
    bytes a record, the data skipped) finds such a record first. Returns how many
    leading records TensorFlow may safely be asked for and, when the next one runs
    past the end of the file, why it cannot be read. Raises `_Unusable` if `path`
    is not a regular file.
    """
    with _open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        position = index = 0
        while position < size:
            file.seek(position)
            header = file.read(_HEADER_BYTES)
            if len(header) < _HEADER_BYTES:
                return (
                    index,
                    f"truncated record (byte {position}): the file ends inside it",
                )
            length = int.from_bytes(header[:8], "little")
            end = position + _HEADER_BYTES + length + _FOOTER_BYTES
            if end > size:
                if _masked_crc32c(header[:8]) != int.from_bytes(header[8:], "little"):
                    return index, (
                        f"corrupted record (byte {position}): its checksum does not "
                        "match its bytes"
                    )
                if length > size:
                    return index, (
                        f"corrupted record (byte {position}): its header declares "
                        f"{length:,} bytes, more than the whole file holds ({size:,} "
                        "bytes)"
                    )
                return (
                    index,
                    f"truncated record (byte {position}): the file ends inside it",
                )
            position, index = end, index + 1
    return index, None


class _Unreadable(Exception):
    def __init__(self, record: int, reason: str) -> None:
        super().__init__(reason)
        self.record = record
        self.reason = reason


def _raw_batches(path: Path) -> Iterator[tf.Tensor]:
    """Yield a file's serialized records as string tensors
    of up to `_SCAN_BATCH` records.

    Raises `_Unreadable` at the first broken record, after yielding every record before
    it, and at record 0 for a path that is not a regular file.
    """
    try:
        fit, beyond = _records_that_fit(path)
    except _Unusable as error:
        raise _Unreadable(0, str(error)) from None
    # TensorFlow never reads the header of a record past `take`'s count.
    records = tf.data.TFRecordDataset(os.fsencode(path)).take(fit)
    index = 0
    try:
        # Batches keep the scan fast; the record-by-record pass below
        # only runs after damage.
        for batch in records.batch(_SCAN_BATCH):
            yield batch
            index += int(batch.shape[0])
        if beyond is not None:
            raise _Unreadable(index, beyond)
        return
    except tf.errors.DataLossError:
        pass
    try:
        for batch in records.skip(index).batch(1):
            yield batch
            index += 1
    except tf.errors.DataLossError as error:
        offset = re.search(r"record at (\d+)", error.message)
        where = f" (byte {offset.group(1)})" if offset else ""
        if "truncated" in error.message:
            reason = f"truncated record{where}: the file ends inside it"
        else:
            reason = f"corrupted record{where}: its checksum does not match its bytes"
        raise _Unreadable(index, reason) from None
    raise _Unreadable(index, beyond or "the file changed while it was being read")


def _batch_is_sound(
    batch: tf.Tensor, reference: tuple[tuple[int, ...], str], declared: int
) -> bool:
    """Whether every record of `batch` passes `_check_record`,
    tested on all of them at once.

    A `False` answer only sends the batch through `_check_record` one record at a time,
    which finds the first bad record and says what is wrong with it.
    """
    shape, dtype = reference
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "shape": tf.io.FixedLenFeature([len(shape)], tf.int64),
        "dtype": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "count": tf.io.FixedLenFeature([], tf.int64),
    }
    try:
        parsed = tf.io.parse_example(batch, spec)
    # A record that is not an Example of this layout; TensorFlow quotes the record in
    # its message, and fails to decode that message when the record is not UTF-8.
    except (tf.errors.InvalidArgumentError, UnicodeDecodeError):
        return False
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    return bool(
        np.all(parsed["shape"].numpy() == np.array(shape, np.int64))
        and np.all(parsed["dtype"].numpy() == dtype.encode())
        and np.all(parsed["count"].numpy() == declared)
        and np.all(tf.strings.length(parsed["image"]).numpy() == size)
    )


def _check_record(
    raw: bytes, reference: tuple[tuple[int, ...], str] | None, declared: int | None
) -> tuple[tuple[int, ...], str, int]:
    """Return a record's (shape, dtype, count), raising
    `ValueError` if it is not sound.
    """
    try:
        features = tf.train.Example.FromString(raw).features.feature
    except Exception:  # protobuf's DecodeError is not importable under one stable name
        raise ValueError("not a tf.train.Example") from None
    names = ("image", "shape", "dtype", "label", "count")
    missing = [name for name in names if name not in features]
    if missing:
        raise ValueError(
            f"missing feature(s) {', '.join(missing)}: not written by write_shards"
        )
    shape = tuple(int(size) for size in features["shape"].int64_list.value)
    dtype_values = features["dtype"].bytes_list.value
    dtype = dtype_values[0].decode(errors="replace") if len(dtype_values) == 1 else ""
    counts = features["count"].int64_list.value
    if dtype not in _SHARD_DTYPES or len(counts) != 1 or counts[0] <= 0:
        raise ValueError("malformed dtype or count feature")
    if (
        len(features["label"].int64_list.value) != 1
        or len(features["image"].bytes_list.value) != 1
    ):
        raise ValueError("malformed label or image feature")
    size = len(features["image"].bytes_list.value[0])
    if (
        any(length <= 0 for length in shape)
        or size != int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    ):
        raise ValueError(f"{size} image bytes do not fit shape {shape} of {dtype}")
    if reference is not None and (shape, dtype) != reference:
        raise ValueError(
            f"image of shape {shape} and dtype {dtype} differs from the first record "
            f"read (shape {reference[0]}, dtype {reference[1]})"
        )
    if declared is not None and counts[0] != declared:
        raise ValueError(
            f"says its file holds {counts[0]} records, an earlier one says {declared}"
        )
    return shape, dtype, int(counts[0])


def check_shards(
    pattern_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> ShardReport:
    """Read every record of the shards once and report which
    files are corrupt or truncated.

    A file is sound up to its first bad record: a record whose checksum fails (flipped
    bytes), one cut off by the end of the file, one that is not what `write_shards`
    writes, or a file that ends between two records before the count its records
    declare. TFRecord files carry no index, so nothing after a broken record can be
    located: the rest of that file counts as lost. Every record's declared length is
    compared with the file's size before TensorFlow reads the record, so a damaged
    length cannot make it reserve terabytes. Only regular files are read: a folder,
    named pipe, device or socket that the pattern matches is reported as a problem, by
    name, without being opened.

    Args:
        pattern_or_paths: a glob pattern (`"data/shard-*.tfrecord"`, matches sorted by
            name) or a list of files, read in the order given.

    Returns:
        A `ShardReport`.

    Raises:
        FileNotFoundError: if the pattern matches nothing or a listed
            file does not exist.
        ValueError: if the list is empty.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> _ = write_shards(np.zeros((5, 2, 2), np.uint8), np.arange(5), folder,
        ...                  examples_per_shard=2)
        >>> report = check_shards(f"{folder}/shard-*.tfrecord")
        >>> report.readable, report.skipped, report.image_shape
        ((2, 2, 1), 0, (2, 2))

    See: docs/why-deep-learning/scalability.md
    """
    paths = _shard_paths(pattern_or_paths)
    readable: list[int] = []
    problems: list[ShardProblem] = []
    reference: tuple[tuple[int, ...], str] | None = None
    for path in paths:
        count = 0
        declared: int | None = None
        problem: ShardProblem | None = None
        try:
            for batch in _raw_batches(path):
                size, checked = int(batch.shape[0]), 0
                while checked < size and problem is None:
                    # A file's first record is checked alone: it sets the count that the
                    # whole-batch test then asks of every other record of the file.
                    if (
                        reference is not None
                        and declared is not None
                        and _batch_is_sound(batch[checked:], reference, declared)
                    ):
                        count += size - checked
                        break
                    slow = (
                        batch[checked:]
                        if declared is not None
                        else batch[checked : checked + 1]
                    )
                    for raw in slow.numpy():
                        try:
                            shape, dtype, declared = _check_record(
                                raw, reference, declared
                            )
                        except ValueError as error:
                            lost = (
                                None if declared is None else max(declared - count, 1)
                            )
                            problem = ShardProblem(path, count, str(error), lost)
                            break
                        reference = reference or (shape, dtype)
                        count += 1
                    checked += int(slow.shape[0])
                if problem is not None:
                    break
        except _Unreadable as error:
            lost = None if declared is None else max(declared - count, 1)
            problem = ShardProblem(path, error.record, error.reason, lost)
        if problem is None and declared is not None and count < declared:
            reason = (
                f"the file ends after {count} records, but its records say it holds "
                f"{declared} (cut off between two records)"
            )
            problem = ShardProblem(path, count, reason, declared - count)
        elif problem is None and declared is not None and count > declared:
            reason = (
                f"the file holds {count} records, more than the {declared} they declare"
            )
            problem = ShardProblem(path, declared, reason, count - declared)
            count = declared
        elif problem is None and count == 0:
            problem = ShardProblem(path, 0, "the file holds no records", None)
        if problem is not None:
            problems.append(problem)
        readable.append(count)
    return ShardReport(
        paths=tuple(paths),
        readable=tuple(readable),
        problems=tuple(problems),
        image_shape=None if reference is None else reference[0],
        image_dtype=None if reference is None else reference[1],
    )


def _check_unchanged(kept: Sequence[tuple[Path, int]]) -> None:
    """Raise `ShardError` if a file no longer holds the sound
    records an earlier check counted.

    Only the record headers are read, so this costs little, and it keeps a file that was
    replaced since the check from reaching TensorFlow with a length that would crash it.
    """
    for path, count in kept:
        try:
            fit, _ = _records_that_fit(path)
        except _Unusable as error:
            raise ShardError(ShardProblem(path, 0, str(error), count)) from None
        if fit < count:
            reason = (
                f"the file changed since `report` was made: only {fit} of the {count} "
                "records it counted are still there"
            )
            raise ShardError(ShardProblem(path, fit, reason, count - fit))


def read_shards(
    pattern_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    on_error: str = "raise",
    report: ShardReport | None = None,
    parallel_reads: int | None = None,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Read shards written by `write_shards` as a dataset of
    single `(image, label)` examples.

    The files are first checked with `check_shards` (one extra pass over the data; pass
    the `report` of an earlier check to skip it). The dataset then reads several files
    at once and interleaves blocks of their records (about 4 MiB of images each, between
    16 and 8,192 records, fewer at a file's end), one block from each file in turn, so
    shuffle further when training. Images keep the dtype they were written with and have
    a static shape; labels are int64 scalars. The dataset knows its length.

    Args:
        pattern_or_paths: a glob pattern (matches sorted by name) or a list of files.
        on_error: what to do with a corrupt or truncated file: `"raise"` a `ShardError`
            naming the file and the record, or `"skip"` the bad record and the rest of
            its file (the report's `skipped` says how many records that drops).
            Defaults to `"raise"`.
        report: the result of `check_shards` on the same files, to avoid reading them
            twice. Defaults to `None` (check them now).
        parallel_reads: how many files to read at once; `1` yields the examples in the
            order they were written. Defaults to `None` (let tf.data tune it).
        deterministic: whether the interleaved order is the same on every run;
            `False` lets a slow file fall behind instead of stalling the
            others. Defaults to `True`.

    Returns:
        A `tf.data.Dataset` of `(image, label)` pairs, not batched.

    Raises:
        ShardError: if `on_error="raise"` and a file is corrupt or truncated, if
            no record at all is readable, or if a file no longer holds the
            records `report` counted.
        FileNotFoundError: if the pattern matches nothing or a listed
            file does not exist.
        TypeError: if `parallel_reads` is not an integer.
        ValueError: if `on_error` is not `"raise"` or `"skip"`, `parallel_reads` is not
            positive, or `report` describes other files.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> images = np.arange(20, dtype=np.float32).reshape(5, 2, 2)
        >>> _ = write_shards(images, np.arange(5), folder, examples_per_shard=2)
        >>> dataset = read_shards(f"{folder}/shard-*.tfrecord", parallel_reads=1)
        >>> dataset.element_spec[0]
        TensorSpec(shape=(2, 2), dtype=tf.float32, name=None)
        >>> [int(label) for _, label in dataset]
        [0, 1, 2, 3, 4]

    See: docs/why-deep-learning/scalability.md
    """
    on_error = check_one_of(on_error, "on_error", ("raise", "skip"))
    if parallel_reads is not None:
        parallel_reads = check_positive_int(parallel_reads, "parallel_reads")
    paths = _shard_paths(pattern_or_paths)
    checked_earlier = report is not None
    if report is None:
        report = check_shards(paths)
    elif list(report.paths) != paths:
        raise ValueError(
            "`report` must describe the files read, in the same order. "
            f"Received: report.paths={[str(path) for path in report.paths]}"
        )
    if report.problems and on_error == "raise":
        raise ShardError(report.problems[0])
    if report.image_shape is None or report.image_dtype is None or report.records == 0:
        raise ShardError(
            ShardProblem(paths[0], 0, "no readable record in any of the files", None)
        )
    shape, dtype = report.image_shape, tf.dtypes.as_dtype(report.image_dtype)
    kept = [
        (path, count)
        for path, count in zip(paths, report.readable, strict=True)
        if count
    ]
    if checked_earlier:
        _check_unchanged(kept)
    files = tf.data.Dataset.from_tensor_slices(
        (
            [os.fsencode(path) for path, _ in kept],
            np.array([count for _, count in kept], np.int64),
        )
    )
    features = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
    }

    parse_batch = _parse_batch(shape, dtype)

    def parse(raw: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        examples = tf.io.parse_example(raw, features)
        images = tf.reshape(tf.io.decode_raw(examples["image"], dtype), (-1, *shape))
        return images, examples["label"]

    def read(path: tf.Tensor, count: tf.Tensor) -> tf.data.Dataset:
        # Only each file's sound records, so a damaged tail stays out of the pipeline (a
        # file damaged after the check still fails loudly, with TensorFlow's
        # DataLossError). Parsing a block of records in one call costs far less per
        # record than one call each.
        return tf.data.TFRecordDataset(path).take(count).batch(parse_batch).map(parse)

    blocks = files.interleave(
        read,
        cycle_length=parallel_reads or tf.data.AUTOTUNE,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    # The stated length lets a training loop know how many steps an epoch has.
    return blocks.unbatch().apply(
        tf.data.experimental.assert_cardinality(sum(count for _, count in kept))
    )


# Folders of image files
# ----------------------------------------------------------------------
#
# A folder holds one subfolder per class. Scanning it finds every file that cannot
# become a correctly labelled RGB image and says why, before anything trains: first by
# reading each file's bytes (the format from its magic bytes, not its extension; the
# structure of JPEG, PNG, GIF, BMP and WebP files, which finds cut-off and corrupted
# files without a decoder, and quietly, where TensorFlow's JPEG decoder writes to
# stderr), then by decoding every file once with the very function the pipeline uses, so
# no file that passed can fail in training.

_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp")
# Each file is read whole into memory; the cap keeps one huge (or endless) file from
# taking it all. A 100-megapixel photograph is a few tens of MiB as a JPEG.
_MAX_IMAGE_BYTES = 64 << 20
# How a file is decoded, set by its header: TensorFlow 2.21 decodes 16-bit
# PNGs to 8 bits unless asked for uint16, and refuses `channels=3` for a WebP
# with an alpha channel.
_DECODE_8BIT, _DECODE_16BIT, _DECODE_DROP_ALPHA = 0, 1, 2
_INTERPOLATIONS = (
    "bilinear",
    "nearest",
    "area",
    "bicubic",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
# Filters with negative lobes overshoot [0, 1] near edges; the pipeline
# clips what they give.
_OVERSHOOTING = frozenset({"bicubic", "lanczos3", "lanczos5", "mitchellcubic"})
_ALPHA_NOTE = (
    "alpha channel dropped (the colours stored under transparent pixels are kept, "
    "not blended with a background)"
)
_GRAY_NOTE = "grayscale: its one channel is copied to red, green and blue"


@dataclasses.dataclass(frozen=True)
class ImageIssue:
    """A file of an image folder that is converted on the way in, skipped or ignored.

    Attributes:
        path: the file (or hidden folder).
        action: `"converted"` (used, after the change `reason` describes), `"skipped"`
            (left out: it cannot be a correctly labelled image) or `"ignored"` (a hidden
            file or folder, such as `.DS_Store`, left out without counting as an error).
        reason: what is special about the file and what is done about it.

    See: docs/vision/input-pipelines.md
    """

    path: Path
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.action} `{_display_name(self.path)}`: {self.reason}"


@dataclasses.dataclass(frozen=True)
class ImageFolder:
    """What `scan_image_folder` found: the classes, each
    usable file's label, and the issues.

    Attributes:
        directory: the folder scanned.
        class_names: the class of each label, in label order (the subfolder names,
            sorted, unless `class_names` was given to the scan).
        paths: the files the pipeline uses, by class folder (sorted by
            name), then by name.
        labels: the label of each of `paths`.
        issues: every file converted, skipped or ignored, with the reason.
        decoders: how each of `paths` is decoded (internal codes, set from its header).

    See: docs/vision/input-pipelines.md
    """

    directory: Path
    class_names: tuple[str, ...]
    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    issues: tuple[ImageIssue, ...]
    decoders: tuple[int, ...] = dataclasses.field(repr=False)

    @property
    def converted(self) -> tuple[ImageIssue, ...]:
        """The files used after a conversion (grayscale, alpha, CMYK, 16-bit ...)."""
        return tuple(issue for issue in self.issues if issue.action == "converted")

    @property
    def skipped(self) -> tuple[ImageIssue, ...]:
        """The files left out because they cannot be a correctly labelled image."""
        return tuple(issue for issue in self.issues if issue.action == "skipped")

    @property
    def ignored(self) -> tuple[ImageIssue, ...]:
        """The hidden files and folders left out."""
        return tuple(issue for issue in self.issues if issue.action == "ignored")

    @property
    def counts(self) -> tuple[int, ...]:
        """How many usable images each class has, in label order."""
        counts = [0] * len(self.class_names)
        for label in self.labels:
            counts[label] += 1
        return tuple(counts)

    def name(self, path: Path) -> str:
        """`path` relative to the folder scanned, as the report prints it."""
        try:
            return _display_name(path.relative_to(self.directory).as_posix())
        except ValueError:
            return _display_name(path)

    def summary(self) -> str:
        """A readable report: the classes with their labels
        and counts, then every issue.
        """
        lines = [
            f"{_display_name(self.directory.name)}/: {len(self.class_names)} classes, "
            f"{len(self.paths)} images to use ({len(self.converted)} converted), "
            f"{len(self.skipped)} files skipped, "
            f"{len(self.ignored)} ignored"
        ]
        for label, (class_name, count) in enumerate(
            zip(self.class_names, self.counts, strict=True)
        ):
            lines.append(
                f"  label {label}: {_display_name(class_name)!r}, {count} images"
            )
        for action in ("converted", "skipped", "ignored"):
            chosen = [issue for issue in self.issues if issue.action == action]
            if chosen:
                lines.append(f"{action}:")
                lines.extend(
                    f"  {self.name(issue.path)}: {issue.reason}" for issue in chosen
                )
        return "\n".join(lines)


class ImageFolderError(ValueError):
    """Raised when an image folder holds files that cannot be used; `report` lists them.

    See: docs/vision/input-pipelines.md
    """

    def __init__(self, report: ImageFolder) -> None:
        bad = report.skipped
        listing = "\n".join(
            f"  {report.name(issue.path)}: {issue.reason}" for issue in bad
        )
        super().__init__(
            f"{len(bad)} file(s) in `{_display_name(report.directory.name)}/` cannot "
            'be used as labelled images (fix or remove them, or pass on_error="skip" '
            f"to leave them out):\n{listing}"
        )
        self.report = report


def _inspect_jpeg(data: bytes) -> tuple[int, list[str]]:
    """Walk a JPEG's header segments to its first scan and check that the file ends."""
    size, position, components = len(data), 2, 0
    while True:
        if position >= size:
            raise _Unusable("truncated: the file ends inside the JPEG header")
        if data[position] != 0xFF:
            raise _Unusable(
                f"corrupt: no JPEG marker where one must be (byte {position})"
            )
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            raise _Unusable("truncated: the file ends inside the JPEG header")
        marker = data[position]
        position += 1
        if marker == 0xD9:
            raise _Unusable("corrupt: the JPEG ends before any image data")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if position + 2 > size:
            raise _Unusable("truncated: the file ends inside the JPEG header")
        length = int.from_bytes(data[position : position + 2], "big")
        if length < 2:
            raise _Unusable(f"corrupt: a JPEG segment of impossible length {length}")
        if position + length > size:
            raise _Unusable("truncated: the file ends inside the JPEG header")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and length >= 8:
            components = data[position + 7]
        if marker == 0xDA:  # start of scan: compressed data follows
            if not components:
                raise _Unusable("corrupt: JPEG image data before the frame header")
            # Compressed data cannot hold FF D9 (an FF there is followed by 00 or
            # D0-D7), so a file without it after the first scan was cut off.
            if data.find(b"\xff\xd9", position + length) < 0:
                raise _Unusable(
                    "truncated: the JPEG has no end-of-image marker (the file was cut "
                    "off)"
                )
            break
        position += length
    notes = {
        1: [_GRAY_NOTE],
        4: ["CMYK JPEG: converted to RGB by TensorFlow's decoder"],
    }
    return _DECODE_8BIT, notes.get(components, [])


def _inspect_png(data: bytes) -> tuple[int, list[str]]:
    """Walk a PNG's chunks, checking each one's CRC, and read
    its bit depth and colour type.
    """
    view, size, position = memoryview(data), len(data), 8
    bit_depth, colour_type, transparency = 0, -1, False
    while True:
        if position + 8 > size:
            raise _Unusable("truncated: the PNG ends before its IEND chunk")
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8].decode("latin-1")
        end = position + 12 + length
        if end > size:
            raise _Unusable(f"truncated: the file ends inside the PNG's {kind!r} chunk")
        stored = int.from_bytes(data[end - 4 : end], "big")
        if zlib.crc32(view[position + 4 : end - 4]) != stored:
            raise _Unusable(
                f"corrupt: the PNG's {kind!r} chunk fails its CRC check (byte "
                f"{position})"
            )
        if position == 8:
            if kind != "IHDR" or length != 13:
                raise _Unusable("corrupt: the PNG does not start with an IHDR chunk")
            bit_depth, colour_type = data[position + 16], data[position + 17]
        if kind == "tRNS":
            transparency = True
        if kind == "IEND":
            break
        position = end
    notes = []
    if colour_type in (0, 4):
        notes.append(_GRAY_NOTE)
    if colour_type in (4, 6):
        notes.append(_ALPHA_NOTE)
    elif transparency:
        notes.append(_ALPHA_NOTE.replace("alpha channel", "transparency (tRNS chunk)"))
    if bit_depth == 16:
        notes.append("16-bit: decoded with all 16 bits, 65535 being white")
        return _DECODE_16BIT, notes
    return _DECODE_8BIT, notes


def _skip_gif_blocks(data: bytes, position: int) -> int:
    """Return the position after a chain of GIF data
    sub-blocks starting at `position`.
    """
    while True:
        if position >= len(data):
            raise _Unusable("truncated: the file ends inside GIF image data")
        length = data[position]
        position += 1 + length
        if length == 0:
            return position


def _inspect_gif(data: bytes) -> tuple[int, list[str]]:
    """Walk a GIF's blocks to its trailer, counting the frames."""
    if len(data) < 13:
        raise _Unusable("truncated: the file ends inside the GIF header")
    position = 13
    if data[10] & 0x80:  # global colour table
        position += 3 * 2 ** ((data[10] & 0x07) + 1)
    frames = 0
    while True:
        if position >= len(data):
            raise _Unusable("truncated: the GIF has no trailer (the file was cut off)")
        block = data[position]
        if block == 0x3B:
            break
        if block == 0x21:  # extension: label, then sub-blocks
            position = _skip_gif_blocks(data, position + 2)
        elif (
            block == 0x2C
        ):  # image: descriptor, local colour table, code size, sub-blocks
            if position + 10 > len(data):
                raise _Unusable(
                    "truncated: the file ends inside a GIF image descriptor"
                )
            flags = data[position + 9]
            position += 10 + (3 * 2 ** ((flags & 0x07) + 1) if flags & 0x80 else 0)
            position = _skip_gif_blocks(data, position + 1)
            frames += 1
        else:
            raise _Unusable(
                f"corrupt: unknown GIF block {block:#04x} at byte {position}"
            )
    if frames == 0:
        raise _Unusable("corrupt: the GIF holds no image")
    return _DECODE_8BIT, [
        "animated GIF: only its first frame is used"
    ] if frames > 1 else []


def _inspect_bmp(data: bytes) -> tuple[int, list[str]]:
    if len(data) < 30 or len(data) < int.from_bytes(data[2:6], "little"):
        raise _Unusable("truncated: the BMP is shorter than its header says")
    bits = int.from_bytes(data[28:30], "little")
    return _DECODE_8BIT, [
        "32-bit BMP: its fourth (alpha) channel is dropped"
    ] if bits == 32 else []


def _inspect_webp(data: bytes) -> tuple[int, list[str]]:
    if len(data) < 30 or len(data) < int.from_bytes(data[4:8], "little") + 8:
        raise _Unusable("truncated: the WebP is shorter than its header says")
    chunk = data[12:16]
    if chunk == b"VP8X":
        alpha = bool(data[20] & 0x10)
    elif chunk == b"VP8L":
        alpha = bool((int.from_bytes(data[21:25], "little") >> 28) & 1)
    else:
        alpha = False
    return (_DECODE_DROP_ALPHA, [_ALPHA_NOTE]) if alpha else (_DECODE_8BIT, [])


def _inspect_file(path: Path, max_bytes: int) -> tuple[int, list[str]]:
    """Return how to decode an image file and what conversions it
    needs, or raise `_Unusable`.
    """
    data = _read_regular(path, max_bytes=max_bytes)
    if not data:
        raise _Unusable("empty file (0 bytes)")
    if data.startswith(b"\xff\xd8\xff"):
        return _inspect_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _inspect_png(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _inspect_gif(data)
    if data.startswith(b"BM"):
        return _inspect_bmp(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _inspect_webp(data)
    if data.startswith((b"II*\x00", b"MM\x00*")):
        raise _Unusable("TIFF image: a format TensorFlow does not decode")
    start = data[:16]
    if all(32 <= byte < 127 or byte in b"\t\n\r" for byte in start):
        raise _Unusable(f"not an image: it starts with the text {start.decode()!r}")
    raise _Unusable(
        f"not an image: its first bytes ({start[:8].hex(' ')}) match no image format"
    )


def _decode(
    contents: tf.Tensor,
    decoder: tf.Tensor | int,
    finish: Callable[[tf.Tensor, int], tf.Tensor],
) -> tf.Tensor:
    """Decode one image file's bytes to RGB and return `finish(image, peak)`.

    `image` is uint8, or uint16 for 16-bit PNGs, and `peak` its largest possible
    value (255 or 65535). `decoder` is a file's code from the scan: a tensor picks
    the branch per image; a Python int, when the whole folder decodes one way,
    builds that branch alone.
    """

    def eight_bit() -> tf.Tensor:
        image = tf.io.decode_image(contents, channels=3, expand_animations=False)
        return finish(image, 255)

    def sixteen_bit() -> tf.Tensor:
        return finish(tf.io.decode_png(contents, channels=3, dtype=tf.uint16), 65535)

    def drop_alpha() -> tf.Tensor:
        image = tf.io.decode_image(contents, channels=4, expand_animations=False)
        return finish(image[..., :3], 255)

    branches = [eight_bit, sixteen_bit, drop_alpha]
    if isinstance(decoder, int):
        return branches[decoder]()
    return tf.switch_case(decoder, branches)


def _tensorflow_reason(error: tf.errors.OpError) -> str:
    """TensorFlow's error message without the op and function names around it."""
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", error.message)
    return re.sub(r"\s*\[Op:\w+\]\s*$", "", message).strip()


def _image_shape(image: tf.Tensor, peak: int) -> tf.Tensor:
    del peak
    return tf.shape(image)


def _undecodable(paths: Sequence[Path], decoders: Sequence[int]) -> dict[int, str]:
    """Decode every file once, in parallel, and return why
    each failure failed, by index.
    """
    if not paths:
        return {}
    files = tf.data.Dataset.from_tensor_slices(
        (
            np.arange(len(paths)),
            [os.fsencode(path) for path in paths],
            np.asarray(decoders, np.int32),
        )
    )

    def check(
        index: tf.Tensor, path: tf.Tensor, decoder: tf.Tensor
    ) -> tuple[tf.Tensor, ...]:
        # The shape depends on the decoded image, so the decode cannot be pruned away.
        return index, _decode(tf.io.read_file(path), decoder, _image_shape)

    decoded = files.map(check, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    good = np.zeros(len(paths), bool)
    # A failing file drops out here; it is decoded again below, alone, to learn why.
    for indices, _ in decoded.ignore_errors().batch(1024).as_numpy_iterator():
        good[indices] = True
    reasons = {}
    for index in (int(index) for index in np.flatnonzero(~good)):
        contents = tf.io.read_file(os.fsencode(paths[index]))
        try:
            _decode(contents, decoders[index], _image_shape)
        except tf.errors.OpError as error:
            reasons[index] = f"cannot be decoded: {_tensorflow_reason(error)}"
        else:
            reasons[index] = "cannot be decoded reliably (it failed once, then decoded)"
    return reasons


def _check_names(value: object, name: str) -> tuple[str, ...]:
    message = (
        f"`{name}` must be a list of distinct, non-empty strings. Received: "
        f"{name}={value!r}"
    )
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(message)
    names = tuple(value)
    if not all(isinstance(item, str) for item in names):
        raise TypeError(message)
    if not all(item.strip() for item in names) or len(set(names)) != len(names):
        raise ValueError(message)
    return names


def _entries(folder: Path) -> list[Path]:
    """The entries of `folder`, sorted by name; raises
    `OSError` if it cannot be listed.
    """
    with os.scandir(folder) as listing:
        return sorted(
            (Path(entry.path) for entry in listing), key=lambda path: path.name
        )


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _nested_issues(folder: Path, class_name: str) -> list[ImageIssue]:
    """Report each file below a folder nested inside a class
    folder (not used: no label).
    """
    issues = []
    for root, folders, files in os.walk(folder):
        hidden = sorted(name for name in folders if name.startswith("."))
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in hidden:
            issues.append(ImageIssue(Path(root, name), "ignored", "hidden folder"))
        for name in sorted(files):
            path = Path(root, name)
            if _is_hidden(path):
                issues.append(ImageIssue(path, "ignored", "hidden file"))
            else:
                reason = (
                    f"in a folder nested inside class folder {class_name!r}: only "
                    "files directly in a class folder are labelled"
                )
                issues.append(ImageIssue(path, "skipped", reason))
    return issues


def scan_image_folder(
    directory: str | os.PathLike[str],
    *,
    class_names: Sequence[str] | None = None,
    extensions: Sequence[str] = _IMAGE_EXTENSIONS,
    verify: bool = True,
    max_file_bytes: int = _MAX_IMAGE_BYTES,
) -> ImageFolder:
    """Find the classes and images of a folder, and every file that needs care, by name.

    `directory` holds one subfolder per class; the files directly in a class folder are
    its images. Each file is read once and recognised by its content (its magic bytes),
    not its extension. Only regular files are read (a symbolic link counts as what it
    points to): a named pipe, a device such as `/dev/zero`, a socket, or a file over
    `max_file_bytes` is skipped by name, unread, and so is a class folder that cannot be
    listed. Files that are empty, not images, cut off or corrupted are skipped: the scan
    walks the structure of JPEG (segments up to the end-of-image marker), PNG (every
    chunk's CRC), GIF (blocks up to the trailer), BMP and WebP (declared sizes). With
    `verify`, each remaining file is then decoded once, in parallel, by the same
    function the pipeline uses, and a file TensorFlow cannot decode is skipped too: this
    costs about one epoch of decoding, and guarantees that no file fails later, in
    training. Files that can be used after a change are reported as converted: grayscale
    (copied to three channels), an alpha channel or transparency (dropped), CMYK JPEG
    (converted to RGB), 16-bit PNG (decoded with all 16 bits), an animated GIF (its
    first frame). Files directly in `directory` and files in folders nested inside a
    class folder have no label and are skipped; hidden files and folders (names starting
    with ".") are listed as ignored.

    Damage inside a JPEG's compressed data that leaves its structure intact decodes,
    with wrong pixels and a warning from libjpeg on stderr: no check short of comparing
    pixels can tell, since JPEG files carry no checksum.

    Args:
        directory: the folder of class folders.
        class_names: the classes, in label order. Defaults to `None` (the subfolders'
            names, sorted). Give the training folder's `class_names` when scanning a
            validation folder, so the same class gets the same label even if a folder is
            missing; files in a folder not named here are skipped.
        extensions: the file name endings (any case) of the files to consider; files
            with other endings are skipped without being read. Defaults to `.bmp`,
            `.gif`, `.jpeg`, `.jpg`, `.png` and `.webp`, the formats TensorFlow decodes.
        verify: whether to decode every file once to be sure it
            decodes. Defaults to `True`.
        max_file_bytes: the largest file read, in bytes; a larger one is
            skipped unread. Defaults to 64 MiB (67,108,864), far above any
            photograph a network trains on.

    Returns:
        An `ImageFolder`; its `summary()` is a readable report.

    Raises:
        FileNotFoundError: if `directory` does not exist.
        NotADirectoryError: if `directory` is not a folder.
        TypeError: if `class_names` or `extensions` is not a list of strings, or
            `max_file_bytes` is not an integer.
        ValueError: if `class_names` holds repeats or empty names, an extension does not
            start with a dot, or `max_file_bytes` is not positive.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "cats").mkdir()
        >>> Image.new("L", (8, 8)).save(folder / "cats" / "gray.png")
        >>> (folder / "cats" / "empty.jpg").touch()
        >>> print(scan_image_folder(folder).summary().split("\\n", 1)[1])
          label 0: 'cats', 1 images
        converted:
          cats/gray.png: grayscale: its one channel is copied to red, green and blue
        skipped:
          cats/empty.jpg: empty file (0 bytes)

    See: docs/vision/input-pipelines.md
    """
    folder = Path(directory)
    if not folder.exists():
        raise FileNotFoundError(
            "`directory` must be an existing folder. Received: "
            f"directory={str(folder)!r}"
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            "`directory` must be a folder, not a file. Received: "
            f"directory={str(folder)!r}"
        )
    max_file_bytes = check_positive_int(max_file_bytes, "max_file_bytes")
    endings = _check_names(extensions, "extensions")
    if not all(ending.startswith(".") for ending in endings):
        raise ValueError(
            "`extensions` must be file endings that start with a dot. Received: "
            f"{endings!r}"
        )
    endings = tuple(ending.lower() for ending in endings)
    given = None if class_names is None else _check_names(class_names, "class_names")

    issues: list[ImageIssue] = []
    subfolders = []
    for entry in _entries(folder):
        if _is_hidden(entry):
            kind = "folder" if entry.is_dir() else "file"
            issues.append(ImageIssue(entry, "ignored", f"hidden {kind}"))
        elif entry.is_dir():
            subfolders.append(entry)
        else:
            reason = (
                "not in a class folder: a file directly in the top folder has no label"
            )
            issues.append(ImageIssue(entry, "skipped", reason))
    names = given if given is not None else tuple(entry.name for entry in subfolders)
    label_of = {name: label for label, name in enumerate(names)}

    candidates: list[tuple[Path, int]] = []
    for subfolder in subfolders:
        label = label_of.get(subfolder.name)
        try:
            entries = _entries(subfolder)
        except OSError as error:
            reason = (
                f"unreadable folder ({error.strerror or error}): "
                "none of its files is read"
            )
            issues.append(ImageIssue(subfolder, "skipped", reason))
            continue
        for entry in entries:
            if _is_hidden(entry):
                kind = "folder" if entry.is_dir() else "file"
                issues.append(ImageIssue(entry, "ignored", f"hidden {kind}"))
            elif entry.is_dir():
                issues.extend(_nested_issues(entry, subfolder.name))
            elif label is None:
                reason = f"its folder {subfolder.name!r} is not one of `class_names`"
                issues.append(ImageIssue(entry, "skipped", reason))
            elif entry.suffix.lower() not in endings:
                ending = repr(entry.suffix) if entry.suffix else "no extension"
                reason = (
                    f"not an image file name: {ending} is not one of "
                    f"{', '.join(endings)}"
                )
                issues.append(ImageIssue(entry, "skipped", reason))
            else:
                candidates.append((entry, label))

    def inspect(path: Path) -> tuple[int, list[str]] | str:
        try:
            return _inspect_file(path, max_file_bytes)
        except _Unusable as problem:
            return str(problem)

    # Reading files releases the GIL, so threads overlap the reads with the parsing.
    with ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4)) as pool:
        results = list(pool.map(inspect, [path for path, _ in candidates]))
    kept = []
    for (path, label), result in zip(candidates, results, strict=True):
        if isinstance(result, str):
            issues.append(ImageIssue(path, "skipped", result))
        else:
            kept.append((path, label, result[0], result[1]))
    if verify:
        failures = _undecodable(
            [path for path, *_ in kept], [code for _, _, code, _ in kept]
        )
        for index in sorted(failures):
            issues.append(ImageIssue(kept[index][0], "skipped", failures[index]))
        kept = [item for index, item in enumerate(kept) if index not in failures]
    for path, _, _, notes in kept:
        if notes:
            issues.append(ImageIssue(path, "converted", "; ".join(notes)))
    return ImageFolder(
        directory=folder,
        class_names=names,
        paths=tuple(path for path, *_ in kept),
        labels=tuple(label for _, label, _, _ in kept),
        issues=tuple(sorted(issues, key=lambda issue: issue.path.parts)),
        decoders=tuple(code for _, _, code, _ in kept),
    )


# One float32 RGB image of 16,384 x 16,384 pixels already takes 3 GiB; a larger size is
# a mistake that would otherwise fail deep inside TensorFlow, at the first batch.
_MAX_IMAGE_SIDE = 1 << 14


def _check_image_size(value: object) -> tuple[int, int]:
    message = (
        "`image_size` must be a positive integer or a (height, width) pair of them, "
        f"each at most {_MAX_IMAGE_SIDE}. Received: image_size={value!r}"
    )
    sizes = (value, value) if not isinstance(value, tuple | list) else tuple(value)
    if len(sizes) != 2:
        raise ValueError(message)
    try:
        height = check_positive_int(sizes[0], "image_size")
        width = check_positive_int(sizes[1], "image_size")
    except TypeError:
        raise TypeError(message) from None
    except ValueError:
        raise ValueError(message) from None
    if max(height, width) > _MAX_IMAGE_SIDE:
        raise ValueError(message)
    return height, width


# --8<-- [start:make_folder_dataset]
def make_folder_dataset(
    directory: str | os.PathLike[str],
    *,
    image_size: int | tuple[int, int],
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None,
    cache: bool | str | os.PathLike[str] = False,
    interpolation: str = "bilinear",
    value_range: tuple[float, float] = (0.0, 1.0),
    on_error: str = "raise",
    report: ImageFolder | None = None,
    drop_remainder: bool = False,
    deterministic: bool = True,
) -> tf.data.Dataset:
    """Build a training pipeline from a folder of images with one subfolder per class.

    The folder is scanned first with `scan_image_folder` (pass the `report` of an
    earlier scan to skip it). Each image is then read and decoded in parallel,
    resized to `image_size`, and mapped to float32 in `value_range`; the rest of the
    stages are `make_batches`'s. Without a cache, the shuffle reorders the file names
    before anything is decoded, which costs almost no memory; with a cache, it
    reorders the decoded images after the cache (the cache would otherwise keep the
    first epoch's order for ever).

    Args:
        directory: the folder of class folders.
        image_size: the `(height, width)` of every image, or one number for both; each
            at most 16,384.
        batch_size: images per batch.
        shuffle: whether to shuffle, with a fresh order each epoch. Defaults to `True`.
        seed: the shuffle seed. Defaults to 0.
        augment: a function applied to each batch of images (a Keras layer or
            `keras.Sequential` of random layers works), or `None`. Defaults to `None`.
        cache: `True` to keep the decoded, resized images in memory after the first
            epoch (height x width x 3 x 4 bytes each), a file name to keep them on disk,
            `False` to decode every epoch. Defaults to `False`.
        interpolation: the resize method, one of `tf.image.ResizeMethod`'s names.
            Defaults to `"bilinear"`.
        value_range: the `(low, high)` that black and white map to. `(0, 255)` gives the
            values `keras.utils.image_dataset_from_directory` gives, which the
            `keras.applications` models with built-in preprocessing (EfficientNet,
            ConvNeXt) and the `preprocess_input` functions expect, and skips one
            multiplication per image; `(-1, 1)` is MobileNet's and Inception's scale.
            Defaults to `(0.0, 1.0)`.
        on_error: what to do when files must be skipped (see `scan_image_folder`):
            `"raise"` an `ImageFolderError` that lists them, or `"skip"` them (with a
            warning naming them when no `report` was passed). Defaults to `"raise"`.
        report: the result of `scan_image_folder(directory)`, to avoid scanning twice.
            Defaults to `None` (scan now).
        drop_remainder: whether to drop a last, smaller batch. Defaults to `False`.
        deterministic: whether a run can be repeated exactly: the images come out in the
            order the shuffle chose, however long each takes to decode, and `augment`
            works on one batch at a time (see `make_batches`); `False` lets a slow image
            fall behind instead of holding up the others, and augments batches in
            parallel. Defaults to `True`.

    Returns:
        A `tf.data.Dataset` of `(images, labels)` batches: float32 images of shape
        `(batch, height, width, 3)` in `value_range`, int64 labels indexing
        `report.class_names`.

    Raises:
        ImageFolderError: if `on_error="raise"` and some files must be skipped.
        FileNotFoundError: if `directory` does not exist.
        TypeError: if an integer argument is not an integer, `augment` is not callable
            or `cache` is neither a bool nor a file name.
        ValueError: if `image_size`, `batch_size` or `seed` is out of range,
            `interpolation` or `on_error` is not one of its choices, `value_range` is
            not a pair of finite numbers in increasing order, `report` describes another
            folder, or no image is usable.

    Examples:
        >>> import tempfile
        >>> from PIL import Image
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("cats", "dogs"):
        ...     (folder / name).mkdir()
        ...     Image.new("RGB", (40, 30)).save(folder / name / "one.jpg")
        >>> dataset = make_folder_dataset(
        ...     folder, image_size=16, batch_size=2, shuffle=False
        ... )
        >>> images, labels = next(iter(dataset))
        >>> tuple(images.shape), images.dtype.name, labels.numpy().tolist()
        ((2, 16, 16, 3), 'float32', [0, 1])

    See: docs/vision/input-pipelines.md
    """
    height, width = _check_image_size(image_size)
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_non_negative_int(seed, "seed")
    _check_augment(augment)
    cache_file = _check_cache(cache)
    method = check_one_of(interpolation, "interpolation", _INTERPOLATIONS)
    low, high = check_value_range(value_range)
    on_error = check_one_of(on_error, "on_error", ("raise", "skip"))
    if report is None:
        report = scan_image_folder(directory)
        unseen = True
    elif Path(directory).resolve() != report.directory.resolve():
        raise ValueError(
            "`report` must describe `directory`. Received: "
            f"report.directory={str(report.directory)!r}, directory={str(directory)!r}"
        )
    else:
        unseen = False
    if report.skipped and on_error == "raise":
        raise ImageFolderError(report)
    if report.skipped and unseen:
        first = report.skipped[0]
        warnings.warn(
            f"{len(report.skipped)} file(s) in `{_display_name(report.directory)}` "
            f"skipped, the first `{_display_name(first.path)}`: {first.reason}; "
            "scan_image_folder(...).summary() lists them all",
            stacklevel=2,
        )
    if not report.paths:
        raise ValueError(
            "`directory` must hold at least one usable image in a class folder. "
            f"Received: directory={str(report.directory)!r}, with {len(report.issues)} "
            "other file(s)"
        )

    files = tf.data.Dataset.from_tensor_slices(
        (
            [os.fsencode(path) for path in report.paths],
            np.asarray(report.labels, np.int64),
            np.asarray(report.decoders, np.int32),
        )
    )
    if shuffle and cache_file is None:  # names are cheap to shuffle, images are not
        files = files.shuffle(
            len(report.paths), seed=seed, reshuffle_each_iteration=True
        )
    # One decoder for the whole folder (the usual case) builds no branch per image.
    single = report.decoders[0] if len(set(report.decoders)) == 1 else None

    def resize(image: tf.Tensor, peak: int) -> tf.Tensor:
        # Resizing is linear, so scaling the small result is the same as scaling
        # the input; a factor of 1 and an offset of 0, as for 8-bit images to
        # (0, 255), cost nothing.
        resized = tf.cast(
            tf.image.resize(image, (height, width), method=method), tf.float32
        )
        if (high - low) != peak:
            resized = resized * ((high - low) / peak)
        if low != 0:
            resized = resized + low
        return (
            tf.clip_by_value(resized, low, high) if method in _OVERSHOOTING else resized
        )

    def load(
        path: tf.Tensor, label: tf.Tensor, decoder: tf.Tensor
    ) -> tuple[tf.Tensor, ...]:
        image = _decode(
            tf.io.read_file(path), decoder if single is None else single, resize
        )
        image.set_shape(
            (height, width, 3)
        )  # static: a branch per image hides the shape
        return image, label

    examples = files.map(
        load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic
    )
    return make_batches(
        examples,
        batch_size=batch_size,
        shuffle=shuffle and cache_file is not None,
        seed=seed,
        augment=augment,
        cache=cache,
        drop_remainder=drop_remainder,
        deterministic=deterministic,
    )
    # --8<-- [end:make_folder_dataset]
