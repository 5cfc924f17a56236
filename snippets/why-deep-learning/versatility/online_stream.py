"""Online learning: update the model one small batch at a time as examples stream in."""

from collections.abc import Iterator

import keras
import numpy as np

from dlcv.data import load_digits_images, split_train_test
from dlcv.training import digits_mlp

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)


# --8<-- [start:stream]
def stream(batch_size: int = 16) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Examples as they might arrive from a camera or a labelling queue: each one seen
    once."""
    order = np.random.default_rng(0).permutation(len(x_train))
    for start in range(0, len(order) - batch_size + 1, batch_size):
        batch = order[start : start + batch_size]
        yield x_train[batch], y_train[batch]


model = digits_mlp(10)  # compiled: Adam, sparse categorical cross-entropy

print("Examples seen  Test accuracy")
for step, (x, y) in enumerate(stream(), start=1):
    model.train_on_batch(x, y)  # one update, then the batch is gone
    if step == 1 or step % 10 == 0:
        predicted = np.argmax(model(x_test, training=False), axis=1)
        print(f"{step * len(x):>13,}  {np.mean(predicted == y_test):>13.3f}")
# --8<-- [end:stream]
