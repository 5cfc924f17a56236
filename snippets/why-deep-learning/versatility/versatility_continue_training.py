"""Versatility: save a trained model, reload it later, and keep training it on new examples."""

import keras

from dlcv.data import load_digits_images, split_train_test

keras.utils.set_random_seed(0)

images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)
# The data arrive in two instalments: 300 examples now, the rest in a later session.
x_first, y_first = x_train[:300], y_train[:300]
x_new, y_new = x_train[300:], y_train[300:]

print("Session        New examples  Optimizer steps  Test accuracy")

# --8<-- [start:part1]
model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_first, y_first, batch_size=32, epochs=15, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
steps = int(model.optimizer.iterations)
print(f"1 (first)      {len(x_first):>12,}  {steps:>15,}  {accuracy:>13.3f}")
model.save("digits.keras")  # architecture, weights and optimizer state in one file
# --8<-- [end:part1]
del model  # as if this session ended here

# --8<-- [start:part2]
# A later session: reload the model and continue from where it stopped, with new data.
model = keras.models.load_model("digits.keras")
_, accuracy = model.evaluate(x_test, y_test, verbose=0)  # the same model as it was saved
print(f"2 (reloaded)   {0:>12,}  {int(model.optimizer.iterations):>15,}  {accuracy:>13.3f}")
model.fit(x_new, y_new, batch_size=32, epochs=15, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
steps = int(model.optimizer.iterations)
print(f"2 (continued)  {len(x_new):>12,}  {steps:>15,}  {accuracy:>13.3f}")
# --8<-- [end:part2]
