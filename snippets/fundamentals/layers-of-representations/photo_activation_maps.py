"""Activation maps of a small convnet trained on patches of four photographs."""

import keras
import numpy as np
from matplotlib.figure import Figure
from skimage import color, data, transform

from dlcv.plot import save_figure, use_style
from dlcv.probing import layer_outputs

keras.utils.set_random_seed(0)

# Four photographs that ship with scikit-image, in grey levels at 128x128 pixels.
names = ["astronaut", "camera", "coffee", "chelsea"]
photos = []
for name in names:
    image = getattr(data, name)()
    grey = color.rgb2gray(image) if image.ndim == 3 else image / 255.0
    photos.append(
        transform.resize(grey, (128, 128), anti_aliasing=True).astype("float32")
    )

# The task: say which photograph a 24x24 patch was cut from. Training patches come from
# the left three quarters of each photo, test patches from the right quarter, so no test
# pixel was seen in training.
rng = np.random.default_rng(0)


def cut_patches(photo: np.ndarray, columns: range, count: int) -> np.ndarray:
    rows = rng.integers(0, 128 - 24, count)
    cols = rng.integers(columns.start, columns.stop - 24, count)
    return np.stack(
        [
            photo[r : r + 24, c : c + 24, np.newaxis]
            for r, c in zip(rows, cols, strict=True)
        ]
    )


x_train = np.concatenate([cut_patches(p, range(0, 96), 150) for p in photos])
y_train = np.repeat(np.arange(4), 150)
x_test = np.concatenate([cut_patches(p, range(96, 128), 50) for p in photos])
y_test = np.repeat(np.arange(4), 50)

# No layer fixes the image size, so the trained network also runs on a whole photograph.
model = keras.Sequential(
    [
        keras.Input((None, None, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv_1"),
        keras.layers.MaxPooling2D(2, name="pool_1"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_2"),
        keras.layers.MaxPooling2D(2, name="pool_2"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_3"),
        keras.layers.GlobalAveragePooling2D(name="global_pool"),
        keras.layers.Dense(4, activation="softmax", name="output"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)

_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(
    f"Which photo is this patch from? Test accuracy on unseen patches: {accuracy:.3f}"
)

cat = photos[names.index("chelsea")][np.newaxis, ..., np.newaxis]
maps = layer_outputs(model, cat, layer_names=["conv_1", "conv_2", "conv_3"])
print()
print("Layer   Map size  Channels  Share of values above zero")
for layer, values in maps.items():
    height, width, channels = values.shape[1:]
    print(
        f"{layer:<6}  {height:>3}x{width:<4}  {channels:>8}  "
        f"{np.mean(values > 0):>26.2f}"
    )

use_style()
fig = Figure(figsize=(5.6, 4.0))
grid = fig.subplots(3, 5)
for row, (layer, values) in zip(grid, maps.items(), strict=True):
    row[0].imshow(cat[0, ..., 0], cmap="gray")
    row[0].set_title("input" if layer == "conv_1" else "")
    row[0].set_ylabel(layer)
    # The four channels with the strongest mean response to this photo.
    strongest = np.argsort(values[0].mean(axis=(0, 1)))[::-1][:4]
    for ax, channel in zip(row[1:], strongest, strict=True):
        ax.imshow(values[0, ..., channel], cmap="magma")
        ax.set_title(f"#{channel}")
    for ax in row:
        ax.set_xticks([])
        ax.set_yticks([])
save_figure(
    fig,
    "activation_maps.png",
    caption="The photo, and its four strongest channels at each layer",
    alt=(
        "A grid of activation maps for scikit-image's photo of a cat, one row per "
        "convolutional layer, each row starting with the grey-level photo. conv_1's "
        "maps are full-size and still look like the photo, with edges and bright or "
        "dark areas picked out; conv_2's maps are half the size and coarser; conv_3's "
        "are a quarter size and show blobs that mark textured regions rather than "
        "recognisable outlines."
    ),
)
