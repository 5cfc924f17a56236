"""Simplicity: a convnet learns from raw pixels, and its forward pass is a few tensor
operations."""

from collections import Counter

import keras
import tensorflow as tf

from dlcv.data import load_digits_images, split_train_test

keras.utils.set_random_seed(0)

# Raw pixels in, digits out: no hand-designed features (edges, strokes, moments) in
# between.
images, labels = load_digits_images()
x_train, x_test, y_train, y_test = split_train_test(images, labels, seed=0)

model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)

_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Convnet trained end to end on raw pixels: test accuracy {accuracy:.3f}")
print(f"Trainable parameters: {model.count_params():,}")

forward = tf.function(lambda x: model(x, training=False))
graph = forward.get_concrete_function(tf.TensorSpec((None, 8, 8, 1), tf.float32)).graph
# Bookkeeping, not computation: graph inputs (Placeholder), reads of the weights
# (ReadVariableOp, VarHandleOp), constants (Const), pass-through or control ops
# (Identity, IdentityN, NoOp, StopGradient), and the shape arithmetic that works out the
# batch size for Flatten's Reshape (Shape, StridedSlice, Pack).
BOOKKEEPING = {
    "Const",
    "Identity",
    "IdentityN",
    "NoOp",
    "Pack",
    "Placeholder",
    "ReadVariableOp",
    "Shape",
    "StopGradient",
    "StridedSlice",
    "VarHandleOp",
}
compute_ops = Counter(
    op.type for op in graph.get_operations() if op.type not in BOOKKEEPING
)

print()
print(f"The forward pass uses {len(compute_ops)} kinds of tensor operation:")
print()
print(f"{'Operation':<12}  Count")
for op_type, count in sorted(compute_ops.items()):
    print(f"{op_type:<12}  {count:>5}")
