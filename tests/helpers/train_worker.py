"""A training process for tests/dlcv/test_training.py: trains a small model with dlcv.train.

Usage: python train_worker.py OUT.npz [--checkpoint-dir DIR] [--epochs N] [--every N]
       [--multi-worker] [--global-batch N] [--kill-between-writes N]

With --kill-between-writes N it SIGKILLs itself during its Nth save, after the state file is
written and before the checkpoint is (dlcv._checkpoints._between_writes).

With --multi-worker it reads TF_CONFIG and trains under MultiWorkerMirroredStrategy.
It saves the final weights and the per-epoch losses to OUT.npz.
"""

from __future__ import annotations

import argparse
import json
import os
import signal

import keras
import numpy as np
import tensorflow as tf

import dlcv
from dlcv import _checkpoints


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--checkpoint-dir")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--every", type=int, default=None)
    parser.add_argument("--multi-worker", action="store_true")
    parser.add_argument("--global-batch", type=int, default=32)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--kill-between-writes", type=int, default=None)
    args = parser.parse_args()

    if args.kill_between_writes is not None:

        def kill(save: int) -> None:
            if save == args.kill_between_writes:
                os.kill(os.getpid(), signal.SIGKILL)

        _checkpoints._between_writes = kill

    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    if args.multi_worker:
        strategy: tf.distribute.Strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.OneDeviceStrategy("/cpu:0")

    images, labels = dlcv.load_digits_images()
    data = tf.data.Dataset.from_tensor_slices((images[:768], labels[:768]))
    with strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Flatten(),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dropout(args.dropout),
                keras.layers.Dense(10),
            ]
        )
        optimizer = keras.optimizers.Adam(1e-3)
    history = dlcv.train(
        model,
        data,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=optimizer,
        epochs=args.epochs,
        global_batch_size=args.global_batch,
        strategy=strategy,
        checkpoint_dir=args.checkpoint_dir,
        checkpoint_every=args.every,
        verbose=1,
    )
    weights = {f"w{i}": v.numpy() for i, v in enumerate(model.weights)}
    np.savez(
        args.out,
        losses=np.array([row["loss"] for row in history.epochs]),
        resumed=np.array(history.resumed_from or (-1, -1)),
        **weights,
    )
    print(json.dumps({"done": True, "replicas": history.replicas}))


if __name__ == "__main__":
    main()
