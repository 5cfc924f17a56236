"""The same training code on 1x, 10x and 100x the digits: streamed from shards, memory
stays flat.

The digits training set is grown into shifted and noised variants, written once to
TFRecord shards, and each size is trained on for one pass in a fresh process, which
reports its own peak memory. For contrast, the largest set is also trained on from an
array held in memory.
"""

# budget: 60 s — it writes 150,000 images to disk and trains in four fresh TensorFlow
# processes
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
    model = digits_convnet(32)  # one convolution, pooling, a dense layer: logits
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


def in_fresh_process(source: str | ShardReport) -> dict:
    """Run `train_once` in a new Python process, so its peak memory is its own."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(train_once, source).result()


# --8<-- [end:train]


def held_out() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    images, labels = load_digits_images()
    x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
    return x_train, y_train, x_test, y_test


def main() -> None:
    x_train, y_train, _, _ = held_out()
    folder = Path(tempfile.mkdtemp())
    runs = []  # (name, examples, bytes on disk or in memory, source)
    for times in (1, 10, 100):
        images, labels = grow(x_train, y_train, times)
        paths = write_shards(
            images, labels, folder / f"{times}x", examples_per_shard=10_000
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
    for name, examples, size, source in runs:
        row = in_fresh_process(source)
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
