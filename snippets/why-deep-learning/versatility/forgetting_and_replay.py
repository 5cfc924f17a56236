"""Training on a new task erases the old one (catastrophic forgetting); replaying old
data helps."""

import keras
import numpy as np
from matplotlib.figure import Figure

from dlcv.data import load_digits_images, split_train_test
from dlcv.plot import save_figure, use_style
from dlcv.training import digits_mlp

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
# Task A: digits 0-4. Task B, which arrives later: digits 5-9. One 10-way classifier for
# both.
old_train, new_train = y_train < 5, y_train >= 5
old_test, new_test = y_test < 5, y_test >= 5


def accuracy(model: keras.Model, mask: np.ndarray) -> float:
    predicted = np.argmax(model(x_test[mask], training=False), axis=1)
    return float(np.mean(predicted == y_test[mask]))


model_a = digits_mlp(10)  # 8x8 pixels, 64 hidden ReLU units, 10 softmax outputs
model_a.fit(x_train[old_train], y_train[old_train], epochs=10, batch_size=32, verbose=0)
before = (accuracy(model_a, old_test), accuracy(model_a, new_test))

# --8<-- [start:replay]
# Replay: keep a small memory of old examples and mix it into every epoch on the new
# task.
rng = np.random.default_rng(0)
old_indices = np.flatnonzero(old_train)
# 10 % of task A
memory = rng.choice(old_indices, size=len(old_indices) // 10, replace=False)
x_new, y_new = x_train[new_train], y_train[new_train]
strategies = {
    "new data only": (x_new, y_new),
    "new data + replay": (
        np.concatenate([x_new, x_train[memory]]),
        np.concatenate([y_new, y_train[memory]]),
    ),
}

curves = {}
for name, (x, y) in strategies.items():
    model = digits_mlp(10)
    model.set_weights(model_a.get_weights())  # both strategies start from model A
    curve = [before]
    for _ in range(10):
        model.fit(x, y, epochs=1, batch_size=32, shuffle=True, verbose=0)
        curve.append((accuracy(model, old_test), accuracy(model, new_test)))
    curves[name] = curve
# --8<-- [end:replay]

print(
    f"Task A: {old_train.sum()} training digits 0-4. Task B: {new_train.sum()} digits "
    f"5-9."
)
print(
    f"Replay memory: {len(memory)} task-A examples "
    f"({len(memory) / old_train.sum():.0%})."
)
print()
print("Test accuracy            on task A (old)    on task B (new)")
print(f"{'after task A':<22}  {before[0]:>15.3f}    {before[1]:>15.3f}")
for name, curve in curves.items():
    print(f"{'then ' + name:<22}  {curve[-1][0]:>15.3f}    {curve[-1][1]:>15.3f}")
print()
print("Task-A test accuracy after each epoch on task B:")
for name, curve in curves.items():
    print(f"  {name:<18} " + " ".join(f"{a:.2f}" for a, _ in curve[1:]))
print()
for name, curve in curves.items():
    drop = before[0] - curve[-1][0]
    print(
        f"{name}: task-A accuracy fell by {drop:.3f} ({drop / before[0]:.0%} of what "
        f"was known)."
    )
kept = curves["new data + replay"][-1][0] - curves["new data only"][-1][0]
print(
    f"Replay kept {kept:.3f} more task-A accuracy than training on the new data alone."
)

use_style()
fig = Figure(figsize=(5.6, 3.5))
ax = fig.subplots()
for (name, curve), color in zip(curves.items(), ["C3", "C0"], strict=True):
    ax.plot(
        [a for a, _ in curve], marker="o", color=color, label=f"task A (old), {name}"
    )
    ax.plot(
        [b for _, b in curve],
        linestyle="--",
        color=color,
        label=f"task B (new), {name}",
    )
ax.set_xlabel("epochs of training on task B")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1.02)
ax.legend()
save_figure(
    fig,
    "forgetting_and_replay.png",
    caption="Accuracy on the old and the new task while training on the new one",
    alt=(
        "Test accuracy on the old task (digits 0 to 4, solid lines) and the new task "
        "(digits 5 to 9, dashed lines) over ten epochs of training on the new task, "
        "for a model trained on the new digits alone and for one that also replays a "
        "tenth of the old examples. Trained on the new digits alone, the accuracy on "
        "the old digits drops to near zero within a few epochs; with replay it dips "
        "early and then climbs back most of the way, while both models learn the new "
        "digits."
    ),
)
