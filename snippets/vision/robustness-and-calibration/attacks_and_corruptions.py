"""A small digit classifier under worst-case perturbations (FGSM, PGD) and under
common corruptions (Gaussian noise, Gaussian blur): accuracy against their size."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.robustness import fgsm, gaussian_blur, gaussian_noise, pgd
from dlcv.training import digits_convnet

keras.utils.set_random_seed(0)
images, labels = load_digits_images()  # 8x8 pixels in [0, 1]
train_x, test_x, train_y, test_y = split_train_test(images, labels, seed=0)
train_x, train_y = train_x[:1344], train_y[:1344]  # 42 batches of 32, none short

# One small convnet (a 3x3 convolution, pooling, a dense layer of logits), trained once.
model = digits_convnet(16)
model.compile(
    keras.optimizers.Adam(3e-3),
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    steps_per_execution=42,
)
model.optimizer.build(model.trainable_variables)
model.fit(train_x, train_y, batch_size=32, epochs=15, verbose=0)


def accuracy(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(model(x, training=False)).argmax(1) == test_y))


# Worst case: every pixel may move by at most epsilon (an L-infinity ball), in the
# direction chosen to raise the loss. PGD takes 10 projected steps from a random start.
epsilons = [0.0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3]
attacked = {"FGSM": [], "PGD": []}
print(f"{len(test_x)} test digits; a pixel step of the raw data is 1/16 = 0.0625")
print(f"{'epsilon':>8}{'FGSM':>8}{'PGD':>8}")
for epsilon in epsilons:
    attacked["FGSM"].append(accuracy(fgsm(model, test_x, test_y, epsilon)))
    attacked["PGD"].append(accuracy(pgd(model, test_x, test_y, epsilon, steps=10)))
    print(f"{epsilon:>8.3f}{attacked['FGSM'][-1]:>8.3f}{attacked['PGD'][-1]:>8.3f}")

# Common corruptions at five severities (severity 0 is the clean test set): the
# noise's standard deviation and the blur's, in pixel values and pixels.
noise_sigmas = [0.0, 0.08, 0.16, 0.24, 0.32, 0.4]
blur_sigmas = [0.0, 0.3, 0.5, 0.7, 0.9, 1.1]
corrupted = {
    "Gaussian noise": [accuracy(gaussian_noise(test_x, s)) for s in noise_sigmas],
    "Gaussian blur": [accuracy(gaussian_blur(test_x, s)) for s in blur_sigmas],
}
print(
    f"\n{'severity':>8}{'noise sd':>10}{'accuracy':>10}{'blur sd':>9}{'accuracy':>10}"
)
for level, (sn, sb) in enumerate(zip(noise_sigmas, blur_sigmas, strict=True)):
    noisy, blurred = (
        corrupted["Gaussian noise"][level],
        corrupted["Gaussian blur"][level],
    )
    print(f"{level:>8}{sn:>10.2f}{noisy:>10.3f}{sb:>9.1f}{blurred:>10.3f}")

# Both attacks keep to the budget and to the valid pixel range.
x = pgd(model, test_x, test_y, 0.1)
print(
    f"\nPGD at epsilon 0.1: largest pixel change {np.abs(x - test_x).max():.3f}, "
    f"pixels in [{x.min():.1f}, {x.max():.1f}]"
)

use_style()
fig = Figure(figsize=(5.6, 2.9))
left, right = fig.subplots(1, 2, sharey=True)
for (name, scores), style in zip(attacked.items(), ["o-", "s--"], strict=True):
    left.plot(epsilons, scores, style, label=name)
left.set_xlabel("epsilon (largest pixel change)")
left.set_ylabel("test accuracy")
left.set_title("adversarial")
left.legend()
for (name, scores), style in zip(corrupted.items(), ["o-", "s--"], strict=True):
    right.plot(range(6), scores, style, label=name)
right.set_xlabel("severity")
right.set_title("common corruptions")
right.legend()
save_figure(
    fig,
    "accuracy_under_perturbation.png",
    caption="Test accuracy against attack size and corruption severity",
    alt=(
        "Two line charts sharing a test-accuracy axis. Left: accuracy of a small "
        "digit convnet against epsilon, the largest change of a pixel, from 0 to 0.3, "
        "for FGSM (circles, solid) and PGD (squares, dashed). Right: accuracy against "
        "severity 0 to 5 for Gaussian noise (circles, solid) and Gaussian blur "
        "(squares, dashed)."
    ),
)

# One test digit under each perturbation, with the model's prediction.
digit = test_x[:1]
versions = {
    "clean": digit,
    "FGSM 0.1": fgsm(model, digit, test_y[:1], 0.1),
    "PGD 0.1": pgd(model, digit, test_y[:1], 0.1),
    "noise 3": gaussian_noise(digit, noise_sigmas[3]),
    "blur 3": gaussian_blur(digit, blur_sigmas[3]),
}
fig = Figure(figsize=(5.6, 1.6))
for ax, (name, version) in zip(fig.subplots(1, 5), versions.items(), strict=True):
    predicted = int(np.asarray(model(version, training=False)).argmax())
    ax.imshow(version[0, ..., 0], cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(f"{name}\n-> {predicted}")
    ax.set_xticks([])
    ax.set_yticks([])
save_figure(
    fig,
    "perturbed_digit.png",
    caption=f"A test {test_y[0]} perturbed four ways, and the model's predictions",
    alt=(
        f"Five 8 by 8 images of the same handwritten {test_y[0]}: clean, after FGSM "
        "and PGD with epsilon 0.1, with Gaussian noise and with Gaussian blur at "
        "severity 3, each titled with the class the model predicts for it."
    ),
)
