"""One network, one seed, three learning rates: too small, about right and too large."""

import math

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.scratch import init_mlp_params, mlp_forward, relu, sgd_step

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(
    images, labels, test_fraction=0.25, seed=0
)
x_train = x_train.reshape(len(x_train), -1)
x_test = x_test.reshape(len(x_test), -1)
step = tf.function(sgd_step)


def train(learning_rate, *, epochs=12, batch_size=32):
    """Minibatch SGD from the same initial weights, in the same example order, every
    time."""
    params = init_mlp_params([64, 32, 10], seed=0)
    order = np.random.default_rng(0)
    curve = []
    for _ in range(epochs):
        # Whole batches only (the few examples left over differ each epoch): one batch
        # shape means the compiled step is traced once per learning rate.
        batches = order.permutation(len(x_train))[
            : len(x_train) // batch_size * batch_size
        ]
        losses = [
            float(
                step(
                    x_train[batch], y_train[batch], params, learning_rate=learning_rate
                )
            )
            for batch in batches.reshape(-1, batch_size)
        ]
        curve.append(np.mean(losses))  # the mean minibatch loss over the epoch
    return params, curve


runs = {rate: train(rate) for rate in (0.01, 0.3, 3.0)}

print("learning rate  final training loss  test accuracy  hidden units never active")
for rate, (params, curve) in runs.items():
    accuracy = np.mean(np.argmax(mlp_forward(x_test, params), axis=1) == y_test)
    kernel, bias = params[0]
    hidden = relu(x_train @ kernel.numpy() + bias.numpy()).numpy()
    silent = int(np.sum(hidden.max(axis=0) == 0))
    print(f"{rate:>13}  {curve[-1]:>19.3f}  {accuracy:>13.3f}  {silent:>16} of 32")

use_style()
fig = Figure(figsize=(5.6, 3.5))
ax = fig.subplots()
labels_for = {0.01: "too small", 0.3: "about right", 3.0: "too large"}
for (rate, (_, curve)), style in zip(runs.items(), ["-o", "-s", "-^"], strict=True):
    epochs = range(1, len(curve) + 1)
    ax.plot(epochs, curve, style, markersize=4, label=f"{rate} ({labels_for[rate]})")
# A network that gives every digit probability 1/10 has loss ln 10, whatever the input.
ax.axhline(math.log(10), color="grey", linestyle="--", linewidth=1)
ax.text(
    12,
    math.log(10) + 0.05,
    "uniform guess, ln 10",
    ha="right",
    va="bottom",
    color="grey",
)
ax.set_xlabel("epoch")
ax.set_ylabel("mean training loss (cross-entropy)")
ax.set_ylim(bottom=0)
ax.legend(title="learning rate")
save_figure(
    fig,
    "learning_rates.png",
    caption="Training loss at three learning rates",
    alt=(
        "Training loss per epoch for the same network trained with minibatch SGD at "
        "three learning rates. At 0.01 the loss falls slowly and is still high after "
        "12 epochs; at 0.3 it drops steeply in the first epochs and keeps falling "
        "towards zero; at 3.0 it stays at or above the dashed line of a uniform guess "
        "(ln 10) throughout."
    ),
)
