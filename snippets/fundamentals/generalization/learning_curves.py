"""Learning curves of a large network on few digits: training loss falls, validation
loss turns."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_val_test
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)

images, labels = load_digits_images(flatten=True)
# The test set (25 %) is set aside first and used once, at the very end. The validation
# set (30 % of what remains) guides choices during training.
x_train, x_val, x_test, y_train, y_val, y_test = split_train_val_test(
    images, labels, val_fraction=0.3, test_fraction=0.25, seed=0
)
# Only 150 training digits, so that a network with many parameters can memorise them.
x_train, y_train = x_train[:150], y_train[:150]

model = keras.Sequential(
    [
        keras.Input((64,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    validation_data=(x_val, y_val),
    epochs=25,
    batch_size=32,
    verbose=0,
).history

best = int(np.argmin(history["val_loss"]))
print(f"Examples: {len(x_train)} train, {len(x_val)} validation, {len(x_test)} test")
parameters = model.count_params()
print(
    f"Parameters: {parameters:,} (about {parameters // len(x_train):,} per training "
    f"example)"
)
print()
print("Epoch  Train loss  Val. loss  Train acc.  Val. acc.")
for epoch in sorted({0, 4, best, 24}):
    print(
        f"{epoch + 1:>5}  {history['loss'][epoch]:>10.3f}  "
        f"{history['val_loss'][epoch]:>9.3f}  {history['accuracy'][epoch]:>10.3f}  "
        f"{history['val_accuracy'][epoch]:>9.3f}"
    )
print(f"Lowest validation loss at epoch {best + 1}")
_, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy after all 25 epochs: {test_accuracy:.3f}")

use_style()
fig = Figure(figsize=(5.6, 3.0))
loss_ax, acc_ax = fig.subplots(1, 2)
epochs = np.arange(1, len(history["loss"]) + 1)
for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
    ax.plot(epochs, history[metric], label="training")
    ax.plot(epochs, history[f"val_{metric}"], label="validation")
    ax.axvline(best + 1, color="grey", linestyle="--", label="lowest validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
loss_ax.set_yscale("log")
loss_ax.legend()
save_figure(
    fig,
    "learning_curves.png",
    caption="Loss and accuracy on training and validation data, per epoch",
    alt=(
        "Two panels of learning curves over 25 epochs for a two-hidden-layer network "
        "trained on 150 digits. Left, loss on a log scale: the training loss keeps "
        "falling towards zero while the validation loss falls at first, then levels "
        "off at a much higher value around the epoch marked by a dashed line. Right, "
        "accuracy: training accuracy reaches 1.0 and stays there while validation "
        "accuracy levels off well below it."
    ),
)
