"""Sharded TFRecord files: write them, check every record, and read them back.

Each record is a `tf.train.Example` holding the raw image bytes, their shape and dtype,
the label, and the number of records in its file. The count costs a few bytes a record
and is what lets a reader notice a file cut exactly between two records, which the
TFRecord checksums cannot see.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from dlcv._validation import (
    check_non_empty_str,
    check_one_of,
    check_positive_int,
    check_same_length,
)
from dlcv.data._files import Unusable, display_name, open_regular

__all__ = [
    "ShardError",
    "ShardProblem",
    "ShardReport",
    "check_shards",
    "read_shards",
    "write_shards",
]

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

    See: [Scalability](../why-deep-learning/scalability.md)
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

    See: [Scalability](../why-deep-learning/scalability.md)
    """

    path: Path
    record: int
    reason: str
    lost: int | None

    def __str__(self) -> str:
        return f"`{display_name(self.path)}` record {self.record}: {self.reason}"


class ShardError(ValueError):
    """Raised when a shard holds a bad record; `problem` says which file and record.

    See: [Scalability](../why-deep-learning/scalability.md)
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

    See: [Scalability](../why-deep-learning/scalability.md)
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
    past the end of the file, why it cannot be read. Raises `Unusable` if `path`
    is not a regular file.
    """
    with open_regular(path) as file:
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
    except Unusable as error:
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

    See: [Scalability](../why-deep-learning/scalability.md)
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
        except Unusable as error:
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

    See: [Scalability](../why-deep-learning/scalability.md)
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
