"""Train one model on two machines, here two processes on this one, and check they
agree.

Each worker learns its place in the cluster from the TF_CONFIG environment variable,
builds the same model under MultiWorkerMirroredStrategy, and trains on its half of every
global batch; the gradients are summed across workers at each step, so both end with
identical weights.
"""

# budget: 40 s — it starts two TensorFlow processes (most of the cost is importing
# TensorFlow twice) that train one epoch side by side
import json
import os
import subprocess
import sys

import keras
import numpy as np
import tensorflow as tf

import dlcv


def worker() -> None:
    keras.utils.set_random_seed(0)
    # TF_CONFIG names two workers: MultiWorkerMirroredStrategy
    strategy = dlcv.pick_strategy()
    images, labels = dlcv.load_digits_images()
    data = tf.data.Dataset.from_tensor_slices((images, labels))
    with strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Flatten(),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        optimizer = keras.optimizers.Adam(1e-2)
    history = dlcv.train(
        model,
        data,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=optimizer,
        epochs=1,
        global_batch_size=64,  # 32 examples per worker per step
        strategy=strategy,
        verbose=0,
    )
    checksum = float(sum(np.abs(w.numpy()).sum() for w in model.weights))
    print(
        json.dumps(
            {
                "multi_worker": isinstance(
                    strategy, tf.distribute.MultiWorkerMirroredStrategy
                ),
                "replicas": history.replicas,
                "loss": history.last("loss"),
                "checksum": checksum,
            }
        )
    )


def launch() -> None:
    procs = []
    # The same cluster of two workers on 127.0.0.1, each process told its own index.
    for tf_config in dlcv.local_tf_configs(2):
        env = dict(os.environ, TF_CONFIG=tf_config)
        procs.append(
            subprocess.Popen(
                [sys.executable, __file__, "--worker"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = []
    for index, proc in enumerate(procs):
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"worker {index} failed:\n{stderr[-2000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    for index, r in enumerate(results):
        print(
            f"worker {index}: MultiWorkerMirroredStrategy {r['multi_worker']}, "
            f"{r['replicas']} replicas in sync, "
            f"final loss {r['loss']:.6f}, weight checksum {r['checksum']:.6f}"
        )
    same = (
        results[0]["loss"] == results[1]["loss"]
        and results[0]["checksum"] == results[1]["checksum"]
    )
    print("both workers hold the same model:", same)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker()
    else:
        launch()
