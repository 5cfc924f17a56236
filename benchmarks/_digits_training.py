"""What the training benchmarks share: a small convnet for the 8x8 digits, and `dlcv.train`'s
steps per second on it.

`streaming_vs_memory.py` and `train_vs_fit.py` import it from beside them: running a script puts
its folder first on `sys.path`.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from dlcv.training import train


def make_convnet(*, convs: int = 1, hidden: int | None = None) -> keras.Model:
    """`convs` 3x3 convolutions of 32 filters, 2x2 max pooling, a dense layer of `hidden` ReLU
    units (none when `None`), and 10 logits."""
    conv = [keras.layers.Conv2D(32, 3, padding="same", activation="relu") for _ in range(convs)]
    dense = [] if hidden is None else [keras.layers.Dense(hidden, activation="relu")]
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            *conv,
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            *dense,
            keras.layers.Dense(10),
        ]
    )


def train_steps_per_second(
    make_model: Callable[[], keras.Model], data: tf.data.Dataset, *, epochs: int, batch: int
) -> float:
    """`dlcv.train`'s steps per second on a model `make_model` builds after seeding, over every
    epoch but the first (it traces the step and warms up)."""
    keras.utils.set_random_seed(0)
    history = train(
        make_model(),
        data,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.Adam(1e-3),
        epochs=epochs,
        global_batch_size=batch,
        accuracy=False,
        verbose=0,
    )
    later = history.epochs[1:]
    return sum(row["steps"] for row in later) / sum(row["seconds"] for row in later)
