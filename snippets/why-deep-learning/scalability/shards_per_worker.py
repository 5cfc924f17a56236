"""Two workers share one set of shards: each reads its own files, together every digit
once."""

import tempfile

import numpy as np
import tensorflow as tf

from dlcv.data import load_digits_images, read_shards, write_shards

images, labels = load_digits_images()
folder = tempfile.mkdtemp()
paths = write_shards(images, labels, folder, examples_per_shard=200)
print(f"{len(images):,} digits written to {len(paths)} shards of at most 200")


def worker_input(
    context: tf.distribute.InputContext, global_batch_size: int
) -> tf.data.Dataset:
    """One worker's input: every n-th file, as tf.data's FILE auto-shard policy assigns
    them."""
    files = tf.data.Dataset.from_tensor_slices([str(path) for path in paths])
    mine = files.shard(context.num_input_pipelines, context.input_pipeline_id)
    examples = read_shards([name.decode() for name in mine.as_numpy_iterator()])
    return examples.batch(context.get_per_replica_batch_size(global_batch_size))


# Two workers with one replica each; a MultiWorkerMirroredStrategy hands every worker
# its context.
read = []
for worker in range(2):
    context = tf.distribute.InputContext(
        num_input_pipelines=2, input_pipeline_id=worker, num_replicas_in_sync=2
    )
    batches = worker_input(context, global_batch_size=128)
    # what `shard` picks: every 2nd file from its index
    mine = list(range(worker, len(paths), 2))
    sizes = [len(x) for x, _ in batches]
    read.append(np.concatenate([x.numpy() for x, _ in batches]))
    print(
        f"worker {worker}: files {mine}, {sum(sizes):,} digits in {len(sizes)} batches "
        f"of up to {sizes[0]}"
    )

# Every digit read by exactly one worker: the two shares together are the written set.
together = sorted(image.tobytes() for share in read for image in share)
print(
    f"together: {len(together):,} digits, each written digit exactly once: "
    f"{together == sorted(image.tobytes() for image in images)}"
)
