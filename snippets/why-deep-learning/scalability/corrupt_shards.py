"""A truncated shard and a corrupted record: reported by file and record, then skipped
or fatal."""

from dlcv.data import (
    ShardError,
    check_shards,
    load_digits_images,
    read_shards,
    write_shards,
)

images, labels = load_digits_images()
paths = write_shards(images, labels, "shards", examples_per_shard=500, overwrite=True)

# Damage two of the four files, as a crashed copy or a failing disk would.
cut = paths[1].read_bytes()
paths[1].write_bytes(cut[: len(cut) - 100])  # the file ends inside its last record
flipped = bytearray(paths[2].read_bytes())
flipped[len(flipped) // 2] ^= 0xFF  # one bit pattern changed in a record in the middle
paths[2].write_bytes(bytes(flipped))

report = check_shards("shards/shard-*.tfrecord")
for problem in report.problems:
    print(f"{problem} -> lost: {problem.lost}")
print(f"{report.records:,} of {len(images):,} records are readable")

data = read_shards("shards/shard-*.tfrecord", on_error="skip", report=report)
print(
    f'on_error="skip": read {sum(1 for _ in data):,} examples, skipped {report.skipped}'
)

try:
    read_shards("shards/shard-*.tfrecord", on_error="raise")
except ShardError as error:
    print(f'on_error="raise": ShardError: {error}')
