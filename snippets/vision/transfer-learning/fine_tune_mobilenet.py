"""Reuse a keras.applications MobileNet: a new head on the frozen base, then fine-tune
its top."""

# budget: 30 s — pretrains the backbone offline first, a step ImageNet weights make
# unneeded; 19 to 23 s of CPU time measured on a shared, busy 2-core machine
import keras
import numpy as np
from matplotlib.figure import Figure
from skimage import data
from sklearn.datasets import load_sample_images

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.probing import count_parameters, fit_linear_probe

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
INPUT_SHAPE = (32, 32, 3)  # the smallest input MobileNet accepts
PER_CLASS = 10  # labelled target images per class
FIRST_BLOCK = 7  # phase 2 fine-tunes MobileNet's blocks 7 to 13 of 13

# Source task: scikit-learn's digits (the training split), ten classes, plenty of
# labels. Target task: the held-out digits printed over patches of colour photos, few
# labels.
digits, labels = load_digits_images()
x_source, x_held_out, y_source, y_target = split_train_test(digits, labels, seed=0)
photos = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket()]
photos += list(load_sample_images().images)


def to_rgb(images):
    """8x8 grey digits in [0, 1] to 32x32 RGB."""
    return np.repeat(
        keras.ops.convert_to_numpy(keras.ops.image.resize(images, (32, 32))), 3, -1
    )


def over_photos(images):
    """Each digit over a random 32x32 patch of a photo at 30% contrast (absolute
    difference)."""
    patches = []
    for _ in images:
        photo = photos[rng.integers(len(photos))] / 255.0
        top, left = rng.integers(photo.shape[0] - 32), rng.integers(photo.shape[1] - 32)
        patches.append(0.3 * photo[top : top + 32, left : left + 32])
    return np.abs(np.stack(patches) - images).astype("float32")


def preprocess(images):
    """Pixels in [0, 1] to the input MobileNet expects: 0-255, then its own scaling."""
    return keras.applications.mobilenet.preprocess_input(255.0 * images)


clean_source, clean_held_out = (
    to_rgb(x_source).clip(0, 1),
    to_rgb(x_held_out).clip(0, 1),
)
target = over_photos(clean_held_out)
labelled = np.concatenate(
    [
        rng.choice(np.flatnonzero(y_target == c), PER_CLASS, replace=False)
        for c in range(10)
    ]
)
rest = np.setdiff1d(np.arange(len(target)), labelled)
x_few, y_few = preprocess(target[labelled]), y_target[labelled]
x_rest, y_rest = preprocess(target[rest]), y_target[rest]


def accuracy(model, x, y):
    predicted = keras.ops.argmax(model(x, training=False), axis=-1)
    return float(np.mean(keras.ops.convert_to_numpy(predicted) == y))


# Offline stand-in for ImageNet pretraining: train the same backbone on the source task
# and save its weights to a file. A user with WEIGHTS = "imagenet" skips this whole
# block.
source_base = keras.applications.MobileNet(
    input_shape=INPUT_SHAPE, alpha=0.25, include_top=False, weights=None
)
for layer in source_base.layers:
    if isinstance(layer, keras.layers.BatchNormalization):
        # Keras's 0.99 suits long ImageNet runs; over 126 steps the moving averages
        # would lag the weights, and the network would fail in inference mode.
        layer.momentum = 0.9
inputs = keras.Input(INPUT_SHAPE)
pooled = keras.layers.GlobalAveragePooling2D()(source_base(inputs))
source_model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(pooled))
source_model.compile(
    optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy"
)
# Each trace of MobileNet's training step costs more CPU time than an epoch, so: Adam's
# state made now, not inside the first traced step (which would trace it twice), and
# 3 epochs as one run of shuffled passes cut to whole batches (a smaller last batch
# would trace the step once more).
source_model.optimizer.build(source_model.trainable_variables)
order = np.concatenate([rng.permutation(len(x_source)) for _ in range(3)])
order = order[: len(order) // 32 * 32]
x_passes, y_passes = preprocess(clean_source)[order], y_source[order]
source_model.fit(x_passes, y_passes, batch_size=32, shuffle=False, verbose=0)
source_base.save_weights("mobilenet_digits.weights.h5")
pretrained_file = "mobilenet_digits.weights.h5"

print(
    f"Source: {len(x_source):,} clean digits, 10 classes, to pretrain MobileNet "
    f"(alpha=0.25)"
)
clean_accuracy = accuracy(source_model, preprocess(clean_held_out), y_target)
print(f"  source model on clean held-out digits:       {clean_accuracy:.3f}")
print(
    f"  source model on the same digits over photos: "
    f"{accuracy(source_model, x_rest, y_rest):.3f}"
)
print(f"Target: {len(target)} held-out digits over photos,", end=" ")
print(f"{len(x_few)} labelled ({PER_CLASS} per class), {len(x_rest)} to test")
print()
print(f"{'':<40}{'trainable':>10}{'frozen':>10}{'test acc.':>11}")


def report(name, model):
    """Print the model's row of the table; return its test accuracy."""
    trainable = count_parameters(model, trainable_only=True)
    frozen = count_parameters(model) - trainable
    test_accuracy = accuracy(model, x_rest, y_rest)
    print(f"{name:<40}{trainable:>10,}{frozen:>10,}{test_accuracy:>11.3f}")
    return test_accuracy


# --8<-- [start:recipe]
# a user writes "imagenet": downloaded once, kept in ~/.keras/models
WEIGHTS = pretrained_file

base = keras.applications.MobileNet(
    input_shape=INPUT_SHAPE, alpha=0.25, include_top=False, weights=WEIGHTS
)
base.trainable = False  # phase 1: the backbone is a fixed feature extractor
inputs = keras.Input(INPUT_SHAPE)
# in Keras 3 not enough to keep BN in inference mode: below
x = base(inputs, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)
# a new head for the target's classes
outputs = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)

# Phase 1, feature extraction: only the new head learns.
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss="sparse_categorical_crossentropy",
)
# optional: Adam's state made now costs less than inside the first (traced) step
model.optimizer.build(model.trainable_variables)
model.fit(x_few, y_few, epochs=15, batch_size=50, verbose=0)
report("phase 1: new head on the frozen base", model)

# Phase 2, fine-tuning: unfreeze the top blocks, but keep batch normalization frozen.
base.trainable = True
first = [layer.name for layer in base.layers].index(f"conv_dw_{FIRST_BLOCK}")
for i, layer in enumerate(base.layers):
    is_batch_norm = isinstance(layer, keras.layers.BatchNormalization)
    layer.trainable = i >= first and not is_batch_norm
# required: changes to `trainable` take effect when the model is compiled
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),  # ten times lower than in phase 1
    loss="sparse_categorical_crossentropy",
)
model.optimizer.build(model.trainable_variables)  # optional, as in phase 1
model.fit(x_few, y_few, epochs=10, batch_size=50, verbose=0)
fine_tuned = report(f"phase 2: blocks {FIRST_BLOCK}-13 fine-tuned", model)

# Batch normalization: fit() calls the model with training=True. Do the BN layers
# follow?
pool, head = model.layers[2], model.layers[-1]
# the pooled features, through the same layers
features = keras.Model(model.input, pool.output)
batch_norms = [
    layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)
]
batch = x_rest[:50]  # one batch of the size fit() used


def change_in_training_mode():
    in_fit = features(batch, training=True)
    in_predict = features(batch, training=False)
    return float(keras.ops.norm(in_fit - in_predict) / keras.ops.norm(in_predict))


frozen_change = change_in_training_mode()  # BN layers frozen, as in phase 2
saved = base.get_weights()
# what `base.trainable = True` alone would leave: trainable BN
for layer in batch_norms:
    layer.trainable = True
trainable_change = change_in_training_mode()
batch_stats = keras.ops.concatenate(
    [features(x_rest[i : i + 50], training=True) for i in range(0, len(x_rest), 50)]
)
predicted = keras.ops.convert_to_numpy(keras.ops.argmax(head(batch_stats), axis=-1))
batch_stats_accuracy = float(np.mean(predicted == y_rest))
for layer in batch_norms:
    layer.trainable = False
base.set_weights(saved)  # undo the moving averages those calls updated
# --8<-- [end:recipe]

# What the pretrained weights bring: the same backbone's pooled features, frozen, read
# by a logistic regression fitted on the labelled images, with and without the
# pretrained weights.
print()
print("Logistic regression on the frozen backbone's pooled features:")
for weights, name in ((None, "weights=None"), (WEIGHTS, "pretrained weights")):
    backbone = keras.applications.MobileNet(
        input_shape=INPUT_SHAPE, alpha=0.25, include_top=False, weights=weights
    )
    few, test = (pool(backbone(images, training=False)) for images in (x_few, x_rest))
    probe = fit_linear_probe(few, y_few, test, y_rest)
    print(f"  {name:<20} test accuracy {probe.test_accuracy:.3f}")
pretrained = backbone  # untouched by the two phases
# The baseline any small task needs: the same classifier on the raw pixels, no network
# at all.
raw = fit_linear_probe(target[labelled], y_few, target[rest], y_rest)
print(f"  {'raw pixels':<20} test accuracy {raw.test_accuracy:.3f}", end=" ")
print(
    f"({'above' if raw.test_accuracy > fine_tuned else 'below'} the fine-tuned model)"
)


drift = max(  # frozen BN layers kept the statistics they were loaded with
    float(keras.ops.max(keras.ops.abs(getattr(ours, name) - getattr(theirs, name))))
    for ours, theirs in zip(base.layers, pretrained.layers, strict=True)
    if ours in batch_norms
    for name in ("moving_mean", "moving_variance")
)
print()
print("Batch normalization when the model is called with training=True, as fit() does:")
print(f"  BN layers frozen (phase 2): features change by {frozen_change:.0%};")
print(
    f"    moving statistics after both phases vs the pretrained file: max change "
    f"{drift:g}"
)
print(f"  BN layers trainable: features change by {trainable_change:.0%},")
print("    although the graph calls the base with training=False;")
print(
    f"    test accuracy of the head on batch-statistic features (batches of 50): "
    f"{batch_stats_accuracy:.3f}"
)

use_style()
fig = Figure(figsize=(5.6, 1.9))
axes = fig.subplots(2, 8)
for j in range(8):
    for row, images in enumerate((clean_held_out, target)):
        axes[row, j].imshow(images[rest[j]])
        axes[row, j].set_axis_off()
    axes[0, j].set_title(str(y_rest[j]))
save_figure(
    fig,
    "source_and_target.png",
    caption="Held-out digits: clean (top) and as the target task shows them",
    alt=(
        "Eight held-out handwritten digits, labelled above: in the top row as the "
        "clean white on black digits of the source task, in the bottom row the same "
        "digits blended with patches of colour photos, as the target task sees them."
    ),
)
