"""Small image data sets that need no download, and the input pipelines that feed them.

Examples come from three sources, one module each: arrays in memory
(`dlcv.data.arrays`), sharded TFRecord files (`dlcv.data.shards`) and folders of image
files (`dlcv.data.folders`). Every source ends in the same stages, `make_batches`. Each
public name is importable from here, as from `dlcv` itself.

Examples:
    >>> images, labels = load_digits_images()
    >>> batches = make_dataset(images, labels, batch_size=256)
    >>> int(batches.cardinality())
    8
"""

from __future__ import annotations

from dlcv.data.arrays import (
    load_digits_images,
    make_batches,
    make_dataset,
    split_train_test,
    split_train_val_test,
)
from dlcv.data.folders import (
    ImageFolder,
    ImageFolderError,
    ImageIssue,
    make_folder_dataset,
    scan_image_folder,
)
from dlcv.data.shards import (
    ShardError,
    ShardProblem,
    ShardReport,
    check_shards,
    read_shards,
    write_shards,
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
    "split_train_val_test",
    "write_shards",
]
