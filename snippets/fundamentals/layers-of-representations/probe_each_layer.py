"""A linear probe on each layer's output: deeper layers of a trained convnet separate
the digits."""

import keras
import numpy as np

from dlcv.data import load_digits_images, split_train_test
from dlcv.probing import probe_layers

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
# Each 8x8 digit is pasted at a random place on a 12x12 canvas. A digit's identity no
# longer sits in fixed pixels, so a linear classifier on the raw pixels does poorly.
rng = np.random.default_rng(0)
canvas = np.zeros((len(images), 12, 12, 1), dtype="float32")
for i, (row, col) in enumerate(rng.integers(0, 5, size=(len(images), 2))):
    canvas[i, row : row + 8, col : col + 8] = images[i]
x_train, x_test, y_train, y_test = split_train_test(
    canvas, labels, test_fraction=0.25, seed=0
)


def build_convnet() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(
                16, 3, padding="same", activation="relu", name="conv_1"
            ),
            keras.layers.MaxPooling2D(2, name="pool_1"),
            keras.layers.Conv2D(
                32, 3, padding="same", activation="relu", name="conv_2"
            ),
            keras.layers.MaxPooling2D(2, name="pool_2"),
            keras.layers.Conv2D(
                64, 3, padding="same", activation="relu", name="conv_3"
            ),
            keras.layers.GlobalMaxPooling2D(name="global_pool"),
            keras.layers.Dense(10, activation="softmax", name="output"),
        ]
    )


# The same architecture twice: one left at its random initial weights as a control.
untrained = build_convnet()
trained = build_convnet()
trained.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
trained.fit(x_train, y_train, epochs=10, batch_size=64, verbose=0)

stages = ["pool_1", "pool_2", "global_pool"]
results = {
    "untrained": probe_layers(
        untrained, x_train, y_train, x_test, y_test, layer_names=stages
    ),
    "trained": probe_layers(
        trained, x_train, y_train, x_test, y_test, layer_names=stages
    ),
}

_, accuracy = trained.evaluate(x_test, y_test, verbose=0)
print(f"Trained convnet's own test accuracy: {accuracy:.3f}")
print()
print("Linear probe test accuracy on each representation (450 held-out digits)")
print("Representation  Values  Untrained weights  Trained weights")
for before, after in zip(results["untrained"], results["trained"], strict=True):
    print(
        f"{after.name:<14}  {after.dimension:>6}  {before.test_accuracy:>17.3f}  "
        f"{after.test_accuracy:>15.3f}"
    )
unconverged = [r.name for rs in results.values() for r in rs if not r.converged]
print(f"Probes that hit the iteration limit: {unconverged or 'none'}")
