"""Images per second from a folder of JPEGs: dlcv against Keras and bare decode + resize.

The script writes a folder of JPEGs (crops of varied size from scikit-image's bundled photos,
one class per photo), then times pipelines that all read every file, decode it to RGB,
resize it bilinearly to `--image-size` and batch `--batch` images, with no shuffle:

- dlcv: `dlcv.data.make_folder_dataset(value_range=(0, 255))`, after one `scan_image_folder`
  (timed separately). Its batches equal Keras's exactly (the script checks), so the two do the
  same work;
- keras: `keras.utils.image_dataset_from_directory`, whose images are float32 in [0, 255];
- ceiling: `tf.data.Dataset.from_tensor_slices(paths).map(read_file + tf.io.decode_jpeg +
  tf.image.resize, AUTOTUNE).batch().prefetch(AUTOTUNE)`, nothing else: what this stage can
  give on this machine;
- dlcv-unit: `make_folder_dataset` with its default `value_range=(0, 1)`, which adds one
  multiplication per image; reported, not part of the target.

Each pipeline runs one warm-up epoch, then `--repeats` timed epochs, interleaved (the order
rotates every repeat, so a change in the machine's load hits all of them alike); the medians
are compared. The target is dlcv >= 1.0x keras in images per second. dlcv and Keras do the
same work here, so their true ratio is 1.0 and a run lands a little above or below it: the
script also gives a 95% bootstrap interval for the median of the per-repeat ratios (each
repeat times the two within seconds of each other), says "met" when the ratio is at least
1.0, "parity" when it is below 1.0 but the interval reaches 1.0 (the shortfall is within the
run's noise), and exits with status 1 only when the interval lies below 1.0, that is when
dlcv is measurably slower. It also reports the CPU time each pipeline spends per image
(all threads of the process), which a busy machine disturbs far less than the wall-clock rate:
on a shared machine, read the two together. Run:

    .venv/bin/python benchmarks/folder_pipeline.py [--images 2000] [--repeats 11] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from _results import finish
from PIL import Image
from skimage import data

from dlcv.data import make_folder_dataset, scan_image_folder
from dlcv.hardware import describe_hardware, format_hardware

TARGET = 1.0
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def write_folder(root: Path, images: int, *, low: int, high: int) -> int:
    """Write `images` JPEG crops, side `low` to `high` pixels, one class folder per photo."""
    rng = np.random.default_rng(0)
    total = 0
    for number, name in enumerate(PHOTOS):
        photo = getattr(data, name)()
        folder = root / name
        folder.mkdir()
        count = images // len(PHOTOS) + (number < images % len(PHOTOS))
        for index in range(count):
            side = int(rng.integers(low, min(high, *photo.shape[:2]) + 1))
            row = int(rng.integers(0, photo.shape[0] - side + 1))
            col = int(rng.integers(0, photo.shape[1] - side + 1))
            crop = photo[row : row + side, col : col + side]
            Image.fromarray(crop).save(folder / f"{index:05d}.jpg", quality=90)
            total += (folder / f"{index:05d}.jpg").stat().st_size
    return total


def ceiling(paths: list[str], size: tuple[int, int], batch: int) -> tf.data.Dataset:
    def load(path: tf.Tensor) -> tf.Tensor:
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        return tf.image.resize(image, size, method="bilinear")

    dataset = tf.data.Dataset.from_tensor_slices(paths)
    return (
        dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch)
        .prefetch(tf.data.AUTOTUNE)
    )


def run_epoch(dataset: tf.data.Dataset) -> tuple[float, float]:
    """One full epoch: images per second of wall time, and CPU milliseconds per image."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = 0
    for batch in dataset:
        images = batch[0] if isinstance(batch, tuple) else batch
        count += int(images.shape[0])
    return count / (time.perf_counter() - wall), (time.process_time() - cpu) * 1000 / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="JPEGs to write (default 2000)")
    parser.add_argument("--image-size", type=int, default=160, help="resize target (default 160)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if min(args.images, args.image_size, args.batch, args.repeats) < 1:
        parser.error("--images, --image-size, --batch and --repeats must be at least 1")

    hardware = format_hardware(describe_hardware())
    print(hardware)
    size = (args.image_size, args.image_size)
    with tempfile.TemporaryDirectory(prefix="dlcv-folder-bench-") as folder:
        return run(Path(folder), args, size, hardware)


def run(root: Path, args: argparse.Namespace, size: tuple[int, int], hardware: str) -> int:
    disk = write_folder(root, args.images, low=192, high=320)
    print(
        f"{args.images:,} JPEGs of 192 to 320 pixels a side in {len(PHOTOS)} class folders "
        f"({disk / 2**20:.1f} MiB); resize to {size[0]}x{size[1]} bilinear, batch {args.batch}, "
        f"no shuffle; 1 warm-up epoch, then {args.repeats} timed epochs per pipeline, interleaved"
    )

    start = time.perf_counter()
    report = scan_image_folder(root)
    scan_seconds = time.perf_counter() - start
    assert not report.skipped and not report.converted, report.summary()

    def dlcv(value_range: tuple[float, float]) -> tf.data.Dataset:
        return make_folder_dataset(
            root,
            image_size=size,
            batch_size=args.batch,
            shuffle=False,
            report=report,
            value_range=value_range,
        )

    pipelines = {
        "dlcv": dlcv((0, 255)),
        "keras": keras.utils.image_dataset_from_directory(
            root,
            image_size=size,
            batch_size=args.batch,
            shuffle=False,
            interpolation="bilinear",
            verbose=False,
        ),
        "ceiling": ceiling([str(path) for path in report.paths], size, args.batch),
        "dlcv-unit": dlcv((0, 1)),
    }
    ours, theirs = (next(iter(pipelines[name])) for name in ("dlcv", "keras"))
    if not all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(ours, theirs, strict=True)):
        raise AssertionError("dlcv's and Keras's first batches differ: not the same work")
    for dataset in pipelines.values():
        run_epoch(dataset)  # warm-up: tracing, thread pools, autotuning, page cache

    rates: dict[str, list[float]] = {name: [] for name in pipelines}
    cpu: dict[str, list[float]] = {name: [] for name in pipelines}
    names = list(pipelines)
    for repeat in range(args.repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            rate, milliseconds = run_epoch(pipelines[name])
            rates[name].append(rate)
            cpu[name].append(milliseconds)
        print(
            f"repeat {repeat + 1}: "
            + "   ".join(
                f"{name} {rates[name][-1]:6,.0f} images/s {cpu[name][-1]:5.2f} ms CPU/image"
                for name in names
            )
        )
    medians = {name: statistics.median(values) for name, values in rates.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
    ratio = medians["dlcv"] / medians["keras"]
    paired = np.asarray(rates["dlcv"]) / np.asarray(rates["keras"])
    draws = np.random.default_rng(0).choice(paired, size=(10_000, paired.size))
    low, high = np.percentile(np.median(draws, axis=1), [2.5, 97.5])
    passed = bool(high >= TARGET)
    verdict = "met" if ratio >= TARGET else "parity (within noise)" if passed else "MISSED"
    print(
        "median: "
        + "   ".join(
            f"{name} {medians[name]:,.0f} images/s {cpu_medians[name]:.2f} ms CPU/image"
            for name in names
        )
    )
    print(
        f"dlcv / keras: {ratio:.3f} in images/s (target >= {TARGET}): {verdict}; per-repeat "
        f"ratios {paired.min():.3f} to {paired.max():.3f}, their median {np.median(paired):.3f} "
        f"with 95% interval {low:.3f} to {high:.3f}; "
        f"{cpu_medians['keras'] / cpu_medians['dlcv']:.3f} in images per CPU-second"
    )
    print(
        f"dlcv-unit (output in [0, 1], one more multiplication per image) / keras: "
        f"{medians['dlcv-unit'] / medians['keras']:.3f} in images/s, "
        f"{cpu_medians['keras'] / cpu_medians['dlcv-unit']:.3f} in images per CPU-second"
    )
    for name in ("dlcv", "keras"):
        print(
            f"{name} against the ceiling (bare decode_jpeg + resize): "
            f"{medians[name] / medians['ceiling']:.3f} in images/s, "
            f"{cpu_medians['ceiling'] / cpu_medians[name]:.3f} in images per CPU-second"
        )
    print(
        f"scan_image_folder (reads and checks every file, decodes each once): "
        f"{scan_seconds:.2f} s, {scan_seconds * medians['dlcv'] / args.images:.2f} of a dlcv epoch"
    )
    result = {
        "hardware": hardware,
        "images": args.images,
        "image_size": args.image_size,
        "batch": args.batch,
        "images_per_s": rates,
        "cpu_ms_per_image": cpu,
        "medians": medians,
        "cpu_medians": cpu_medians,
        "ratio": ratio,
        "target": TARGET,
        "interval": [low, high],
        "verdict": verdict,
        "scan_seconds": scan_seconds,
    }
    return finish(result, passed=passed, json_path=args.json)


if __name__ == "__main__":
    sys.exit(main())
