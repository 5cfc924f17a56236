"""Weight decay, dropout and early stopping on the same small training set."""

import keras
import numpy as np
import tensorflow as tf

from dlcv.data import load_digits_images, split_train_val_test

keras.utils.set_random_seed(0)

images, labels = load_digits_images(flatten=True)
x_train, x_val, x_test, y_train, y_val, y_test = split_train_val_test(
    images, labels, val_fraction=0.3, test_fraction=0.25, seed=0
)
x_train, y_train = x_train[:150], y_train[:150]


def build(*, dropout: float = 0.0, weight_decay: float | None = None) -> keras.Model:
    layers: list[keras.layers.Layer] = [keras.Input((64,))]
    for _ in range(2):
        layers.append(keras.layers.Dense(256, activation="relu"))
        if dropout:
            # Each training step silences a random half of the units (none at test
            # time).
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(layers)
    # AdamW shrinks every weight towards zero by a small fraction at each step.
    optimizer = (
        keras.optimizers.AdamW(3e-3, weight_decay=weight_decay)
        if weight_decay
        else keras.optimizers.Adam(3e-3)
    )
    model.compile(optimizer, loss="sparse_categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)  # else the first step traces twice
    return model


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of digits whose most probable class is the true one."""
    predicted = np.argmax(model(x, training=False), axis=-1)
    return float(np.mean(predicted == y))


# Stop once the validation loss has not improved for 3 epochs; keep the best weights
# seen.
early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=3, restore_best_weights=True
)
# Shuffled batches of 50 training digits, and the validation digits in one batch, as
# tf.data pipelines built once: fit() would rebuild one from the arrays every epoch.
train_batches = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_batches = train_batches.shuffle(len(x_train), seed=0).batch(50)
val_batches = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(len(x_val))
variants = {
    "no regularisation": (build(), []),
    "weight decay 0.1": (build(weight_decay=0.1), []),
    "dropout 0.5": (build(dropout=0.5), []),
    "early stopping": (build(), [early_stopping]),
}

print(f"{len(x_train)} training digits, up to 15 epochs; test set used once per model")
print("Variant             Epochs  Train acc.  Val. acc.  Test acc.")
for name, (model, callbacks) in variants.items():
    # Only early stopping looks at the validation set during training; the others skip
    # the cost of evaluating it every epoch.
    history = model.fit(
        train_batches,  # reshuffled at every epoch by the pipeline itself
        validation_data=val_batches if callbacks else None,
        epochs=15,
        shuffle=False,
        callbacks=callbacks,
        verbose=0,
    ).history
    print(
        f"{name:<18}  {len(history['loss']):>6}  "
        f"{accuracy(model, x_train, y_train):>10.3f}  "
        f"{accuracy(model, x_val, y_val):>9.3f}  "
        f"{accuracy(model, x_test, y_test):>9.3f}"
    )
