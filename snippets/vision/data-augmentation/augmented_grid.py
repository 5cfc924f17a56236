"""Random augmentations of real photos: Keras preprocessing layers, then stateless
tf.image ops."""

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure
from skimage import data

from dlcv.plot import save_figure, use_style

keras.utils.set_random_seed(0)
SIZE = 128
COPIES = 5


def square(image: np.ndarray) -> np.ndarray:
    """Crop the central square of an RGB photo and scale it to SIZE x SIZE, values in
    [0, 1]."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    crop = image[top : top + side, left : left + side].astype("float32") / 255.0
    return tf.image.resize(crop, (SIZE, SIZE), antialias=True).numpy()


photos = {
    name: square(getattr(data, name)())
    for name in ("chelsea", "coffee", "astronaut", "rocket")
}

# --8<-- [start:augment]
augment = keras.layers.Pipeline(
    [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.05),  # fraction of a full turn: up to ±18°
        keras.layers.RandomZoom(0.2),  # height scaled by up to ±20%
        keras.layers.RandomTranslation(0.1, 0.1),  # shift by up to ±10% of each side
        keras.layers.RandomContrast(0.3, value_range=(0, 1)),
        keras.layers.RandomBrightness(0.15, value_range=(0, 1)),
    ]
)
# One call on a batch of identical copies: every copy gets its own random draw.
batch = np.stack([photos["chelsea"]] * COPIES)
first = keras.ops.convert_to_numpy(augment(batch, training=True))
again = keras.ops.convert_to_numpy(augment(batch, training=True))
frozen = keras.ops.convert_to_numpy(augment(batch, training=False))

image = photos["coffee"]


def stateless_augment(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """One random view of `image`: its output depends only on the image and the seed."""
    seeds = tf.random.experimental.stateless_split(seed, num=5)  # one seed per op
    padded = tf.image.resize_with_crop_or_pad(image, SIZE + 16, SIZE + 16)
    out = tf.image.stateless_random_crop(padded, (SIZE, SIZE, 3), seed=seeds[0])
    out = tf.image.stateless_random_flip_left_right(out, seed=seeds[1])
    out = tf.image.stateless_random_brightness(out, max_delta=0.15, seed=seeds[2])
    out = tf.image.stateless_random_saturation(out, 0.6, 1.4, seed=seeds[3])
    out = tf.image.stateless_random_hue(out, max_delta=0.05, seed=seeds[4])
    return tf.clip_by_value(out, 0.0, 1.0)


views = [stateless_augment(image, tf.constant([s, 0])).numpy() for s in range(COPIES)]
repeat = stateless_augment(image, tf.constant([0, 0])).numpy()
# --8<-- [end:augment]

print("Keras preprocessing layers, applied in order, each with its own draw per image:")
print("  RandomFlip          mirror left-right with probability 1/2")
print(
    "  RandomRotation      turn by an angle drawn from [-18°, +18°] (0.05 of a full "
    "turn)"
)
print("  RandomZoom          zoom in or out by up to 20%, keeping the aspect ratio")
print("  RandomTranslation   shift by up to 10% of the height and of the width")
print(
    "  RandomContrast      per channel, (x - mean) * c + mean with c drawn from [0.7, "
    "1.3]"
)
print(
    "  RandomBrightness    add an offset drawn from [-0.15, +0.15], then clip to [0, 1]"
)
distinct = len({copy.tobytes() for copy in first})
print(f"distinct views among {COPIES} identical copies in one call: {distinct}")
print(
    f"a second call repeats the first:                  {np.array_equal(first, again)}"
)
print(
    f"training=False returns the input unchanged:      {np.array_equal(frozen, batch)}"
)

print()
print("tf.image stateless ops, seeds (0, 0) ... (4, 0):")
print(f"same seed, same image:      {np.array_equal(views[0], repeat)}")
print(f"different seeds all differ: {len({v.tobytes() for v in views}) == COPIES}")

use_style()
fig = Figure(figsize=(5.6, 4.8))
grid = fig.subplots(len(photos) + 1, COPIES + 1)
rows = {
    name: augment(np.stack([photo] * COPIES), training=True)
    for name, photo in photos.items()
}
rows["coffee, tf.image"] = np.stack(views)
for r, (label, augmented) in enumerate(rows.items()):
    original = photos[label.split(",")[0]]
    for c, picture in enumerate([original, *keras.ops.convert_to_numpy(augmented)]):
        ax = grid[r, c]
        ax.imshow(np.clip(picture, 0.0, 1.0))
        ax.set_frame_on(False)
        ax.set_xticks([])
        ax.set_yticks([])
        if c == 0:
            ax.set_ylabel(label.replace(", ", ",\n"))
        if r == 0:
            ax.set_title("original" if c == 0 else f"view {c}")
save_figure(
    fig,
    "augmented_grid.png",
    caption="Each photo, and five random views of it",
    alt=(
        "A grid of photos: each row starts with an original, the cat Chelsea, a cup of "
        "coffee, the astronaut Eileen Collins and a rocket, followed by five random "
        "views of it made by the Keras layers: mirrored, slightly rotated, zoomed, "
        "shifted, with changed contrast and brightness; corners exposed by rotation "
        "are filled by reflecting the image. The last row shows five views of the "
        "coffee made with the stateless tf.image ops: shifted crops, mirror images and "
        "shifts of brightness, saturation and hue."
    ),
)
