"""A tiny denoising diffusion model on the 8x8 digits, its samples scored by a
separately trained digit classifier, and what that score leaves out."""

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.generative import diffusion_reverse_step, forward_noise, linear_noise_schedule
from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
images, labels = load_digits_images()
pixels = images.reshape(len(images), 64) * 2 - 1  # [-1, 1], as Ho et al. scale images
train_x, test_x, train_y, test_y = split_train_test(pixels, labels, seed=0)

# 100 steps instead of the paper's 1,000: the betas are ten times larger, so that
# almost nothing of the digit is left at the last step, as in the paper.
STEPS = 100
betas, alpha_bars = linear_noise_schedule(STEPS, beta_start=1e-3, beta_end=0.2)
print(f"{STEPS} steps; signal left at the last step: alpha_bar = {alpha_bars[-1]:.1e}")

# The denoiser: an MLP on the 64 noisy pixels and a learned embedding of the step,
# trained to predict the noise that was added (the paper's simplified loss).
noisy, step = keras.Input((64,)), keras.Input((), dtype="int32")
h = layers.Concatenate()([noisy, layers.Embedding(STEPS, 32)(step)])
for _ in range(2):
    h = layers.Dense(256, activation="relu")(h)
denoiser = keras.Model([noisy, step], layers.Dense(64)(h))
denoiser.compile(keras.optimizers.Adam(2e-3), "mse", steps_per_execution=50)
denoiser.optimizer.build(denoiser.trainable_variables)

# Fresh noise and steps for every pass over the digits (Algorithm 1 of Ho et al.).
epochs, batch = 80, 64
order = np.concatenate([rng.permutation(len(train_x)) for _ in range(epochs)])
order = order[: len(order) // (batch * 50) * batch * 50]
t = rng.integers(0, STEPS, size=len(order))
noise = rng.standard_normal((len(order), 64))
x_t = forward_noise(train_x[order], t, alpha_bars, noise)
denoiser.fit([x_t, t], noise, batch_size=batch, shuffle=False, verbose=0)
print(f"denoiser trained for {len(order) // batch} steps of {batch} noisy digits")

# Ancestral sampling (Algorithm 2): start from pure noise, remove it step by step.
count = 300
x = rng.standard_normal((count, 64))
for step_index in reversed(range(STEPS)):
    steps = np.full(count, step_index, dtype="int32")
    predicted = np.asarray(denoiser([x, steps], training=False), dtype=np.float64)
    z = rng.standard_normal(x.shape)
    x = diffusion_reverse_step(x, step_index, predicted, betas, z, variance="posterior")
samples = np.clip(x, -1, 1)

# A separately trained classifier: the judge, trained only on real digits.
judge = keras.Sequential(
    [keras.Input((64,)), layers.Dense(128, activation="relu"), layers.Dense(10)]
)
judge.compile(
    keras.optimizers.Adam(3e-3),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    steps_per_execution=21,
)
judge.fit(train_x[:1344], train_y[:1344], batch_size=64, epochs=15, verbose=0)


def judged(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probabilities = keras.ops.softmax(judge(digits, training=False))
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return probabilities.argmax(axis=1), probabilities.max(axis=1)


def score(name: str, digits: np.ndarray) -> None:
    """Mean confidence, classes covered, and how evenly (entropy / log 10)."""
    predicted, confidence = judged(digits)
    shares = np.bincount(predicted, minlength=10) / len(predicted)
    seen = shares[shares > 0]
    evenness = -(seen * np.log(seen)).sum() / np.log(10)
    print(
        f"{name:<16} {confidence.mean():>10.3f} {np.count_nonzero(shares):>8}"
        f" {evenness:>9.3f}  " + " ".join(f"{round(100 * s):>2}" for s in shares)
    )


accuracy = np.mean(judged(test_x)[0] == test_y)
print(f"judge's accuracy on {len(test_x)} held-out real digits: {accuracy:.3f}\n")
print(f"{'':<16} {'confidence':>10} {'classes':>8} {'evenness':>9}  % per class 0-9")
score("real test digits", test_x)
score("diffusion", samples)
score("pure noise", rng.standard_normal((count, 64)).clip(-1, 1))


# What the score does not see: copies of training digits, and variety within a class.
def nearest(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each digit's distance to its nearest training digit, and that digit's index."""
    squared = (
        (digits**2).sum(1)[:, None] + (train_x**2).sum(1)[None] - 2 * digits @ train_x.T
    )
    closest = squared.argmin(axis=1)
    return np.sqrt(np.maximum(squared.min(axis=1), 0)), closest


def spread(digits: np.ndarray, classes: np.ndarray) -> float:
    """Mean distance between two digits of the same class, over the classes."""
    means = []
    for label in np.unique(classes):
        group = digits[classes == label]
        if len(group) > 1:
            d = np.linalg.norm(group[:, None] - group[None], axis=-1)
            means.append(d.sum() / (len(group) * (len(group) - 1)))
    return float(np.mean(means))


print("\ndistance (pixels in [-1, 1]) to the nearest training digit, median")
sample_distance, sample_nearest = nearest(samples)
print(f"real test digits {np.median(nearest(test_x)[0]):.2f}")
print(f"diffusion        {np.median(sample_distance):.2f}")
print("mean distance between two digits of the same class")
print(f"real test digits {spread(test_x, judged(test_x)[0]):.2f}")
print(f"diffusion        {spread(samples, judged(samples)[0]):.2f}")

use_style()
shown = [0, 10, 25, 50, 75, 99]
fig = Figure(figsize=(5.6, 1.5))
axes = fig.subplots(1, len(shown))
ahead = forward_noise(
    np.repeat(test_x[:1], len(shown), axis=0),
    np.array(shown),
    alpha_bars,
    np.repeat(rng.standard_normal((1, 64)), len(shown), axis=0),
)
for ax, digit, index in zip(axes, ahead, shown, strict=True):
    ax.imshow(digit.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_title(f"t = {index + 1}")
    ax.set_axis_off()
save_figure(
    fig,
    "forward_noising.png",
    caption="One test digit noised by q(x_t | x_0) at six steps of 100",
    alt=(
        "Six 8 by 8 images of the same test digit, noised in closed form to steps "
        "1, 11, 26, 51, 76 and 100 of a 100-step linear schedule with one fixed "
        "noise draw: the digit is clear at first and fades into grey noise."
    ),
)

fig = Figure(figsize=(5.6, 4.2))
grid = fig.subplots(4, 8)
predicted, confidence = judged(samples)
for pair in range(2):
    for col in range(8):
        index = 8 * pair + col
        top, bottom = grid[2 * pair, col], grid[2 * pair + 1, col]
        top.imshow(samples[index].reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        top.set_title(f"{predicted[index]} ({confidence[index]:.2f})")
        nearest_digit = train_x[sample_nearest[index]]
        bottom.imshow(nearest_digit.reshape(8, 8), cmap="gray_r", vmin=-1, vmax=1)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
    grid[2 * pair, 0].set_ylabel("sample")
    grid[2 * pair + 1, 0].set_ylabel("nearest")
save_figure(
    fig,
    "samples_and_nearest.png",
    caption="Sixteen diffusion samples, each above its nearest training digit",
    alt=(
        "Four rows of eight 8 by 8 images. Rows one and three are samples from the "
        "diffusion model, each titled with the class the judge classifier gives it "
        "and its confidence; rows two and four show, under each sample, the training "
        "digit closest to it in pixel distance."
    ),
)
