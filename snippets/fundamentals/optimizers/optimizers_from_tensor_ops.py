"""SGD, momentum, Adam and AdamW written with tensor operations, run beside Keras's own
optimizers on the same problem; then the warm-up and cosine-decay schedule."""

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from dlcv.data import load_digits_images
from dlcv.optimizers import adam_update, adamw_update, sgd_update, warmup_cosine_decay
from dlcv.plot import save_figure, use_style

STEPS = 100
images, labels = load_digits_images(flatten=True)
x, y = tf.constant(images[:512]), tf.constant(labels[:512])
start = np.random.default_rng(0).normal(scale=0.1, size=(64, 10)).astype("float32")


def loss_fn(kernel):
    """Softmax regression: the mean cross-entropy of 512 digits' logits."""
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x @ kernel)
    )


def run_keras(optimizer):
    """Train with a Keras optimizer; return the weights and every gradient it saw."""
    kernel, gradients = keras.Variable(start), []
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            loss = loss_fn(kernel.value)
        gradients.append(tape.gradient(loss, kernel.value))
        optimizer.apply_gradients([(gradients[-1], kernel)])
    return kernel.numpy(), gradients


# --8<-- [start:side_by_side]
def run_sgd(gradients, **options):
    kernel, velocity = tf.constant(start), tf.zeros_like(start)
    for gradient in gradients:
        kernel, velocity = sgd_update(kernel, gradient, velocity, **options)
    return kernel.numpy()


def run_adam(gradients, update, **options):
    kernel, m, v = tf.constant(start), tf.zeros_like(start), tf.zeros_like(start)
    for step, gradient in enumerate(gradients, start=1):
        kernel, m, v = update(kernel, gradient, m, v, step=step, **options)
    return kernel.numpy()


runs = {
    "SGD": (
        keras.optimizers.SGD(0.5),
        lambda gradients: run_sgd(gradients, learning_rate=0.5),
    ),
    "SGD, momentum 0.9": (
        keras.optimizers.SGD(0.05, momentum=0.9),
        lambda gradients: run_sgd(gradients, learning_rate=0.05, momentum=0.9),
    ),
    "Adam": (
        keras.optimizers.Adam(0.01),
        lambda gradients: run_adam(gradients, adam_update, learning_rate=0.01),
    ),
    "AdamW": (
        keras.optimizers.AdamW(0.01, weight_decay=0.1),
        lambda gradients: run_adam(
            gradients, adamw_update, learning_rate=0.01, weight_decay=0.1
        ),
    ),
}
print(f"{STEPS} steps from the same start, on the gradients Keras's optimizer saw")
print("optimizer           loss at the start  loss after  largest |difference|")
for name, (optimizer, ours) in runs.items():
    theirs, gradients = run_keras(optimizer)
    difference = np.max(np.abs(ours(gradients) - theirs))
    print(
        f"{name:<18}  {float(loss_fn(start)):>17.4f}  {float(loss_fn(theirs)):>10.4f}"
        f"  {difference:>20.1e}"
    )
# --8<-- [end:side_by_side]

# The schedule: 100 warm-up steps up to 0.1, then 900 steps of cosine decay.
steps = np.arange(1100)
ours = [
    warmup_cosine_decay(
        int(step), peak_learning_rate=0.1, warmup_steps=100, decay_steps=900
    )
    for step in steps
]
schedule = keras.optimizers.schedules.CosineDecay(
    0.0, decay_steps=900, warmup_target=0.1, warmup_steps=100
)
theirs = [float(schedule(int(step))) for step in steps]
print()
print("schedule: largest |difference| from Keras's CosineDecay over 1,100 steps:")
print(f"{np.max(np.abs(np.subtract(ours, theirs))):.1e}")

use_style()
fig = Figure(figsize=(5.6, 3.0))
ax = fig.subplots()
ax.plot(steps, ours, label="warmup_cosine_decay")
ax.plot(steps[::50], theirs[::50], "o", markersize=4, label="Keras CosineDecay")
ax.axvline(100, color="grey", linestyle="--", linewidth=1)
ax.text(110, 0.005, "end of warm-up", color="grey")
ax.set_xlabel("optimizer step")
ax.set_ylabel("learning rate")
ax.legend()
save_figure(
    fig,
    "warmup_cosine.png",
    caption="Linear warm-up for 100 steps, then cosine decay",
    alt=(
        "Learning rate against optimizer step. It rises in a straight line from 0 to "
        "0.1 over the first 100 steps, then falls along half a cosine to 0 at step "
        "1,000 and stays at 0. Circles every 50 steps, from Keras's CosineDecay, lie "
        "on the line."
    ),
)
