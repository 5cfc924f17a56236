"""A dense network written with tensor operations alone learns the digits and equals
Keras."""

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.scratch import init_mlp_params, mlp_forward, sgd_step, softmax

keras.utils.set_random_seed(0)

# (examples, 64): one row of pixels per image
images, labels = load_digits_images(flatten=True)
x_train, x_test, y_train, y_test = split_train_test(
    images, labels, test_fraction=0.25, seed=0
)

params = init_mlp_params([64, 32, 10], seed=0)  # [(kernel (64, 32), bias (32,)), (...)]
step = tf.function(sgd_step)  # traced once into a graph: the same maths, run faster
order = np.random.default_rng(0)
batch_size = 32
for epoch in range(1, 21):
    shuffled = order.permutation(len(x_train))
    losses = []
    for start in range(0, len(x_train), batch_size):
        batch = shuffled[start : start + batch_size]
        loss = step(x_train[batch], y_train[batch], params, learning_rate=0.1)
        losses.append(float(loss))
    if epoch % 5 == 0:
        print(f"epoch {epoch:>2}: mean training loss {np.mean(losses):.4f}")

probabilities = softmax(mlp_forward(x_test, params)).numpy()
accuracy = np.mean(probabilities.argmax(axis=1) == y_test)
print(f"from-scratch network, test accuracy: {accuracy:.3f}")

model = keras.Sequential(
    [
        keras.Input(shape=(64,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
# Keras stores each Dense layer's weights in the same order: kernel, then bias.
model.set_weights([variable.numpy() for pair in params for variable in pair])
keras_probabilities = model.predict(x_test, verbose=0)
difference = np.abs(probabilities - keras_probabilities).max()
print(f"largest difference from the Keras model's probabilities: {difference:.1e}")
same = np.mean(probabilities.argmax(axis=1) == keras_probabilities.argmax(axis=1))
print(f"test digits given the same class by both: {same:.0%}")

use_style()
kernel = params[0][0].numpy()  # column j holds the 64 input weights of hidden unit j
limit = np.abs(kernel).max()
fig = Figure(figsize=(5.6, 3.6))
axes = fig.subplots(4, 8)
for unit, ax in enumerate(axes.flat):
    shown = ax.imshow(
        kernel[:, unit].reshape(8, 8), cmap="RdBu_r", vmin=-limit, vmax=limit
    )
    ax.set_axis_off()
    ax.set_title(str(unit))
fig.colorbar(shown, ax=axes, label="weight", shrink=0.8)
save_figure(
    fig,
    "first_layer_weights.png",
    caption="Input weights of the 32 hidden units, one 8x8 image per unit",
    alt=(
        "A grid of 32 small 8 by 8 images, one per hidden unit of the trained "
        "from-scratch network, showing the weight that unit gives each input pixel: "
        "red for positive, blue for negative. Most show scattered pixels of weak "
        "weight; some show compact strokes of strong positive or negative weight. None "
        "looks like a whole digit."
    ),
)
