"""Add a class to a trained classifier: widen its output layer, keep the old weights,
train on."""

import keras
import numpy as np

from dlcv.data import load_digits_images, split_train_test
from dlcv.training import digits_mlp

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
# The model first knows nine digits, 0-8; examples of a tenth class, 9, arrive later.
old_train, new_train = y_train < 9, y_train == 9
old_test, new_test = y_test < 9, y_test == 9


def accuracy(model: keras.Model, mask: np.ndarray) -> float:
    predicted = np.argmax(model(x_test[mask], training=False), axis=1)
    return float(np.mean(predicted == y_test[mask]))


nine = digits_mlp(9)  # 8x8 pixels, 64 hidden ReLU units, 9 softmax outputs
nine.fit(x_train[old_train], y_train[old_train], epochs=10, batch_size=32, verbose=0)


# --8<-- [start:grow]
def widen(model: keras.Model, classes: int) -> keras.Model:
    """A copy of `model` with `classes` outputs; the old outputs keep their weights."""
    # new layers, so training the copy leaves `model` be
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    *body, head = copy.layers
    wider = keras.layers.Dense(classes, activation=head.activation)
    widened = keras.Sequential([keras.Input(model.input_shape[1:]), *body, wider])
    kernel, bias = wider.get_weights()  # fresh initial weights for the new outputs
    old_kernel, old_bias = head.get_weights()
    kernel[:, : old_bias.shape[0]] = old_kernel
    bias[: old_bias.shape[0]] = old_bias
    wider.set_weights([kernel, bias])
    widened.compile(optimizer=keras.optimizers.Adam(3e-3), loss=model.loss)
    return widened


rng = np.random.default_rng(0)
old_indices = np.flatnonzero(old_train)
# 10 % of the old data
memory = rng.choice(old_indices, size=len(old_indices) // 10, replace=False)
x_new, y_new = x_train[new_train], y_train[new_train]

rows = [("nine-class model", accuracy(nine, old_test), float("nan"))]
widened = widen(nine, 10)
rows.append(
    (
        "widened to ten, untrained",
        accuracy(widened, old_test),
        accuracy(widened, new_test),
    )
)
for name, x, y in [
    ("ten, new class only", x_new, y_new),
    (
        "ten, new class + replay",
        np.concatenate([x_new, x_train[memory]]),
        np.concatenate([y_new, y_train[memory]]),
    ),
]:
    model = widen(nine, 10)  # both start from the same widened model
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    rows.append((name, accuracy(model, old_test), accuracy(model, new_test)))
# --8<-- [end:grow]

print(
    f"Old classes 0-8: {old_train.sum()} training digits. New class 9: "
    f"{new_train.sum()}."
)
print(f"Replay memory: {len(memory)} old examples.")
print()
print("Model                      Test acc. on 0-8  Test acc. on 9")
for name, on_old, on_new in rows:
    new_text = "-" if np.isnan(on_new) else f"{on_new:.3f}"
    print(f"{name:<25}  {on_old:>16.3f}  {new_text:>14}")
print()
verdict = (
    "left it unchanged" if rows[1][1] == rows[0][1] else f"moved it to {rows[1][1]:.3f}"
)
print(f"Accuracy on 0-8 was {rows[0][1]:.3f}; widening the output layer {verdict}.")
(_, old_only, new_only), (_, old_replay, new_replay) = rows[2], rows[3]
print(f"Without replay, accuracy on 0-8 fell from {rows[0][1]:.3f} to {old_only:.3f}.")
print(
    f"With replay it ended at {old_replay:.3f}, and the new class reached "
    f"{new_replay:.3f}."
)
