"""Steps per second of `dlcv.train` against Keras `model.fit`, same model, data and device.

Both train the same small convnet on the digits (1,797 8x8 images, repeated 4 times so an epoch
is 112 steps; batch 64, shuffled, Adam), on one device, for the same number of epochs, in this
one process, alternating repeat by repeat. The first epoch of each run is left out (it traces and
compiles the step); steps per second is the steps of the other epochs over their total time, and
the medians over repeats are compared. Target: dlcv at least 0.95x Keras. Run:

    .venv/bin/python benchmarks/train_vs_fit.py [--epochs 6] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf
from _digits_training import make_convnet, train_steps_per_second

import dlcv

BATCH = 64


def make_model() -> keras.Model:
    return make_convnet(convs=2, hidden=64)


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs: object = None) -> None:
        self.times: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        self.times.append(time.perf_counter() - self.start)


def run_fit(data: tf.data.Dataset, epochs: int) -> float:
    keras.utils.set_random_seed(0)
    model = make_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    batches = (
        data.shuffle(10_000, seed=0).batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    )
    steps = int(batches.cardinality())
    timer = EpochTimer()
    model.fit(batches, epochs=epochs, verbose=0, callbacks=[timer], shuffle=False)
    return steps * (epochs - 1) / sum(timer.times[1:])


def run_dlcv(data: tf.data.Dataset, epochs: int) -> float:
    return train_steps_per_second(make_model, data, epochs=epochs, batch=BATCH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(dlcv.format_hardware(dlcv.describe_hardware()))
    images, labels = dlcv.load_digits_images()
    data = tf.data.Dataset.from_tensor_slices((images, labels)).repeat(4)
    fit, ours = [], []
    for i in range(args.repeats):  # interleaved, so drift in machine load hits both alike
        fit.append(run_fit(data, args.epochs))
        ours.append(run_dlcv(data, args.epochs))
        print(
            f"repeat {i + 1}: keras fit {fit[-1]:7.1f} steps/s   dlcv.train {ours[-1]:7.1f} steps/s"
        )
    ratio = statistics.median(ours) / statistics.median(fit)
    print(
        f"median: keras fit {statistics.median(fit):.1f} steps/s, dlcv.train "
        f"{statistics.median(ours):.1f} steps/s, ratio {ratio:.3f} (target >= 0.95)"
    )


if __name__ == "__main__":
    main()
