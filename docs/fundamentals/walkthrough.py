# %% [markdown]
# # Fundamentals: a walkthrough notebook
#
# The chapter's ideas in one runnable notebook: images as tensors, a layer as a few tensor
# operations, learning by gradient descent, and the layers of representations a trained
# network builds. Each step links to the page that explains it. The build runs this notebook
# from top to bottom, so every output below comes from that run.

# %%
# On Colab (or anywhere dlcv is missing), install it from its repository first (its distribution
# is dlcv-kb: the name dlcv on PyPI belongs to an unrelated project).
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("dlcv") is None:
    package = "dlcv-kb @ git+https://github.com/dlcv/dlcv"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)

# %%
import keras
import numpy as np
import tensorflow as tf

import dlcv

keras.utils.set_random_seed(0)

# %% [markdown]
# ## Images are tensors
#
# scikit-learn ships 1,797 handwritten digits, 8 by 8 pixels each
# ([tensors and operations](../tensors-and-operations/)).
# A batch of grayscale images is a rank-4 tensor: examples, rows, columns, channels.

# %%
images, labels = dlcv.load_digits_images()
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels, seed=0)
print("images:", images.shape, images.dtype, "labels:", labels.shape, labels.dtype)
print("training and test examples:", len(x_train), len(x_test))

# %% [markdown]
# ## A dense layer is a matrix product, an addition and a nonlinearity
#
# Keras's `Dense` layer computes `relu(x @ W + b)`; writing it out with tensor operations gives
# the same numbers.

# %%
flat = x_train[:5].reshape(5, -1)
layer = keras.layers.Dense(3, activation="relu")
by_keras = layer(flat).numpy()
kernel, bias = layer.get_weights()
by_hand = tf.nn.relu(tf.matmul(flat, kernel) + bias).numpy()
print("largest difference, Keras vs tensor operations:", np.abs(by_keras - by_hand).max())

# %% [markdown]
# ## Learning is gradient descent on a loss
#
# [`dlcv.train`](../../reference/training/) runs minibatch gradient descent under whatever
# `tf.distribute` strategy the machine calls for, here the CPU
# ([how networks learn](../how-networks-learn/)).

# %%
model = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_1"),
        keras.layers.MaxPooling2D(name="pool_1"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
        keras.layers.GlobalAveragePooling2D(name="pool_2"),
        keras.layers.Dense(10, name="logits"),
    ]
)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
history = dlcv.train(
    model,
    tf.data.Dataset.from_tensor_slices((x_train, y_train)),
    loss=loss,
    optimizer=keras.optimizers.Adam(3e-3),
    epochs=8,
    global_batch_size=64,
    verbose=0,
)
test = dlcv.evaluate(
    model,
    tf.data.Dataset.from_tensor_slices((x_test, y_test)),
    loss=loss,
    global_batch_size=64,
)
print(
    f"training loss, first and last epoch: {history.epochs[0]['loss']:.3f}, "
    f"{history.epochs[-1]['loss']:.3f}"
)
print(f"test accuracy: {test['accuracy']:.3f}")

# %% [markdown]
# ## Each layer is a new representation of the input
#
# A linear classifier (a probe) fitted on each layer's output measures how well that
# representation separates the ten digits
# ([layers of representations](../layers-of-representations/)).

# %%
for result in dlcv.probe_layers(
    model, x_train, y_train, x_test, y_test, layer_names=["pool_1", "pool_2"]
):
    print(
        f"{result.name:<8} {result.dimension:>4} values  probe accuracy {result.test_accuracy:.3f}"
    )
