"""Save a trained model, reload it in a later session, and keep training it on new
examples."""

import keras

from dlcv.data import load_digits_images, split_train_test

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
# The data arrive in two instalments: 300 examples now, the other 1,047 in a later
# session.
x_first, y_first = x_train[:300], y_train[:300]
x_new, y_new = x_train[300:], y_train[300:]


def report(session: str, model: keras.Model, new_examples: int) -> None:
    _, on_first = model.evaluate(x_first, y_first, verbose=0)
    _, on_test = model.evaluate(x_test, y_test, verbose=0)
    steps = int(model.optimizer.iterations)
    print(
        f"{session:<14} {new_examples:>12,} {steps:>6,} {on_first:>18.3f} "
        f"{on_test:>14.3f}"
    )


print("Session        New examples  Steps  Acc. on first 300  Test accuracy")
model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(x_first, y_first, batch_size=32, epochs=10, verbose=0)
report("1 (first)", model, len(x_first))
model.save("digits.keras")  # architecture, weights and optimizer state in one file
del model  # as if this session ended here

# A later session: reload the model and continue from where it stopped, on the new
# examples only.
model = keras.models.load_model("digits.keras")
report("2 (reloaded)", model, 0)  # the same model, optimizer step count included
model.fit(x_new, y_new, batch_size=32, epochs=10, verbose=0)
report("2 (continued)", model, len(x_new))
