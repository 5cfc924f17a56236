"""Steps per second training from TFRecord shards against training from memory, same run.

Both arms train the same small convnet with `dlcv.train` on the same examples, in the same order,
with the same seed, so they see the same batches: the digits grown to `--times` their size by
shifted and noised copies, written once with `dlcv.write_shards`. The streamed arm reads them
with `read_shards` as it trains; the in-memory arm holds the same examples in an array
(`tf.data.Dataset.from_tensor_slices`). The arms alternate repeat by repeat in this one process,
so a change in the machine's load hits both; each run's first epoch (tracing and warm-up) is left
out, and the medians over repeats are compared. The target is streamed >= 0.9x in-memory; the
script exits with status 1 when the ratio falls short. It also reports the shard pipeline's own
throughput (read, parse, batch; no training), which says how much faster than training the input
can go. Run:

    .venv/bin/python benchmarks/streaming_vs_memory.py [--times 20] [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from _digits_training import make_convnet, train_steps_per_second
from _results import finish

from dlcv.data import check_shards, load_digits_images, read_shards, write_shards
from dlcv.hardware import describe_hardware, format_hardware

TARGET = 0.9


def grown_digits(times: int) -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits and `times - 1` copies shifted by up to a pixel and lightly noised."""
    images, labels = load_digits_images()
    rng = np.random.default_rng(0)
    copies = np.tile(images, (times - 1, 1, 1, 1))
    padded = np.pad(copies, ((0, 0), (1, 1), (1, 1), (0, 0)))
    dy, dx = rng.integers(0, 3, size=(2, len(copies)))
    rows = dy[:, None] + np.arange(8)
    cols = dx[:, None] + np.arange(8)
    shifted = padded[np.arange(len(copies))[:, None, None], rows[:, :, None], cols[:, None, :]]
    noisy = np.clip(shifted + rng.normal(0, 0.05, shifted.shape), 0, 1).astype(np.float32)
    order = rng.permutation(len(images) * times)
    return np.concatenate([images, noisy])[order], np.tile(labels, times)[order]


def pipeline_images_per_second(data: tf.data.Dataset, *, batch: int) -> float:
    batches = data.batch(batch).prefetch(tf.data.AUTOTUNE)
    for _ in batches.take(10):  # start the reader threads before timing
        pass
    start = time.perf_counter()
    count = sum(int(x.shape[0]) for x, _ in batches)
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=20, help="copies of the digits (default 20)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3, help="per run; the first is left out")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if args.times < 1 or args.epochs < 2 or args.repeats < 1 or args.batch < 1:
        parser.error("--times, --batch and --repeats must be at least 1, --epochs at least 2")

    hardware = format_hardware(describe_hardware())
    print(hardware)
    images, labels = grown_digits(args.times)
    folder = Path(tempfile.mkdtemp(prefix="dlcv-bench-"))
    paths = write_shards(images, labels, folder, examples_per_shard=10_000)
    report = check_shards(paths)  # once, outside the timing: read_shards would check again
    streamed = read_shards(paths, report=report)
    # The in-memory arm holds exactly what the stream yields, in the same order, so both arms
    # shuffle the same examples with the same seed into the same batches.
    pairs = list(streamed.batch(4096).as_numpy_iterator())
    in_memory = tf.data.Dataset.from_tensor_slices(
        (np.concatenate([x for x, _ in pairs]), np.concatenate([y for _, y in pairs]))
    )
    disk = sum(path.stat().st_size for path in paths) / 2**20
    steps = len(images) // args.batch
    print(
        f"{len(images):,} examples of 8x8x1 float32 in {len(paths)} shards ({disk:.1f} MiB); "
        f"batch {args.batch}, {steps} steps per epoch, {args.epochs} epochs per run "
        f"(the first left out), {args.repeats} repeats"
    )

    steps_per_second = partial(
        train_steps_per_second, make_convnet, epochs=args.epochs, batch=args.batch
    )
    memory_rates, stream_rates, pipeline_rates = [], [], []
    for repeat in range(args.repeats):  # interleaved, so drift in machine load hits both alike
        memory_rates.append(steps_per_second(in_memory))
        stream_rates.append(steps_per_second(streamed))
        pipeline_rates.append(pipeline_images_per_second(streamed, batch=args.batch))
        print(
            f"repeat {repeat + 1}: in memory {memory_rates[-1]:7.1f} steps/s   streamed "
            f"{stream_rates[-1]:7.1f} steps/s   shard pipeline alone "
            f"{pipeline_rates[-1]:9,.0f} images/s"
        )
    memory, stream = statistics.median(memory_rates), statistics.median(stream_rates)
    pipeline = statistics.median(pipeline_rates)
    ratio = stream / memory
    passed = ratio >= TARGET
    print(
        f"median: in memory {memory:.1f} steps/s ({memory * args.batch:,.0f} images/s), "
        f"streamed {stream:.1f} steps/s ({stream * args.batch:,.0f} images/s), "
        f"ratio {ratio:.3f} (target >= {TARGET}): {'met' if passed else 'MISSED'}"
    )
    print(
        f"shard pipeline alone: {pipeline:,.0f} images/s, "
        f"{pipeline / (memory * args.batch):.1f}x what in-memory training consumes"
    )
    result = {
        "hardware": hardware,
        "examples": len(images),
        "batch": args.batch,
        "in_memory_steps_per_s": memory_rates,
        "streamed_steps_per_s": stream_rates,
        "pipeline_images_per_s": pipeline_rates,
        "ratio": ratio,
        "target": TARGET,
    }
    return finish(result, passed=passed, json_path=args.json)


if __name__ == "__main__":
    sys.exit(main())
