"""Calibration of a small digit classifier: a reliability diagram, the expected
calibration error, and temperature scaling fitted on a held-out validation split."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    reliability_bins,
)
from dlcv.data import load_digits_images, split_train_val_test
from dlcv.plot import save_figure, use_style
from dlcv.training import digits_convnet

keras.utils.set_random_seed(0)
images, labels = load_digits_images()
# Three parts: train the network, fit the temperature, and measure on the third.
train_x, val_x, test_x, train_y, val_y, test_y = split_train_val_test(
    images, labels, seed=0
)
train_x, train_y = train_x[:608], train_y[:608]  # 19 batches of 32, none short

# A small convnet trained well past the point where its training loss is near zero.
model = digits_convnet(16)
model.compile(
    keras.optimizers.Adam(3e-3),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    steps_per_execution=19,
)
model.optimizer.build(model.trainable_variables)
model.fit(train_x, train_y, batch_size=32, epochs=60, verbose=0)
val_logits = np.asarray(model(val_x, training=False))
test_logits = np.asarray(model(test_x, training=False))


def nll(probabilities: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of the true classes."""
    return float(-np.mean(np.log(probabilities[np.arange(len(y)), y] + 1e-12)))


# One number, fitted on the validation split only: the temperature T of softmax(z / T).
temperature = fit_temperature(val_logits, val_y)
print(f"train {len(train_x)}, validation {len(val_x)}, test {len(test_x)} digits")
print(f"temperature fitted on the validation split: T = {temperature:.2f}\n")
before = apply_temperature(test_logits, 1.0)
after = apply_temperature(test_logits, temperature)
print(f"{'on the test split':<20}{'accuracy':>9}{'ECE':>8}{'NLL':>8}")
for name, probabilities in [("before (T = 1)", before), ("after", after)]:
    correct = np.mean(probabilities.argmax(axis=1) == test_y)
    ece = expected_calibration_error(probabilities, test_y, bins=10)
    print(f"{name:<20}{correct:>9.3f}{ece:>8.3f}{nll(probabilities, test_y):>8.3f}")
same = np.array_equal(before.argmax(axis=1), after.argmax(axis=1))
print(f"same predicted class for every test digit: {same}")

# ECE is an estimate that depends on how the confidences are binned.
print(f"\n{'bins':>4}{'ECE before':>12}{'ECE after':>11}")
for bins in (5, 10, 15, 20):
    ece_before = expected_calibration_error(before, test_y, bins=bins)
    ece_after = expected_calibration_error(after, test_y, bins=bins)
    print(f"{bins:>4}{ece_before:>12.3f}{ece_after:>11.3f}")

use_style()
fig = Figure(figsize=(5.6, 3.0))
axes = fig.subplots(1, 2, sharey=True)
centres = (np.arange(10) + 0.5) / 10
panels = [("before", before), (f"after, T = {temperature:.2f}", after)]
for ax, (title, probabilities) in zip(axes, panels, strict=True):
    counts, confidence, accuracy = reliability_bins(probabilities, test_y, bins=10)
    filled = counts > 0
    ax.bar(
        centres[filled],
        accuracy[filled],
        width=0.1,
        edgecolor="black",
        label="accuracy",
    )
    ax.plot(
        confidence[filled],
        confidence[filled],
        "o",
        color="tab:red",
        label="mean confidence",
    )
    ax.plot([0, 1], [0, 1], ":", color="gray")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (bin)")
    ax.set_title(title)
axes[0].set_ylabel("accuracy in the bin")
axes[1].legend(loc="upper left")
save_figure(
    fig,
    "reliability_diagram.png",
    caption="Test-split reliability diagrams before and after temperature scaling",
    alt=(
        "Two reliability diagrams with ten confidence bins from 0 to 1. In each, bars "
        "give the fraction of test digits classified correctly in a bin, red dots the "
        "bin's mean confidence, and a dotted diagonal marks where the two would be "
        "equal. Left: the trained network's probabilities; right: after dividing its "
        "logits by the temperature fitted on the validation split."
    ),
)
