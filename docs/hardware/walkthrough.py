# %% [markdown]
# # Hardware: a walkthrough notebook
#
# What the machine running this notebook offers, how fast it multiplies matrices, and one
# training call that picks its `tf.distribute` strategy and precision from the hardware and
# resumes from its checkpoints. On Colab, choose a GPU or TPU runtime and run it again: the
# code stays the same, the choices and the numbers change. The build ran it on the machine named
# in each output below.

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
import tempfile

import keras
import numpy as np
import tensorflow as tf

import dlcv

keras.utils.set_random_seed(0)

# %% [markdown]
# ## What TensorFlow sees
#
# Devices, their memory where TensorFlow reports it, and the CUDA and cuDNN versions this
# TensorFlow was built with ([GPUs, CUDA and TPUs](../gpus-tpus-and-cuda/)).

# %%
print(dlcv.format_hardware(dlcv.describe_hardware()))

# %% [markdown]
# ## How fast a matrix product runs here
#
# A product of two n-by-n matrices takes about 2n³ floating-point operations; dividing by the
# measured time gives the throughput the device sustains
# ([accelerators compared](../accelerators/)).

# %%
for n in (256, 512, 1024):
    m = dlcv.time_matmul(n, repeats=5)
    print(
        f"n={n:>5}: {m.seconds * 1e3:7.2f} ms per product, {m.flops_per_second / 1e9:7.1f} GFLOP/s"
    )

# %% [markdown]
# ## One training call for every machine
#
# `dlcv.setup_hardware` picks the strategy (TPU, several machines, several GPUs, one device)
# and the precision policy, and says what it chose; `dlcv.train` trains under it and writes
# checkpoints ([scaling out](../scaling-out/), [precision](../precision/)).

# %%
setup = dlcv.setup_hardware()
images, labels = dlcv.load_digits_images()
x_train, x_test, y_train, y_test = dlcv.split_train_test(images, labels, seed=0)
checkpoints = tempfile.mkdtemp()
for epochs in (2, 4):  # the second call resumes after epoch 2 instead of starting over
    with setup.strategy.scope():
        model = dlcv.digits_convnet(softmax=True)  # its softmax in float32, any policy
        optimizer = keras.optimizers.Adam(1e-2)
    history = dlcv.train(
        model,
        tf.data.Dataset.from_tensor_slices((x_train, y_train)),
        loss="sparse_categorical_crossentropy",
        optimizer=optimizer,
        epochs=epochs,
        global_batch_size=setup.global_batch_size(32),
        strategy=setup.strategy,
        validation_data=tf.data.Dataset.from_tensor_slices((x_test, y_test)),
        checkpoint_dir=checkpoints,
        verbose=0,
    )
    print(
        f"epochs={epochs}: resumed from {history.resumed_from}, "
        f"validation accuracy {history.last('val_accuracy'):.3f}"
    )

# %% [markdown]
# ## Fewer bits, fewer weights
#
# `dlcv.quantize_int8` stores a kernel as int8 values with one scale per output unit,
# and `dlcv.magnitude_prune` zeroes its smallest weights
# ([efficient inference](../efficient-inference/)).

# %%
kernel = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
q, scale = dlcv.quantize_int8(kernel, channel_axis=-1)
error = np.abs(dlcv.dequantize_int8(q, scale) - kernel).max()
pruned, mask = dlcv.magnitude_prune(kernel, 0.75)
print(f"int8: {q.nbytes} bytes + {scale.nbytes} of scales, error at most {error:.4f}")
print(f"pruned: {np.count_nonzero(pruned)} of {kernel.size} weights left")
