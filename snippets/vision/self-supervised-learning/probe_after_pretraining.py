"""Pre-train a tiny encoder on unlabelled digits with NT-Xent, then read its frozen
features with a linear probe, against a random encoder, the raw pixels and supervised
training from scratch, at 1, 10 and 100 labels per class."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from matplotlib.figure import Figure

from dlcv.contrastive import make_views, nt_xent_loss
from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.probing import fit_linear_probe

keras.utils.set_random_seed(0)
images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
BUDGETS, SEEDS = (1, 10, 100), (0, 1, 2)  # labels per class; draws of the labels


def make_encoder() -> keras.Sequential:
    """Two small convolutions and a dense layer: 64 features per digit."""
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
        ]
    )


# --8<-- [start:pretrain]
encoder = make_encoder()
random_encoder = keras.models.clone_model(encoder)  # the control: never trained
# SimCLR's projection head g: the loss compares z = g(h), the probe reads h.
head = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(32)])
optimizer = keras.optimizers.Adam(2e-3)


@tf.function
def pretrain_step(view1, view2):
    with tf.GradientTape() as tape:
        z = head(encoder(tf.concat([view1, view2], axis=0)))
        z1, z2 = tf.split(z, 2)  # row i of z1 and of z2: two views of one digit
        loss = nt_xent_loss(z1, z2, temperature=0.5)
    weights = encoder.trainable_variables + head.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
    return loss


# No labels are used: every training digit is an unlabelled example.
BATCH, STEPS = 256, 100
rng = np.random.default_rng(0)
losses = []
for _ in range(STEPS):
    batch = x_train[rng.choice(len(x_train), BATCH, replace=False)]
    view1, view2 = make_views(batch, max_shift=1, noise=0.1, seed=rng)
    losses.append(float(pretrain_step(view1, view2)))
# --8<-- [end:pretrain]
print(f"pre-training on {len(x_train)} unlabelled digits, {STEPS} steps of {BATCH}")
print(f"  NT-Xent at chance, log(2N - 1): {np.log(2 * BATCH - 1):.3f}")
print(
    f"  first step: {losses[0]:.3f}, mean of the last 10: {np.mean(losses[-10:]):.3f}"
)

# The supervised baseline: the same encoder and a softmax layer, trained from scratch
# on the labelled digits only, with the same augmentation. One model serves every
# run; each starts from its seed's initial weights and a fresh optimizer.
classifier = keras.Sequential([make_encoder(), layers.Dense(10, activation="softmax")])
classifier_optimizer = keras.optimizers.Adam(3e-3)
classifier_optimizer.build(classifier.trainable_variables)
fresh_optimizer = [v.numpy() for v in classifier_optimizer.variables]
initial_weights = {}
for seed in SEEDS:
    keras.utils.set_random_seed(100 + seed)
    initial_weights[seed] = keras.models.clone_model(classifier).get_weights()


@tf.function
def supervised_step(x, y):
    with tf.GradientTape() as tape:
        probabilities = classifier(x)
        loss = keras.ops.mean(
            keras.losses.sparse_categorical_crossentropy(y, probabilities)
        )
    weights = classifier.trainable_variables
    classifier_optimizer.apply_gradients(
        zip(tape.gradient(loss, weights), weights, strict=True)
    )


def supervised(x, y, seed, steps=100, batch=64):
    classifier.set_weights(initial_weights[seed])
    for variable, value in zip(
        classifier_optimizer.variables, fresh_optimizer, strict=True
    ):
        variable.assign(value)
    draw = np.random.default_rng(seed)
    for _ in range(steps):
        picks = draw.integers(0, len(x), size=batch)
        view, _ = make_views(x[picks], max_shift=1, noise=0.1, seed=draw)
        supervised_step(view, y[picks])
    predicted = keras.ops.argmax(classifier(x_test), axis=-1)
    return float(np.mean(keras.ops.convert_to_numpy(predicted) == y_test))


features = {  # frozen representations: computed, never trained on the labels
    "NT-Xent encoder + probe": lambda x: keras.ops.convert_to_numpy(encoder(x)),
    "random encoder + probe": lambda x: keras.ops.convert_to_numpy(random_encoder(x)),
    "pixels + probe": lambda x: x.reshape(len(x), -1),
}
test_features = {name: read(x_test) for name, read in features.items()}
names = [*features, "supervised from scratch"]
accuracy = {name: np.zeros((len(BUDGETS), len(SEEDS))) for name in names}
for i, per_class in enumerate(BUDGETS):
    for j, seed in enumerate(SEEDS):
        draw = np.random.default_rng(seed)
        few = np.concatenate(
            [
                draw.choice(np.flatnonzero(y_train == c), per_class, replace=False)
                for c in range(10)
            ]
        )
        for name, read in features.items():
            probe = fit_linear_probe(
                read(x_train[few]), y_train[few], test_features[name], y_test
            )
            accuracy[name][i, j] = probe.test_accuracy
        accuracy[names[-1]][i, j] = supervised(x_train[few], y_train[few], seed)

print(f"\ntest accuracy on {len(x_test)} held-out digits, mean (min-max) of 3 draws")
print(f"{'labels per class':<25}" + "".join(f"{k:>21}" for k in BUDGETS))
for name in names:
    cells = [
        f"{row.mean():.3f} ({row.min():.3f}-{row.max():.3f})" for row in accuracy[name]
    ]
    print(f"{name:<25}" + "".join(f"{cell:>21}" for cell in cells))

# A verdict only where all three draws agree on the sign of the paired difference.
print(f"\n{names[0]} against:")
for other in names[1:]:
    verdicts = []
    for per_class, row in zip(
        BUDGETS, accuracy[names[0]] - accuracy[other], strict=True
    ):
        if row.min() > 0:
            verdicts.append(f"{per_class}: ahead")
        elif row.max() < 0:
            verdicts.append(f"{per_class}: behind")
        else:
            verdicts.append(f"{per_class}: mixed")
    print(f"  {other:<25}" + ", ".join(verdicts))

use_style()
fig = Figure(figsize=(5.6, 3.6))
ax = fig.subplots()
for name, style in zip(names, ["o-", "s--", "^:", "D-."], strict=True):
    mean = accuracy[name].mean(axis=1)
    spread = [mean - accuracy[name].min(axis=1), accuracy[name].max(axis=1) - mean]
    ax.errorbar(BUDGETS, mean, yerr=spread, fmt=style, capsize=3, label=name)
ax.set_xscale("log")
ax.set_xticks(BUDGETS, [str(k) for k in BUDGETS])
ax.set_xlabel("labelled digits per class")
ax.set_ylabel("test accuracy")
ax.legend()
save_figure(
    fig,
    "accuracy_by_labels.png",
    caption="Test accuracy against labels per class, four ways to use them",
    alt=(
        f"Test accuracy on {len(x_test)} held-out digits against labelled digits per "
        "class (1, 10 and 100, log scale) for a linear probe on the NT-Xent "
        "pre-trained encoder (circles, solid), on the same encoder with random "
        "weights (squares, dashed), on the raw pixels (triangles, dotted), and for "
        "the encoder trained from scratch on the labels (diamonds, dash-dot); each "
        "point is the mean of three draws of the labels, its bar spans their minimum "
        "to maximum. The table above gives the values."
    ),
)
