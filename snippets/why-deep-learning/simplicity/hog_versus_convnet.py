"""Hand-engineered HOG features against an end-to-end convnet, on the same faces and
digits."""

# budget: 30 s — ten small convnets trained (five folds on each of two datasets); 16 to
# 23 s of CPU time measured on a shared, busy 2-core machine
# output varies: training times, and the speed ratios computed from them, are measured
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
from skimage import data
from skimage.feature import hog
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dlcv.data import load_digits_images

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# scikit-image's LFW subset: 100 face crops, then 100 background crops, 25x25 pixels in
# [0, 1].
faces = data.lfw_subset().astype(np.float32)
face_labels = np.repeat([1, 0], 100)
digits, digit_labels = load_digits_images()  # 1,797 digits, 8x8 pixels in [0, 1]
datasets = {"faces": (faces, face_labels), "digits": (digits[..., 0], digit_labels)}
CELLS = (2, 4, 6, 8)  # HOG cell sizes to try, in pixels
EPOCHS = 20  # passes of the convnet over its training images

Predict = Callable[[np.ndarray], np.ndarray]


# --8<-- [start:experiment]
# --8<-- [start:hog]
def describe(images: np.ndarray, *, cell: int) -> np.ndarray:
    """Engineered: a fixed gradient-histogram descriptor of each image."""
    return np.stack(
        [
            hog(
                image,
                orientations=9,
                pixels_per_cell=(cell, cell),
                cells_per_block=(2, 2),
                block_norm="L2-Hys",
            )
            for image in images
        ]
    )


def fit_classifier(features: np.ndarray, labels: np.ndarray) -> Predict:
    """A linear classifier on standardised features."""
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return classifier.fit(features, labels).predict


def fit_hog_pipeline(images: np.ndarray, labels: np.ndarray, *, cell: int) -> Predict:
    """The descriptor, then the classifier: nothing before the classifier learns."""
    predict = fit_classifier(describe(images, cell=cell), labels)
    return lambda batch: predict(describe(batch, cell=cell))


# --8<-- [end:hog]


# --8<-- [start:convnet]
def fit_convnet(images: np.ndarray, labels: np.ndarray) -> Predict:
    """End to end: raw pixels in, class out; every filter is learned."""
    model = keras.Sequential(
        [
            keras.Input((*images.shape[1:], 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(int(labels.max()) + 1, activation="softmax"),
        ]
    )
    # On images this small, Keras's overheads would cost more than the training itself,
    # hence: 8 steps per call into TensorFlow; Adam's state built now, not while the
    # first step is traced (which traces it twice); and the epochs as one run of
    # shuffled passes cut to whole batches, not a new input pipeline every epoch and a
    # new trace for a smaller last batch.
    optimizer = keras.optimizers.Adam(5e-3)
    model.compile(optimizer, "sparse_categorical_crossentropy", steps_per_execution=8)
    model.optimizer.build(model.trainable_variables)
    order = np.concatenate([rng.permutation(len(images)) for _ in range(EPOCHS)])
    order = order[: len(order) // 64 * 64]
    x, y = images[order, ..., None], labels[order]
    model.fit(x, y, batch_size=64, shuffle=False, verbose=0)
    return lambda batch: np.argmax(model(batch[..., None], training=False), axis=1)


# --8<-- [end:convnet]


def cross_validate(
    fit: Callable[..., Predict],
    folds: list[tuple[np.ndarray, np.ndarray]],
    x: np.ndarray,
    y: np.ndarray,
    **options: int,
) -> tuple[np.ndarray, float]:
    """Test accuracy on each fold's held-out part, and mean training time per fold."""
    accuracies, seconds = [], []
    for train, test in folds:
        start = time.perf_counter()
        predict = fit(x[train], y[train], **options)
        seconds.append(time.perf_counter() - start)
        accuracies.append(np.mean(predict(x[test]) == y[test]))
    return np.array(accuracies), float(np.mean(seconds))


results = {}
for name, (x, y) in datasets.items():
    # The same five stratified folds for both pipelines, so each fold is a paired
    # comparison.
    folds = list(StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, y))
    # HOG learns nothing from the images, so the sweep can describe each image once per
    # cell size, before the split, and cross-validate only the classifier.
    sweep = {
        cell: cross_validate(fit_classifier, folds, describe(x, cell=cell), y)[0]
        for cell in CELLS
        if x.shape[1] >= 2 * cell  # a block of 2x2 cells must fit in the image
    }
    best = max(sweep, key=lambda cell: sweep[cell].mean())
    # The best cell size end to end, descriptor included, to time it like the convnet.
    hog_result = cross_validate(fit_hog_pipeline, folds, x, y, cell=best)
    results[name] = (sweep, best, hog_result, cross_validate(fit_convnet, folds, x, y))
# --8<-- [end:experiment]


def code_lines(section: str) -> int:
    """Count the lines of code (not blank, not comments) between this file's section
    markers."""
    source = Path(__file__).read_text(encoding="utf-8")
    body = source.split(f"# --8<-- [start:{section}]")[1].split(
        f"# --8<-- [end:{section}]"
    )[0]
    return sum(
        1
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )


print(
    "The same 5 stratified folds for both pipelines; accuracy is the mean ± std over "
    "folds."
)
print(
    "HOG rows use the cell size that scored best on these same folds, which flatters "
    "HOG."
)
print()
print(
    f"{'Data':<7} {'Images':<11} {'Pipeline':<41} {'Accuracy':<14} Training time per "
    f"fold"
)
conclusions = []
best_cells = {}
for name, (_, best, (hog_acc, hog_s), (conv_acc, conv_s)) in results.items():
    x, _ = datasets[name]
    best_cells[name] = best
    images = f"{len(x)} {x.shape[1]}x{x.shape[2]}"
    for label, acc, secs in [
        (f"HOG ({best} px cells) + logistic regression", hog_acc, hog_s),
        (f"convnet on raw pixels ({EPOCHS} epochs)", conv_acc, conv_s),
    ]:
        accuracy = f"{acc.mean():.3f} ± {acc.std():.3f}"
        print(f"{name:<7} {images:<11} {label:<41} {accuracy:<14} {secs:6.2f} s")
    # Paired over folds: a difference within two standard errors is not shown to be
    # real.
    diff = hog_acc - conv_acc
    error = diff.std(ddof=1) / np.sqrt(len(diff))
    if abs(diff.mean()) <= 2 * error:
        verdict = "no clear winner"
    else:
        verdict = (
            "HOG is more accurate"
            if diff.mean() > 0
            else "the convnet is more accurate"
        )
    if hog_s < conv_s:
        speed = f"HOG trains {conv_s / hog_s:.0f}x faster"
    else:
        speed = f"the convnet trains {hog_s / conv_s:.0f}x faster"
    conclusions.append(
        f"{name}: HOG minus convnet accuracy {diff.mean():+.3f} ± {error:.3f} (paired "
        f"standard error), {verdict}; {speed}"
    )

print()
print("HOG + logistic regression, mean accuracy by cell size (everything else fixed):")
print(f"{'Data':<7}" + "".join(f"{f'{cell} px':>8}" for cell in CELLS))
for name, (sweep, *_) in results.items():
    print(
        f"{name:<7}"
        + "".join(
            f"{sweep[c].mean():>8.3f}" if c in sweep else f"{'—':>8}" for c in CELLS
        )
    )
    means = [accuracies.mean() for accuracies in sweep.values()]
    conclusions.append(
        f"{name}: the HOG cell size alone moves accuracy by "
        f"{max(means) - min(means):.3f}"
    )

print()
print(
    f"Lines of code: HOG pipeline {code_lines('hog')}, convnet {code_lines('convnet')}"
)
choice = "the same" if len(set(best_cells.values())) == 1 else "different"
cells = ", ".join(f"{name} {cell} px" for name, cell in best_cells.items())
conclusions.append(
    f"best HOG cell size: {choice} for the two datasets ({cells}); the convnet ran "
    f"unchanged"
)
print()
print("Conclusions, computed from the numbers above:")
for line in conclusions:
    print(f"- {line}")
