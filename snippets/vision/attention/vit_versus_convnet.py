"""A tiny vision transformer against a convnet of the same size, trained on more and
more digits, and where the transformer's attention looks."""

# budget: 20 s — twelve trainings from scratch (two models, three sizes, two seeds);
# 16 to 17 s of CPU time measured on a 2-core machine

import keras
import numpy as np
from keras import layers
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dlcv.attention import extract_patches, multi_head_self_attention
from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.probing import count_parameters

keras.utils.set_random_seed(0)


class PositionEmbedding(layers.Layer):
    """A learned vector for each patch position, added to that patch's embedding:
    without it, attention ignores where a patch is."""

    def build(self, input_shape):
        self.positions = self.add_weight(
            shape=input_shape[1:], initializer="random_normal", name="positions"
        )

    def call(self, x):
        return x + self.positions


def tiny_vit(width: int = 32, heads: int = 2) -> keras.Model:
    """One transformer block over the 16 patches (2x2 pixels) of an 8x8 digit."""
    images = keras.Input((8, 8, 1))
    # Patch embedding: a 2x2 convolution with stride 2 is one linear map per patch.
    x = layers.Conv2D(width, 2, strides=2)(images)
    x = layers.Reshape((16, width))(x)
    x = PositionEmbedding()(x)
    y = layers.LayerNormalization(name="norm_1")(x)
    y = layers.MultiHeadAttention(heads, width // heads, name="attention")(y, y)
    x = x + y
    y = layers.LayerNormalization()(x)
    y = layers.Dense(2 * width, activation="gelu")(y)
    x = x + layers.Dense(width)(y)
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(images, layers.Dense(10, activation="softmax")(x))


def small_convnet() -> keras.Model:
    """Three 3x3 convolutions: locality and weight sharing built in. Their widths make
    its parameter count equal to the ViT's."""
    images = keras.Input((8, 8, 1))
    x = layers.Conv2D(15, 3, padding="same", activation="relu")(images)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(23, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(29, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(images, layers.Dense(10, activation="softmax")(x))


builders = {"ViT": tiny_vit, "convnet": small_convnet}
for name, build in builders.items():
    print(f"{name:<8} {count_parameters(build()):>6} parameters")

images, labels = load_digits_images()
train_x, test_x, train_y, test_y = split_train_test(images, labels, seed=0)
sizes, seeds, steps, batch = [100, 300, len(train_x)], [0, 1], 200, 32


def compiled(build):
    """One compiled model per architecture, re-initialised for every run: on a CPU,
    tracing a new model's training step costs more than training it."""
    model = build()
    model.compile(
        keras.optimizers.Adam(3e-3),
        "sparse_categorical_crossentropy",
        steps_per_execution=25,  # fewer trips from Python into TensorFlow
    )
    model.optimizer.build(model.trainable_variables)
    return model, [v.numpy() for v in model.optimizer.variables]


def initial_weights(build, seed: int) -> list[np.ndarray]:
    """The weights a model built with this seed starts from."""
    keras.utils.set_random_seed(seed)
    return build().get_weights()


def fit_and_test(model, fresh_optimizer, weights, size: int, seed: int) -> float:
    """Train from scratch on `size` training digits for a fixed number of updates."""
    model.set_weights(weights)
    for variable, value in zip(model.optimizer.variables, fresh_optimizer, strict=True):
        variable.assign(value)
    rng = np.random.default_rng(seed)
    subset = rng.permutation(len(train_x))[:size]
    # The same number of updates at every size: the subset repeated, reshuffled.
    repeats = steps * batch // size + 1
    order = np.concatenate([rng.permutation(subset) for _ in range(repeats)])
    order = order[: steps * batch]
    model.fit(
        train_x[order], train_y[order], batch_size=batch, shuffle=False, verbose=0
    )
    # One call on all the test digits: cheaper than predict()'s batching machinery.
    predicted = keras.ops.argmax(model(test_x, training=False), axis=1)
    return float(np.mean(keras.ops.convert_to_numpy(predicted) == test_y))


models = {name: compiled(build) for name, build in builders.items()}
# Every run's initial weights, drawn before any training: setting a seed clears
# TensorFlow's kernel cache, and the next run would rebuild its compiled training step,
# at almost the cost of the run itself.
initial = {
    (name, seed): initial_weights(build, seed)
    for name, build in builders.items()
    for seed in seeds
}
print(f"\ntest accuracy on {len(test_x)} digits, mean (min-max) of {len(seeds)} seeds")
print(f"{'train size':>10}" + "".join(f"{name:>21}" for name in builders))
results = {name: [] for name in builders}
for size in sizes:
    row = f"{size:>10}"
    for name in builders:
        scores = [
            fit_and_test(*models[name], initial[name, seed], size, seed)
            for seed in seeds
        ]
        results[name].append(scores)
        row += f"{np.mean(scores):>10.3f} ({min(scores):.3f}-{max(scores):.3f})"
    print(row)
# A gap counts only where the two models' seed ranges do not overlap.
for size, vit, conv in zip(sizes, results["ViT"], results["convnet"], strict=True):
    leader = "ViT" if np.mean(vit) > np.mean(conv) else "convnet"
    gap = abs(np.mean(vit) - np.mean(conv))
    apart = min(vit) > max(conv) or min(conv) > max(vit)
    verdict = "apart" if apart else "overlap: no clear leader"
    print(f"{size:>10} digits: {leader} ahead by {gap:.3f}, seed ranges {verdict}")

# Where the ViT trained on every training digit attends: recompute its attention
# weights with dlcv from the attention layer's input, the first LayerNorm's output.
vit = models["ViT"][0]
normed = keras.Model(vit.input, vit.get_layer("norm_1").output)(test_x)
_, weights = multi_head_self_attention(normed, vit.get_layer("attention"))
# Mean attention distance: how far, in pixels between patch centres, a query looks.
rows, cols = np.divmod(np.arange(16), 4)
centres = 2 * np.stack([rows, cols], axis=1) + 0.5
distance = np.linalg.norm(centres[:, None] - centres[None, :], axis=-1)
print(f"\nuniform attention: mean distance {distance.mean():.2f} pixels")
for head in range(weights.shape[1]):
    mean = (weights[:, head] * distance).sum(axis=-1).mean()
    own = np.diagonal(weights[:, head], axis1=-2, axis2=-1).mean()
    print(f"head {head + 1}: mean distance {mean:.2f} pixels, own patch {own:.2f}")

use_style()
fig = Figure(figsize=(5.6, 3.0))
ax = fig.subplots()
for name, style in zip(builders, ["o-", "s--"], strict=True):
    mean = np.array([np.mean(scores) for scores in results[name]])
    low = mean - [min(scores) for scores in results[name]]
    high = [max(scores) for scores in results[name]] - mean
    ax.errorbar(sizes, mean, yerr=[low, high], fmt=style, capsize=3, label=name)
ax.set_xscale("log")
ax.set_xticks(sizes, [str(size) for size in sizes])
ax.set_xlabel("training digits")
ax.set_ylabel("test accuracy")
ax.legend()
save_figure(
    fig,
    "accuracy_by_training_size.png",
    caption="Test accuracy against training-set size: tiny ViT and convnet",
    alt=(
        f"Test accuracy on {len(test_x)} held-out digits against the number of "
        f"training digits ({', '.join(map(str, sizes))}, log scale) for a tiny vision "
        "transformer (circles, solid line) and a convnet with the same number of "
        "parameters (squares, dashed line); each point is the mean of "
        f"{len(seeds)} seeds and its bar spans their minimum to maximum."
    ),
)

# Three test digits: each one's most inked patch as the query, and the weights with
# which each head's query attends to the 16 patches, drawn over the digit.
patches = extract_patches(test_x[:3], 2)
fig = Figure(figsize=(5.6, 5.6))
grid = fig.subplots(3, 1 + weights.shape[1])
for row in range(3):
    query = int(patches[row].sum(axis=1).argmax())
    top, left = 2 * (query // 4) - 0.5, 2 * (query % 4) - 0.5
    for col, ax in enumerate(grid[row]):
        if col:
            head = weights[row, col - 1, query].reshape(4, 4)
            ax.imshow(head, cmap="viridis", vmin=0, extent=(-0.5, 7.5, 7.5, -0.5))
            ax.set_title(f"head {col}" if row == 0 else "")
        else:
            ax.imshow(test_x[row, ..., 0], cmap="gray_r", vmin=0, vmax=1)
            ax.set_title("query patch" if row == 0 else "")
        ax.add_patch(Rectangle((left, top), 2, 2, fill=False, color="tab:cyan", lw=2))
        ax.set_xticks([])
        ax.set_yticks([])
save_figure(
    fig,
    "attention_maps.png",
    caption="Where each head of the tiny ViT attends from one query patch",
    alt=(
        "A grid of three rows, one per test digit. The first column shows the digit "
        "with a cyan square around its most inked 2 by 2 patch, the query. The other "
        "columns show, for each of the two attention heads, the 16 attention weights "
        "of that query as a 4 by 4 heat map laid out like the patches, with the query "
        "outlined, brighter where the query attends more."
    ),
)
