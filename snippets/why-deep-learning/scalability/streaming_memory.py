"""The same training code on 1x, 10x and 100x the digits: streamed from shards, memory
stays flat.

The digits training set is grown into shifted and noised variants, written once to
TFRecord shards, and each size is trained on for one pass in a fresh process, which
reports its own peak memory. For contrast, the largest set is also trained on from an
array held in memory.
"""

# budget: 35 s — it writes 150,000 images to disk and trains four times, each in a
# fresh process
# output varies: peak memory and seconds are measurements, and move a little from run to
# run

import multiprocessing
import resource
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dlcv.data import (
    ShardReport,
    check_shards,
    load_digits_images,
    read_shards,
    split_train_test,
    write_shards,
)
from dlcv.training import digits_convnet, evaluate, train

BATCH = 256


def peak_memory_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    status = Path("/proc/self/status")
    if status.exists():  # Linux: VmHWM counts this process only
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    # Elsewhere ru_maxrss (bytes on macOS); on Linux it would include the parent's peak.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def grow(
    images: np.ndarray, labels: np.ndarray, times: int
) -> tuple[np.ndarray, np.ndarray]:
    """The images plus `times - 1` variants of each: shifted by up to a pixel, lightly
    noised."""
    rng = np.random.default_rng(times)
    count = len(images) * (times - 1)
    picks = np.tile(np.arange(len(images)), times - 1)
    padded = np.pad(images[picks], ((0, 0), (1, 1), (1, 1), (0, 0)))
    shifts = rng.integers(0, 3, size=(count, 2))
    variants = np.empty_like(images[picks])
    for dy in range(3):
        for dx in range(3):
            chosen = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            variants[chosen] = padded[chosen, dy : dy + 8, dx : dx + 8]
    variants += rng.normal(0, 0.05, variants.shape).astype(np.float32)
    grown = np.concatenate([images, np.clip(variants, 0, 1)])
    order = rng.permutation(len(grown))  # shuffled once, when written
    return grown[order], np.concatenate([labels, labels[picks]])[order]


# --8<-- [start:train]
def train_once(source: str | ShardReport) -> dict:
    """One pass over `source` with the same model and code; runs in a fresh process."""
    keras.utils.set_random_seed(0)
    if isinstance(source, ShardReport):  # streamed from the files the report checked
        data = read_shards(source.paths, report=source)
    else:  # the contrast: the whole data set loaded into memory
        arrays = np.load(source)
        data = tf.data.Dataset.from_tensor_slices((arrays["images"], arrays["labels"]))
    model = digits_convnet(16)  # one convolution, pooling, a dense layer: logits
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    history = train(
        model,
        data,
        loss=loss,
        optimizer=keras.optimizers.Adam(3e-3),
        epochs=1,
        global_batch_size=BATCH,
        verbose=0,
    )
    _, _, x_test, y_test = held_out()
    test = evaluate(
        model,
        tf.data.Dataset.from_tensor_slices((x_test, y_test)),
        loss=loss,
        global_batch_size=len(x_test),
    )
    return {
        "steps": history.epochs[0]["steps"],
        "seconds": history.epochs[0]["seconds"],
        "peak_mib": peak_memory_mib(),
        "accuracy": test["accuracy"],
    }


def clean_parent() -> ProcessPoolExecutor | None:
    """On Linux, a copy of this process, forked now, to fork each training run from
    later; elsewhere None.

    Call it first, before this process builds any data or runs TensorFlow: a forked
    child's resident memory includes what it shares with its parent, so a run forked
    later from this process would count the data in its peak. A run forked from the
    copy starts with TensorFlow imported and nothing yet run in it, as a new Python
    would, without spending seconds importing TensorFlow again. Elsewhere each run gets
    a new Python: Windows cannot fork, and on macOS Python's documentation calls it
    unsafe.
    """
    if not sys.platform.startswith("linux"):
        return None
    fork = multiprocessing.get_context("fork")
    parent = ProcessPoolExecutor(max_workers=1, mp_context=fork)
    parent.submit(int).result()  # the copy is forked at the first task, that is now
    return parent


def in_fresh_processes(
    sources: list[str | ShardReport], parent: ProcessPoolExecutor | None
) -> list[dict]:
    """Run `train_once` on each source in a new process, so that each peak memory is
    that run's own: forked by `parent`, the copy from `clean_parent`, or without one
    each in a new Python."""
    if parent is None:
        return each_in_new_process(sources, "spawn")
    with parent:
        return parent.submit(each_in_new_process, sources, "fork").result()


def each_in_new_process(
    sources: list[str | ShardReport], start_method: str
) -> list[dict]:
    """`train_once` on each source, each time in a new process of its own."""
    context = multiprocessing.get_context(start_method)
    rows = []
    for source in sources:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            rows.append(pool.submit(train_once, source).result())
    return rows


# --8<-- [end:train]


def held_out() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    images, labels = load_digits_images()
    x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
    return x_train, y_train, x_test, y_test


def main() -> None:
    parent = clean_parent()  # first, while this process holds no data
    x_train, y_train, _, _ = held_out()
    folder = Path(tempfile.mkdtemp())
    runs = []  # (name, examples, bytes on disk or in memory, source)
    for times in (1, 10, 100):
        images, labels = grow(x_train, y_train, times)
        # Small shards: the reader parses each file in blocks of records, never more
        # than the file holds, and keeps a few blocks read ahead; 2,000 digits (0.5 MiB)
        # a file keep that fixed cost small beside the data.
        paths = write_shards(
            images, labels, folder / f"{times}x", examples_per_shard=2_000
        )
        size = sum(path.stat().st_size for path in paths)
        # Checked once, after writing; each training run reads with this report.
        runs.append((f"{times}x, streamed", len(images), size, check_shards(paths)))
    np.savez(folder / "100x.npz", images=images, labels=labels)
    runs.append(
        (
            "100x, in memory",
            len(images),
            images.nbytes + labels.nbytes,
            f"{folder}/100x.npz",
        )
    )

    print(
        "Data              Examples     Size  Steps  Seconds  Peak memory  Test "
        "accuracy"
    )
    peaks = []
    rows = in_fresh_processes([source for _, _, _, source in runs], parent)
    for (name, examples, size, _), row in zip(runs, rows, strict=True):
        peaks.append(row["peak_mib"])
        print(
            f"{name:<16}  {examples:>8,}  {size / 2**20:>3.0f} MiB  {row['steps']:>5,} "
            f" {row['seconds']:>7.1f}  {row['peak_mib']:>7.0f} MiB  "
            f"{row['accuracy']:>13.3f}"
        )
    arrays = runs[-1][2] / 2**20  # the 100x arrays; the 10x ones are a tenth of that
    print(
        f"\nStreamed, 10x to 100x: peak memory {peaks[2] - peaks[1]:+.0f} MiB, while "
        f"the arrays grew by {arrays * 0.9:.0f} MiB"
    )
    print(
        f"In memory, 100x: peak memory {peaks[3] - peaks[2]:+.0f} MiB over streaming "
        f"the same {arrays:.0f} MiB of arrays"
    )


if __name__ == "__main__":
    main()
