"""Three sources, one tail: arrays, shards and a folder all end in `make_batches`'s
stages."""

import tempfile
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from dlcv.data import (
    load_digits_images,
    make_batches,
    make_dataset,
    make_folder_dataset,
    read_shards,
    write_shards,
)

keras.utils.set_random_seed(0)
workspace = tempfile.TemporaryDirectory()
folder = Path(workspace.name)
flip = keras.layers.RandomFlip("horizontal", seed=1)

# --8<-- [start:sources]
images, labels = load_digits_images()

# 1. Arrays in memory.
from_arrays = make_dataset(images, labels, batch_size=256, augment=flip)

# 2. Shards on disk: read_shards gives single examples; make_batches adds the tail.
write_shards(images, labels, folder / "shards", examples_per_shard=500)
examples = read_shards(str(folder / "shards" / "shard-*.tfrecord"))
from_shards = make_batches(examples, batch_size=256, augment=flip, cache=True)

# 3. A folder of image files, one subfolder per class.
for digit in range(10):
    (folder / "digits" / str(digit)).mkdir(parents=True)
for index in range(100):
    pixels = (images[index, :, :, 0] * 255).astype(np.uint8)
    Image.fromarray(pixels).save(
        folder / "digits" / str(labels[index]) / f"{index}.png"
    )
from_folder = make_folder_dataset(
    folder / "digits", image_size=8, batch_size=256, augment=flip, cache=True
)
# --8<-- [end:sources]

for name, dataset in (
    ("arrays", from_arrays),
    ("shards", from_shards),
    ("folder", from_folder),
):
    x, y = next(iter(dataset))
    count = sum(int(y.shape[0]) for _, y in dataset)
    print(
        f"{name:>6}: {count:5,} examples, first batch {tuple(x.shape)} {x.dtype.name}, "
        f"labels {y.dtype.name}"
    )
workspace.cleanup()
