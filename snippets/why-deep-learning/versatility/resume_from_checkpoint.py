"""Training that stops can resume from its last checkpoint, and ends where it would have
ended."""

import hashlib
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dlcv.data import load_digits_images, split_train_test
from dlcv.training import History, train

keras.utils.set_random_seed(0)
# Bit-for-bit equal runs need deterministic kernels, not only fixed seeds.
tf.config.experimental.enable_op_determinism()

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
data = tf.data.Dataset.from_tensor_slices((x_train, y_train))


def build_model(hidden: int = 32) -> keras.Model:
    keras.utils.set_random_seed(0)  # the same starting weights in every run
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def run(model: keras.Model, epochs: int, checkpoint_dir: str | None = None) -> History:
    return train(
        model,
        data,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.Adam(1e-3),
        epochs=epochs,
        global_batch_size=32,
        checkpoint_dir=checkpoint_dir,
        verbose=0,
    )


# The reference: six epochs in one go.
reference = build_model()
run(reference, epochs=6)

# A run that stops after three of its six epochs (a crash, a preempted machine, a time
# limit).
run(build_model(), epochs=3, checkpoint_dir="checkpoints")

# Later, a new process builds the same model from scratch and calls `train` with the
# same folder: it restores the weights, the optimizer state and the position, and runs
# the remaining epochs.
model = build_model()
history = run(model, epochs=6, checkpoint_dir="checkpoints")
print(f"Resumed from (epoch, step): {history.resumed_from}")
print("Epoch  Training loss")
for row in history.epochs:
    print(f"{int(row['epoch']):>5}  {row['loss']:.4f}")
same = all(
    np.array_equal(a, b)
    for a, b in zip(model.get_weights(), reference.get_weights(), strict=True)
)
print(f"Final weights equal to an uninterrupted six-epoch run, bit for bit: {same}")
print()


def fingerprint(folder: str) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        for p in sorted(Path(folder).iterdir())
        if p.is_file()
    }


before = fingerprint("checkpoints")
try:
    # a different model
    run(build_model(hidden=64), epochs=8, checkpoint_dir="checkpoints")
except ValueError as error:
    print(f"ValueError: {error}")
unchanged = fingerprint("checkpoints") == before
print(f"Checkpoint files byte-identical after the refused resume: {unchanged}")
