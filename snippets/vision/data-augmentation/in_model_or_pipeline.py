"""The same augmentation placed inside the model or in the tf.data pipeline, and what
each does."""

import tempfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from skimage import data

keras.utils.set_random_seed(0)
SIZE = 64

names = ("chelsea", "coffee", "astronaut", "rocket")
images = np.stack(
    [
        tf.image.resize(getattr(data, name)() / 255.0, (SIZE, SIZE)).numpy()
        for name in names
    ]
).astype("float32")
labels = np.arange(len(names))


def changed(before: object, after: object) -> bool:
    """Whether any pixel differs between two batches of images."""
    return not np.array_equal(
        keras.ops.convert_to_numpy(before), keras.ops.convert_to_numpy(after)
    )


# --8<-- [start:placement]
augment = keras.layers.Pipeline(
    [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.05),
        keras.layers.RandomZoom(0.1),
    ],
    name="augment",
)

inputs = keras.Input((SIZE, SIZE, 3))
augmented = augment(inputs)  # active only when the model runs in training mode
x = keras.layers.Conv2D(8, 3, activation="relu")(augmented)
x = keras.layers.GlobalAveragePooling2D()(x)
outputs = keras.layers.Dense(len(names), activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(images, labels, epochs=1, verbose=0)  # fit runs it with training=True

# A second model that stops after the augmentation, to look at what the classifier
# receives.
seen = keras.Model(inputs, augmented)
print("Inside the model:")
print(f"  runs on: {seen(images, training=True).device.split('/')[-1]}")
calls = {
    "model(x, training=True)": seen(images, training=True),
    "model(x, training=False)": seen(images, training=False),
    "model.predict(x)": seen.predict(images, verbose=0),
    "model(x), no training argument": seen(images),
}
for call, result in calls.items():
    print(f"  {call:<31} changes the images: {changed(images, result)}")
same = not changed(model.predict(images, verbose=0), model.predict(images, verbose=0))
print(f"  two calls of model.predict give equal outputs: {same}")

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "classifier.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
kinds = [type(layer).__name__ for layer in restored.get_layer("augment").layers]
print(f"  saved and reloaded with the model: {kinds}")

AUTOTUNE = tf.data.AUTOTUNE
base = tf.data.Dataset.from_tensor_slices((images, labels)).batch(len(names))
pipeline = base.map(
    lambda x, y: (augment(x, training=True), y),
    num_parallel_calls=AUTOTUNE,
    # the CPU prepares the next batch while the model trains on this one
).prefetch(AUTOTUNE)
cached_after = base.map(lambda x, y: (augment(x, training=True), y)).cache()
cached_before = base.cache().map(lambda x, y: (augment(x, training=True), y))


def two_epochs(dataset: tf.data.Dataset) -> tuple[tf.Tensor, tf.Tensor]:
    """The first batch of images in two successive passes over `dataset`."""
    return next(iter(dataset))[0], next(iter(dataset))[0]


print("In the tf.data pipeline:")
first, second = two_epochs(pipeline)
print(f"  runs on: {first.device.split('/')[-1]}")
print(f"  map(augment):          new draws in every epoch: {changed(first, second)}")
print(
    f"  map(augment).cache():  new draws in every epoch: "
    f"{changed(*two_epochs(cached_after))}"
)
print(
    f"  cache().map(augment):  new draws in every epoch: "
    f"{changed(*two_epochs(cached_before))}"
)
# --8<-- [end:placement]
