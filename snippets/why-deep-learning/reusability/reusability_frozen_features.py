"""Reusability: features learned on digits 0-4 help learn digits 5-9 from ten examples each."""

import keras
import numpy as np

from dlcv.data import load_digits_images, split_train_test

SEED = 0
keras.utils.set_random_seed(SEED)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=SEED)

# Task A, with plenty of labels: digits 0-4.
is_a = y_train < 5
x_a, y_a = x_train[is_a], y_train[is_a]

# Task B, with only 10 labelled examples per class: digits 5-9, relabelled 0-4.
rng = np.random.default_rng(SEED)
few = np.concatenate(
    [rng.choice(np.flatnonzero(y_train == digit), size=10, replace=False) for digit in range(5, 10)]
)
x_b, y_b = x_train[few], y_train[few] - 5
is_b_test = y_test >= 5
x_b_test, y_b_test = x_test[is_b_test], y_test[is_b_test] - 5


def make_base():
    """The convolutional feature extractor both models share in shape."""
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Flatten(),
        ],
        name="base",
    )


def train(model, x, y, *, epochs, batch_size):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return model


# --8<-- [start:reuse]
base = make_base()
model_a = keras.Sequential([base, keras.layers.Dense(5, activation="softmax")])
train(model_a, x_a, y_a, epochs=15, batch_size=32)

base.trainable = False  # keep what was learned on digits 0-4
reused = keras.Sequential([base, keras.layers.Dense(5, activation="softmax", name="new_head")])
train(reused, x_b, y_b, epochs=40, batch_size=10)

scratch = keras.Sequential([make_base(), keras.layers.Dense(5, activation="softmax")])
train(scratch, x_b, y_b, epochs=40, batch_size=10)
# --8<-- [end:reuse]

# Both models see the same 50 examples for the same number of steps; only the reused one
# starts from features learned on other digits, and it trains far fewer weights. On these
# small 8x8 digits a network trained from scratch is already strong with 50 examples, so
# the two accuracies come out close: which one is ahead depends on the seed, by a few points.
print(f"Digits 0-4: {len(x_a):,} labelled examples to learn features from")
print(f"Digits 5-9: {len(x_b)} labelled examples (10 per class), {len(x_b_test)} test images")
print()
print("Model on digits 5-9                  Trainable weights  Test accuracy")
for name, model in [
    ("frozen 0-4 features + new head", reused),
    ("same network from scratch", scratch),
]:
    _, accuracy = model.evaluate(x_b_test, y_b_test, verbose=0)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"{name:<35}  {trainable:>17,}  {accuracy:>13.3f}")
