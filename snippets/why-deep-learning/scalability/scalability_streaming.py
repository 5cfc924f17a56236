"""Scalability: stream 1x, 10x and 50x more examples through the same code; memory stays flat."""

# output varies: peak memory is a measurement, and moves by a MiB or so from run to run

import resource
import sys

import keras
import tensorflow as tf

from dlcv.data import load_digits_images, split_train_test

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)


def peak_memory_mib():
    """Peak resident memory of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


# --8<-- [start:stream]
shift = keras.layers.RandomTranslation(
    1 / 8, 1 / 8, fill_mode="constant", interpolation="nearest", seed=1
)


def augment(images, labels):
    # A fresh variant of every digit each time it streams past: shifted by up to one pixel
    # and lightly noised. Variants are made as they are needed and never stored.
    images = shift(images, training=True)
    images = images + tf.random.normal(tf.shape(images), stddev=0.05, seed=2)
    return tf.clip_by_value(images, 0.0, 1.0), labels


def stream(times):
    """The training set, `times` times over, as augmented minibatches of 64."""
    dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    dataset = dataset.shuffle(len(x_train), seed=0).repeat(times).batch(64)
    return dataset.map(augment).prefetch(tf.data.AUTOTUNE)


def train(dataset):
    """The same training code whatever the amount of data: one pass over `dataset`."""
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    # The pipeline shuffles; Keras's own `shuffle` cannot apply to a Dataset (and warns).
    model.fit(dataset, epochs=1, shuffle=False, verbose=0)
    return model


# --8<-- [end:stream]

print(f"{'Data':>4}  {'Examples seen':>13}  {'Steps':>5}  {'Test accuracy':>13}  Peak memory")
for times in (1, 10, 50):
    model = train(stream(times))
    steps = int(model.optimizer.iterations)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"{times:>3}x  {times * len(x_train):>13,}  {steps:>5,}  {accuracy:>13.3f}  "
        f"{peak_memory_mib():>7.0f} MiB"
    )
