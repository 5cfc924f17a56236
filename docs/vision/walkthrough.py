# %% [markdown]
# # Vision: a walkthrough notebook
#
# A small convnet assembled from the architecture patterns of this section (a VGG-style stem,
# a residual block with squeeze-and-excitation, a depthwise-separable block), what it costs
# layer by layer, how far each layer sees into the image, and how it does on the digits once
# trained. The build ran this notebook; every output below comes from that run.

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
# ## Build a model from blocks
#
# Each `dlcv.apply_*` helper adds one pattern to a functional model and names its layers after
# the block ([architecture patterns](../architectures/)).

# %%
inputs = keras.Input((16, 16, 1))
x = dlcv.apply_vgg_block(inputs, 16, convs=2, batch_norm=True, name="stem")
x = dlcv.apply_residual_block(x, 32, strides=2, se_ratio=4, name="res")
x = dlcv.apply_separable_block(x, 64, strides=2, name="sep")
x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
outputs = keras.layers.Dense(10, name="logits")(x)
model = keras.Model(inputs, outputs, name="small_convnet")

# %% [markdown]
# ## What it costs, layer by layer
#
# `dlcv.profile` counts parameters, multiply-accumulates (one multiply-add is two FLOPs) and
# the memory of each layer's output; a layer it cannot count is listed, never counted as zero.

# %%
cost = dlcv.profile(model)
print(dlcv.format_profile(cost, max_rows=12))
print(
    "parameters equal Keras's count:",
    sum(row.params for row in cost.layers) == model.count_params(),
)

# %% [markdown]
# ## How far each layer sees
#
# The receptive field grows with every convolution and faster after each stride.

# %%
print(dlcv.format_receptive_field(dlcv.receptive_field(model)))

# %% [markdown]
# ## Train it on the digits
#
# The 8-by-8 digits are pasted at random places on a 16-by-16 canvas, so the model must find
# them, not read fixed pixels. Batch normalization evaluates with moving averages of the batch
# statistics; at Keras's default momentum of 0.99 they need several hundred steps to forget
# their starting values, more than this short run takes, so the notebook lowers it to 0.9.

# %%
images, labels = dlcv.load_digits_images()
rng = np.random.default_rng(0)
canvas = np.zeros((len(images), 16, 16, 1), "float32")
for i, (row, col) in enumerate(rng.integers(0, 9, size=(len(images), 2))):
    canvas[i, row : row + 8, col : col + 8] = images[i]
x_train, x_test, y_train, y_test = dlcv.split_train_test(canvas, labels, seed=0)
for layer in model.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
        layer.momentum = 0.9
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
history = dlcv.train(
    model,
    tf.data.Dataset.from_tensor_slices((x_train, y_train)),
    loss=loss,
    optimizer=keras.optimizers.Adam(3e-3),
    epochs=10,
    global_batch_size=64,
    validation_data=tf.data.Dataset.from_tensor_slices((x_test, y_test)),
    verbose=0,
)
for row in history.epochs:
    print(f"epoch {int(row['epoch'])}: validation accuracy {row['val_accuracy']:.3f}")

# %% [markdown]
# ## Noise a digit, then take one step back
#
# A diffusion model's forward process noises a digit in one closed-form step; one reverse step,
# given the noise that was added, moves it back towards the digit
# ([generative models](../generative-models/)).

# %%
betas, alpha_bars = dlcv.linear_noise_schedule(100, beta_start=1e-3, beta_end=0.2)
digit = images[:1].reshape(1, 64) * 2 - 1
noise = np.random.default_rng(0).standard_normal(digit.shape)
noisy = dlcv.forward_noise(digit, 49, alpha_bars, noise)
back = dlcv.diffusion_reverse_step(noisy, 49, noise, betas, np.zeros_like(noise))
for name, x in [("noised to step 50", noisy), ("one step back", back)]:
    print(f"{name}: distance to the digit {np.linalg.norm(x - digit):.2f}")

# %% [markdown]
# ## Attack it, and check its confidence
#
# `dlcv.fgsm` moves every pixel by epsilon along the sign of the loss gradient, and
# `dlcv.expected_calibration_error` compares the model's confidence with its accuracy
# ([robustness and calibration](../robustness-and-calibration/)).

# %%
test_logits = np.asarray(model(x_test, training=False))
probabilities = dlcv.apply_temperature(test_logits, 1.0)
print(f"ECE (10 bins): {dlcv.expected_calibration_error(probabilities, y_test):.3f}")
adversarial = dlcv.fgsm(model, x_test, y_test, 0.05)
adversarial_logits = np.asarray(model(adversarial, training=False))
print(f"accuracy: clean {np.mean(test_logits.argmax(1) == y_test):.3f}, ", end="")
print(f"FGSM at epsilon 0.05 {np.mean(adversarial_logits.argmax(1) == y_test):.3f}")

# %% [markdown]
# ## Two views and the contrastive loss
#
# Self-supervised pre-training needs no labels: two random views of the same digits
# (`dlcv.make_views`: shifts of up to one pixel, and noise) form the positive pairs, and
# SimCLR's NT-Xent loss (`dlcv.nt_xent_loss`) asks each view to pick out its partner among
# the other views of the batch. Here the "embeddings" are the raw pixels of 32 digits, and
# even matched views score no better than a guess, log(2N - 1): after a one-pixel shift the
# pixels barely tell which views belong together. That is what a pre-trained encoder learns.

# %%
view1, view2 = dlcv.make_views(images[:32], seed=0)
flat1, flat2 = view1.reshape(32, -1), view2.reshape(32, -1)
print(f"guess, log(2N - 1):  {np.log(2 * 32 - 1):.3f}")
print(f"matched views:       {float(dlcv.nt_xent_loss(flat1, flat2, temperature=0.1)):.3f}")
shuffled = np.roll(flat2, 1, axis=0)
print(f"mismatched views:    {float(dlcv.nt_xent_loss(flat1, shuffled, temperature=0.1)):.3f}")
