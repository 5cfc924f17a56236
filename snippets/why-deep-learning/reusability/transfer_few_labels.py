"""Reuse a convnet trained on digits 0-4 as frozen feature extractor for digits 5-9."""

# budget: 25 s — one small network trained from scratch 16 times (4 budgets x 4 seeds)
import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.probing import fit_linear_probe
from dlcv.video import make_moving_clips

keras.utils.set_random_seed(0)
BUDGETS = (1, 3, 10, 30)  # labelled examples per class of the new task
SEEDS = range(4)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)


def place(digits, digit_labels, *, seed, count=None):
    """Digits at random places on a noisy 16x16 canvas: one-frame clips, i.e. stills."""
    stills = make_moving_clips(
        digits,
        digit_labels,
        frames=1,
        canvas_size=16,
        noise=0.2,
        num_clips=count,
        seed=seed,
    )
    return stills.clips[:, 0], stills.labels


# Task A, with plenty of labelled images: digits 0-4 (3,000 placements of 670 digits).
x_a, y_a = place(x_train[y_train < 5], y_train[y_train < 5], seed=1, count=3000)
# Task B, the new task: digits 5-9, relabelled 0-4. Labelled examples come from this
# pool.
pool_digits, pool_labels = x_train[y_train >= 5], y_train[y_train >= 5] - 5
x_b_test, y_b_test = place(x_test[y_test >= 5], y_test[y_test >= 5] - 5, seed=2)


def make_base() -> keras.Sequential:
    return keras.Sequential(
        [
            keras.Input((16, 16, 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.GlobalMaxPooling2D(),  # 32 features, wherever the digit is
        ]
    )


def make_classifier(base: keras.Sequential) -> keras.Sequential:
    model = keras.Sequential([base, keras.layers.Dense(5, activation="softmax")])
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        # 25 steps per call from Python into TensorFlow: these steps are so small
        # that the overhead of each call is a large part of their time
        steps_per_execution=25,
    )
    return model


# --8<-- [start:reuse]
pretrained = make_base()
make_classifier(pretrained).fit(x_a, y_a, epochs=8, batch_size=64, verbose=0)
# from now on only a new head learns: the base is a fixed function
pretrained.trainable = False
random_base = make_base()  # control: the same frozen architecture, never trained
# One network serves every from-scratch run: `restart` resets it before each.
scratch = make_classifier(make_base())
# Each seed's network starts from the same weights at every budget: a new copy's,
# drawn here once. (Reseeding TensorFlow between runs would clear its caches, and the
# next run would be slower.)
initial_weights = {}
for seed in SEEDS:
    keras.utils.set_random_seed(seed)
    initial_weights[seed] = keras.models.clone_model(scratch).get_weights()


def restart(model, weights):
    """Put a compiled model back at the start of training, with the given weights.

    The optimizer's step count and running moment estimates go back to zero, as in a
    new optimizer. Building and compiling a new model would do the same, but Keras
    would then trace its training step again, once per run.
    """
    model.set_weights(weights)
    optimizer = model.optimizer
    for variable in optimizer.variables:
        if variable is not optimizer.learning_rate:  # also a variable, and it stays
            variable.assign(keras.ops.zeros_like(variable))


def head_on_frozen(base, x, y):
    """A new softmax head on frozen features, fitted to convergence (logistic
    regression)."""
    features = keras.ops.convert_to_numpy(base(x))
    return fit_linear_probe(
        features, y, test_features[base.name], y_b_test
    ).test_accuracy


def from_scratch(x, y, seed):
    """The whole network trained on the same examples: 75 full-batch Adam steps."""
    restart(scratch, initial_weights[seed])
    scratch.fit(
        tf.data.Dataset.from_tensors((x, y)).repeat(75), shuffle=False, verbose=0
    )
    predicted = keras.ops.argmax(scratch(x_b_test), axis=-1)
    return float(np.mean(keras.ops.convert_to_numpy(predicted) == y_b_test))


test_features = {
    base.name: base.predict(x_b_test, verbose=0) for base in (pretrained, random_base)
}
names = ["frozen 0-4 base + new head", "frozen random base + new head", "from scratch"]
accuracy = {name: np.zeros((len(BUDGETS), len(SEEDS))) for name in names}
for i, per_class in enumerate(BUDGETS):
    for j, seed in enumerate(SEEDS):
        rng = np.random.default_rng(seed)
        picks = [
            rng.choice(np.flatnonzero(pool_labels == c), per_class, replace=False)
            for c in range(5)
        ]
        few = np.concatenate(picks)
        x, y = place(pool_digits[few], pool_labels[few], seed=10 + seed)
        accuracy[names[0]][i, j] = head_on_frozen(pretrained, x, y)
        accuracy[names[1]][i, j] = head_on_frozen(random_base, x, y)
        accuracy[names[2]][i, j] = from_scratch(x, y, seed)
# --8<-- [end:reuse]

print(f"Task A (pretraining): {len(x_a):,} labelled images of digits 0-4")
print(
    f"Task B: digits 5-9, {len(x_b_test)} test images; mean ± std over {len(SEEDS)} "
    f"seeds"
)
print()
print(
    f"{'Test accuracy on digits 5-9':<29}"
    + "".join(f"  {f'{k} per class':>13}" for k in BUDGETS)
)
mean = {name: accuracy[name].mean(axis=1) for name in names}
spread = {name: accuracy[name].std(axis=1, ddof=1) for name in names}
for name in names:
    cells = [
        f"{m:.3f} ± {s:.3f}" for m, s in zip(mean[name], spread[name], strict=True)
    ]
    print(f"{name:<29}" + "".join(f"  {cell:>13}" for cell in cells))


# The conclusions come from the numbers: a paired difference (same examples, same seed)
# counts as a difference only when it exceeds twice its standard error over the seeds.
def compare(first, second):
    print(f"{first} against {second}:")
    difference = accuracy[first] - accuracy[second]
    for per_class, row in zip(BUDGETS, difference, strict=True):
        error = row.std(ddof=1) / np.sqrt(len(row))
        if row.mean() > 2 * error:
            verdict = f"{first} ahead"
        elif row.mean() < -2 * error:
            verdict = f"{second} ahead"
        else:
            verdict = "no clear difference"
        print(
            f"  {per_class:>2} per class: {verdict} ({row.mean():+.3f} ± {error:.3f})"
        )


print()
compare(names[0], names[1])
compare(names[0], names[2])

use_style()
fig = Figure(figsize=(5.6, 3.5))
ax = fig.subplots()
for name in names:
    ax.errorbar(
        BUDGETS,
        mean[name],
        yerr=spread[name],
        marker="o",
        capsize=3,
        label=name,
    )
ax.set_xscale("log")
ax.set_xticks(BUDGETS, [str(k) for k in BUDGETS])
ax.set_xlabel("labelled examples per class of digits 5-9")
ax.set_ylabel("test accuracy")
ax.legend()
save_figure(
    fig,
    "transfer_few_labels.png",
    caption="Test accuracy against labelled examples per class",
    alt=(
        "Test accuracy on digits 5-9 against the number of labelled examples per class "
        "(1, 3, 10, 30, log scale), with standard deviations over seeds, for three "
        "models: a frozen base pretrained on digits 0-4 with a new head, a frozen "
        "random base with a new head, and the same network trained from scratch. The "
        "table above gives the values."
    ),
)
