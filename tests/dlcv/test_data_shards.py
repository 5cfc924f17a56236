"""Tests for the sharded files on disk in dlcv.data."""

import os
from pathlib import Path

import numpy as np
import pytest
from helpers.blocking import call_with_timeout, run_apart

from dlcv.data import ShardError, check_shards, read_shards, write_shards

RECORDS_PER_SHARD = 10


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    images = rng.random((35, 4, 3, 2), dtype=np.float32)
    labels = rng.integers(0, 10, size=35)
    return images, labels


@pytest.fixture
def shards(tmp_path, arrays):
    return write_shards(*arrays, tmp_path, examples_per_shard=RECORDS_PER_SHARD)


def read_all(dataset):
    pairs = list(dataset.as_numpy_iterator())
    return np.stack([image for image, _ in pairs]), np.array([label for _, label in pairs])


def record_offset(path: Path, record: int) -> int:
    # Every record has the same size here: all images share one shape.
    size = path.stat().st_size // RECORDS_PER_SHARD
    return record * size


def test_round_trip_equals_the_input_in_written_order(shards, arrays, tmp_path):
    images, labels = arrays
    dataset = read_shards(str(tmp_path / "shard-*.tfrecord"), parallel_reads=1)
    assert dataset.element_spec[0].shape == (4, 3, 2)
    assert dataset.element_spec[1].shape == ()
    got_images, got_labels = read_all(dataset)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_uint8_images_keep_their_dtype(tmp_path):
    images = np.arange(24, dtype=np.uint8).reshape(3, 2, 4)
    paths = write_shards(images, [7, 8, 9], tmp_path, prefix="digits")
    dataset = read_shards(paths)
    assert dataset.element_spec[0].dtype.name == "uint8"
    got_images, got_labels = read_all(dataset)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, [7, 8, 9])


def test_sharding_counts_and_names(shards):
    assert [path.name for path in shards] == [f"shard-{n:05d}.tfrecord" for n in range(4)]
    report = check_shards(shards)
    assert report.readable == (10, 10, 10, 5)
    assert report.records == 35
    assert report.problems == ()
    assert report.skipped == 0
    assert not list(shards[0].parent.glob(".*"))


@pytest.mark.parametrize("deterministic", [True, False])
def test_parallel_read_yields_every_example_exactly_once(shards, arrays, deterministic):
    images, labels = arrays
    dataset = read_shards(shards, parallel_reads=4, deterministic=deterministic)
    got_images, got_labels = read_all(dataset)
    assert len(got_labels) == len(labels)
    # Each image is unique, so matching them by content checks "every one exactly once".
    written = {image.tobytes(): label for image, label in zip(images, labels, strict=True)}
    read = {image.tobytes(): label for image, label in zip(got_images, got_labels, strict=True)}
    assert read == written


def test_existing_shards_are_kept_unless_overwrite(tmp_path, arrays):
    images, labels = arrays
    write_shards(images, labels, tmp_path, examples_per_shard=10)
    with pytest.raises(FileExistsError, match="must not already hold shards"):
        write_shards(images[:5], labels[:5], tmp_path, examples_per_shard=10)
    paths = write_shards(images[:5], labels[:5], tmp_path, examples_per_shard=10, overwrite=True)
    # Stale shards from the larger write are gone, so a glob reads only the new data.
    assert sorted(tmp_path.glob("shard-*.tfrecord")) == paths
    assert check_shards(str(tmp_path / "shard-*.tfrecord")).records == 5


def test_truncated_file(shards):
    data = shards[2].read_bytes()
    shards[2].write_bytes(data[:-7])
    with pytest.raises(ShardError, match=r"shard-00002\.tfrecord` record 9: .*truncated"):
        read_shards(shards)
    report = check_shards(shards)
    assert report.readable == (10, 10, 9, 5)
    assert report.skipped == 1
    (problem,) = report.problems
    assert (problem.path, problem.record, problem.lost) == (shards[2], 9, 1)
    assert len(list(read_shards(shards, on_error="skip"))) == 34


def test_file_cut_between_two_records(shards):
    data = shards[1].read_bytes()
    shards[1].write_bytes(data[: record_offset(shards[1], 6)])
    with pytest.raises(ShardError, match=r"shard-00001\.tfrecord` record 6: .*ends after 6"):
        read_shards(shards)
    report = check_shards(shards)
    assert report.skipped == 4
    assert len(list(read_shards(shards, on_error="skip", report=report))) == 31


def test_corrupted_record_is_caught_by_the_checksum(shards, arrays):
    data = bytearray(shards[2].read_bytes())
    middle = record_offset(shards[2], 4) + 40
    data[middle : middle + 4] = bytes(255 - byte for byte in data[middle : middle + 4])
    shards[2].write_bytes(bytes(data))
    with pytest.raises(ShardError, match=r"shard-00002\.tfrecord` record 4: corrupted") as info:
        read_shards(shards)
    assert info.value.problem.record == 4
    report = check_shards(shards)
    assert report.readable == (10, 10, 4, 5)
    assert report.skipped == 6
    images, labels = arrays
    keep = np.r_[0:24, 30:35]
    got_images, got_labels = read_all(read_shards(shards, on_error="skip", parallel_reads=1))
    np.testing.assert_array_equal(got_images, images[keep])
    np.testing.assert_array_equal(got_labels, labels[keep])


def test_first_record_broken_loses_an_unknown_count(shards):
    data = bytearray(shards[3].read_bytes())
    data[30] ^= 0xFF
    shards[3].write_bytes(bytes(data))
    report = check_shards(shards)
    (problem,) = report.problems
    assert (problem.record, problem.lost) == (0, None)
    assert report.readable == (10, 10, 10, 0)
    assert len(list(read_shards(shards, on_error="skip", report=report))) == 30


def test_foreign_file_is_named(tmp_path, shards):
    other = tmp_path / "other.tfrecord"
    other.write_bytes(b"not a tfrecord file at all, just some bytes")
    with pytest.raises(ShardError, match=r"other\.tfrecord` record 0"):
        read_shards([*shards, other])
    with pytest.raises(ShardError, match="no readable record"):
        read_shards([other], on_error="skip")


def test_mismatched_shapes_are_a_problem(tmp_path, shards):
    odd = write_shards(np.zeros((2, 5), np.float32), [0, 1], tmp_path / "odd")
    with pytest.raises(ShardError, match="record 0: image of shape"):
        read_shards([*shards, *odd])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"examples_per_shard": 0}, ValueError, "examples_per_shard=0"),
        ({"examples_per_shard": 1.5}, TypeError, "must be a positive integer"),
        ({"prefix": ""}, ValueError, "must be a non-empty string"),
        ({"prefix": "a/b"}, ValueError, "must be a plain file name"),
        ({"prefix": "a\nb"}, ValueError, "control character such as a newline"),
        ({"prefix": "a\x00b"}, ValueError, "must be a plain file name"),
    ],
)
def test_write_rejects_bad_arguments(tmp_path, arrays, kwargs, error, match):
    with pytest.raises(error, match=match):
        write_shards(*arrays, tmp_path, **kwargs)


def test_write_rejects_bad_arrays(tmp_path):
    with pytest.raises(TypeError, match="must be a float32 or uint8 array"):
        write_shards(np.zeros((2, 3)), [0, 1], tmp_path)
    with pytest.raises(ValueError, match="must hold at least one example"):
        write_shards(np.zeros((0, 3), np.float32), [], tmp_path)
    with pytest.raises(ValueError, match="must be as long as"):
        write_shards(np.zeros((2, 3), np.float32), [0], tmp_path)
    with pytest.raises(TypeError, match="rank-1 array of integers"):
        write_shards(np.zeros((2, 3), np.float32), [0.5, 1.0], tmp_path)


def test_read_rejects_bad_arguments(tmp_path, shards):
    with pytest.raises(ValueError, match="must be one of 'raise', 'skip'"):
        read_shards(shards, on_error="ignore")
    with pytest.raises(ValueError, match="must be a positive integer"):
        read_shards(shards, parallel_reads=0)
    with pytest.raises(FileNotFoundError, match="must match at least one file"):
        read_shards(str(tmp_path / "nothing-*.tfrecord"))
    with pytest.raises(FileNotFoundError, match="must name existing files"):
        read_shards([tmp_path / "missing.tfrecord"])
    with pytest.raises(ValueError, match="must name at least one file"):
        read_shards([])
    with pytest.raises(ValueError, match="must describe the files read"):
        read_shards(shards[:2], report=check_shards(shards))


def test_dataset_knows_its_length(shards, tmp_path):
    assert int(read_shards(shards).cardinality()) == 35
    data = shards[2].read_bytes()
    shards[2].write_bytes(data[:-7])
    assert int(read_shards(shards, on_error="skip").cardinality()) == 34


def test_bad_record_with_a_sound_checksum_is_found_inside_a_batch(tmp_path, shards):
    # Records 0-3 are sound, record 4 is a valid TFRecord entry that is not an Example and
    # records 5-9 are sound again: only the record-by-record pass can say which one is bad.
    import tensorflow as tf

    raws = [bytes(raw) for raw in tf.data.TFRecordDataset(str(shards[1])).as_numpy_iterator()]
    mixed = tmp_path / "mixed" / "shard-00000.tfrecord"
    mixed.parent.mkdir()
    with tf.io.TFRecordWriter(str(mixed)) as writer:
        for index, raw in enumerate(raws):
            writer.write(b"\xff\xfe not an example" if index == 4 else raw)
    report = check_shards([mixed])
    (problem,) = report.problems
    assert (problem.record, problem.lost) == (4, 6)
    assert "not a tf.train.Example" in problem.reason
    assert report.readable == (4,)
    with pytest.raises(ShardError, match=r"shard-00000\.tfrecord` record 4: not a tf.train"):
        read_shards([mixed])


def test_record_of_another_shape_inside_a_batch(tmp_path, shards):
    import tensorflow as tf

    raws = [bytes(raw) for raw in tf.data.TFRecordDataset(str(shards[0])).as_numpy_iterator()]
    (odd,) = write_shards(np.zeros((1, 4, 3, 1), np.float32), [0], tmp_path / "odd")
    (odd_raw,) = [bytes(raw) for raw in tf.data.TFRecordDataset(str(odd)).as_numpy_iterator()]
    mixed = tmp_path / "mixed.tfrecord"
    with tf.io.TFRecordWriter(str(mixed)) as writer:
        for index, raw in enumerate(raws):
            writer.write(odd_raw if index == 7 else raw)
    report = check_shards([mixed])
    (problem,) = report.problems
    assert problem.record == 7
    assert report.readable == (7,)


def test_parse_block_holds_about_four_mib_of_images_within_bounds() -> None:
    import tensorflow as tf

    from dlcv.data.shards import _parse_batch

    assert _parse_batch((8, 8, 1), tf.float32) == 8192  # 256 B each: capped
    assert _parse_batch((224, 224, 3), tf.uint8) == (4 << 20) // (224 * 224 * 3)  # 27
    assert _parse_batch((2048, 2048, 3), tf.float32) == 16  # 48 MiB each: floored


# Damaged and hostile shards ------------------------------------------------------------------
#
# TFRecord framing: uint64 length (little-endian), uint32 masked CRC-32C of the length, the
# data, uint32 masked CRC-32C of the data. The checksum is written out here, bit by bit and
# independently of dlcv's table-driven one, to forge headers TensorFlow accepts.


def masked_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record_header(length: int) -> bytes:
    size = length.to_bytes(8, "little")
    return size + masked_crc32c(size).to_bytes(4, "little")


def test_forged_headers_match_what_tensorflow_writes(shards):
    data = shards[0].read_bytes()
    length = int.from_bytes(data[:8], "little")
    assert data[:12] == record_header(length)


HUGE_LENGTH_SCRIPT = """
import sys
from dlcv.data import ShardError, check_shards, read_shards
report = check_shards(sys.argv[1:])
print("PROBLEMS", [str(problem) for problem in report.problems])
print("READABLE", report.readable)
try:
    read_shards(sys.argv[1:])
except ShardError as error:
    print("REFUSED", error)
print("SKIPPED", len(list(read_shards(sys.argv[1:], on_error="skip"))))
"""


def test_huge_declared_length_is_reported_not_a_segfault(shards):
    # TensorFlow reserves a record's declared length before reading it: with a valid length
    # checksum, 2**36 to 2**62 bytes kill the process (SIGSEGV), so the reproduction runs apart.
    for path, record, exponent in ((shards[1], 3, 36), (shards[2], 5, 62)):
        data = path.read_bytes()
        cut = record_offset(path, record)
        path.write_bytes(data[:cut] + record_header(2**exponent) + data[cut:])
    result = run_apart(HUGE_LENGTH_SCRIPT, *map(str, shards))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shard-00001.tfrecord` record 3: corrupted record" in result.stdout
    assert f"declares {2**36:,} bytes" in result.stdout
    assert "shard-00002.tfrecord` record 5: corrupted record" in result.stdout
    assert f"declares {2**62:,} bytes" in result.stdout
    assert "READABLE (10, 3, 5, 5)" in result.stdout
    assert "REFUSED `" in result.stdout
    assert "SKIPPED 23" in result.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_named_pipe_in_a_shard_glob_is_reported_not_read(shards):
    fifo = shards[0].parent / "shard-00004.tfrecord"
    os.mkfifo(fifo)
    pattern = str(shards[0].parent / "shard-*.tfrecord")
    report = call_with_timeout(check_shards, pattern, seconds=60, fifo=fifo)
    (problem,) = report.problems
    assert problem.path == fifo
    assert "not a regular file: it is a named pipe" in problem.reason
    assert report.readable == (10, 10, 10, 5, 0)
    with pytest.raises(ShardError, match=r"shard-00004\.tfrecord` record 0: not a regular"):
        read_shards(pattern, report=report)
    assert len(list(read_shards(pattern, on_error="skip", report=report))) == 35


def test_glob_that_matches_a_folder_reports_the_folder(shards):
    folder = shards[0].parent / "shard-99999.tfrecord"
    folder.mkdir()
    report = check_shards(str(shards[0].parent / "shard-*.tfrecord"))
    (problem,) = report.problems
    assert problem.path == folder
    assert "it is a folder" in problem.reason


def test_read_refuses_a_file_changed_since_its_report(shards):
    report = check_shards(shards)
    data = shards[2].read_bytes()
    shards[2].write_bytes(data[: record_offset(shards[2], 3)])
    with pytest.raises(ShardError, match=r"shard-00002\.tfrecord` record 3: the file changed"):
        read_shards(shards, report=report)


def _damaged(data: bytes, kind: str) -> bytes:
    """One shard's bytes (10 records of equal size), damaged in the way `kind` names."""
    record = len(data) // RECORDS_PER_SHARD
    if kind == "empty":
        return b""
    if kind == "cut inside the first header":
        return data[:5]
    if kind == "cut inside a record":
        return data[: 4 * record + record // 2]
    if kind == "flipped length checksum":
        return (
            data[: 4 * record + 9] + bytes([data[4 * record + 9] ^ 0xFF]) + data[4 * record + 10 :]
        )
    if kind == "flipped data byte":
        middle = 4 * record + 20
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    if kind == "length past the end":
        return data[: 4 * record] + record_header(1 << 20) + data[4 * record + 12 :]
    if kind == "garbage":
        return bytes(range(256)) * 4
    raise AssertionError(kind)


DAMAGE = [
    ("empty", 0, "holds no records"),
    ("cut inside the first header", 0, "truncated"),
    ("cut inside a record", 4, "truncated"),
    ("flipped length checksum", 4, "corrupted"),
    ("flipped data byte", 4, "corrupted"),
    ("length past the end", 4, "declares 1,048,576 bytes"),
    ("garbage", 0, ""),
]


@pytest.mark.parametrize(("kind", "record", "reason"), DAMAGE, ids=[kind for kind, *_ in DAMAGE])
def test_damaged_shard_is_named_never_silent(shards, kind, record, reason):
    shards[1].write_bytes(_damaged(shards[1].read_bytes(), kind))
    report = check_shards(shards)
    (problem,) = report.problems
    assert (problem.path, problem.record) == (shards[1], record)
    assert reason in problem.reason
    assert report.readable == (10, record, 10, 5)
    with pytest.raises(ShardError, match=r"shard-00001\.tfrecord` record \d+: "):
        read_shards(shards)
    assert len(list(read_shards(shards, on_error="skip", report=report))) == 25 + record
