"""Tensors have a rank, a shape and a dtype; a handful of operations on them build a
network."""

import numpy as np
import tensorflow as tf

from dlcv.data import load_digits_images

np.set_printoptions(precision=2, suppress=True)

images, labels = load_digits_images()
examples = {
    "scalar": tf.constant(3.5),
    "vector": tf.constant([1.0, 2.0, 3.0]),
    "matrix": tf.constant([[1, 2, 3], [4, 5, 6]]),
    "digits": tf.constant(images),
    "labels": tf.constant(labels),
}
print("name    rank  shape            dtype")
for name, tensor in examples.items():
    shape = str(tuple(tensor.shape))
    print(f"{name:<7} {tensor.shape.rank:>4}  {shape:<15}  {tensor.dtype.name}")

a = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # shape (2, 3)
row = tf.constant([10.0, 20.0, 30.0])  # shape (3,): stretched over both rows
# shape (2, 1): stretched over the three columns
column = tf.constant([[100.0], [200.0]])
print("\na + row =\n", (a + row).numpy())
print("a * column =\n", (a * column).numpy())
print("max(a - 3.5, 0) =\n", tf.maximum(a - 3.5, 0.0).numpy())
try:
    a + tf.constant([1.0, 2.0])  # shape (2,): the trailing axes (3 and 2) do not match
except tf.errors.InvalidArgumentError:
    print("(2, 3) + (2,): incompatible shapes, no broadcast")

# (2, 3): two examples, three features
x = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
# (3, 4): three inputs, four outputs
w = tf.reshape(tf.range(12, dtype=tf.float32), (3, 4))
# entry (i, j) is the dot product of row i of x and column j of w
product = tf.matmul(x, w)
by_hand = np.array(
    [[sum(x[i, k] * w[k, j] for k in range(3)) for j in range(4)] for i in range(2)]
)
print("\nmatmul (2, 3) @ (3, 4) ->", tuple(product.shape))
print(product.numpy())
print("equals the sums of products:", np.array_equal(product.numpy(), by_hand))
print("dot product of two vectors:", float(tf.tensordot(row, row, axes=1)))
batch = tf.ones((5, 2, 3))  # five matrices of shape (2, 3)
print(
    "tensordot (5, 2, 3) . (3, 4) ->",
    tuple(tf.tensordot(batch, w, axes=[[2], [0]]).shape),
)
print("matmul (5, 2, 3) @ (3, 4) ->", tuple(tf.matmul(batch, w).shape))

# -1: whatever size keeps the element count
flat = tf.reshape(images, (len(images), -1))
print("\nreshape", tuple(images.shape), "->", tuple(flat.shape))
print("same numbers, same order:", np.array_equal(flat[0].numpy(), images[0].ravel()))
print("transpose", tuple(w.shape), "->", tuple(tf.transpose(w).shape))
print("first digit, top row of pixels:", flat[0, :8].numpy())
